import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/cgroups (kernel/cgroup/cgroup-v1.c proc_cgroupstats_show; deprecated for v2 in
 * cgroup-v2.rst, still present on 6.x).
 *
 *   memory	4	42	1
 *
 * Columns: subsys_name hierarchy num_cgroups enabled. hierarchy 0 means the controller is on the
 * v2 hierarchy (or bound nowhere); num_cgroups counts every cgroup that has it, dying ones included.
 * The header line starts with "#". Whitespace is tabs on real kernels (spaces accepted).
 */
export interface ProcCgroupsRow {
  subsysName: string;
  hierarchyId: number;
  numCgroups: number;
  enabled: boolean;
}

export function parseProcCgroups(text: string, path = '/proc/cgroups'): ProcCgroupsRow[] {
  const out: ProcCgroupsRow[] = [];
  for (const { line, lineNo } of numberedLines(text)) {
    if (line.startsWith('#')) continue;
    const f = line.trim().split(/\s+/);
    if (f.length !== 4 || !f.slice(1).every((x) => /^\d+$/.test(x))) {
      throw new ParseError(path, lineNo, line, 'subsys_name hierarchy num_cgroups enabled');
    }
    out.push({ subsysName: f[0], hierarchyId: Number(f[1]), numCgroups: Number(f[2]), enabled: f[3] !== '0' });
  }
  return out;
}

export function readProcCgroups(root: ProcRoot): ProcCgroupsRow[] {
  return parseProcCgroups(root.readProc('cgroups'), root.procPath('cgroups'));
}
