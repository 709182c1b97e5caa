import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/[pid]/cgroup (cgroups(7); kernel/cgroup/cgroup.c proc_cgroup_show).
 *
 *   4:memory:/process_api/1f86287cd36eca3150d9bd60d93a60fb
 *
 * One line per mounted hierarchy: "hierarchy-ID:controller-list:cgroup-path". cgroup v1 lines
 * name their controllers ("cpu,cpuacct", named hierarchies as "name=systemd"); the cgroup v2
 * line is "0::/path" (4.5+). A hybrid host prints both. The path may contain ':' (only the first
 * two separate fields) and, when the process sits outside our cgroup namespace, starts with
 * "/..". Kernels without CONFIG_CGROUPS have no file; some threads print an empty one.
 */

export interface PidCgroupEntry {
  /** Hierarchy id: 0 for the unified (v2) hierarchy. */
  hierarchyId: number;
  /** v1 controllers bound to the hierarchy, e.g. ['cpu', 'cpuacct'] or ['name=systemd']; [] for v2. */
  controllers: string[];
  /** Path relative to the hierarchy's root (as seen from the reader's cgroup namespace). */
  path: string;
}

export function parsePidCgroup(text: string, path = '/proc/[pid]/cgroup'): PidCgroupEntry[] {
  return numberedLines(text).map(({ line, lineNo }) => {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'cgroup', 'expected "id:controllers:path"');
    return { hierarchyId: Number(m[1]), controllers: m[2] === '' ? [] : m[2].split(','), path: m[3] };
  });
}

/** Path in the cgroup v1 hierarchy that has the memory controller; undefined if none does. */
export function memoryCgroupV1Path(entries: PidCgroupEntry[]): string | undefined {
  return entries.find((e) => e.hierarchyId !== 0 && e.controllers.includes('memory'))?.path;
}

/** Path in the cgroup v2 (unified) hierarchy: the "0::" line; undefined without one. */
export function unifiedCgroupPath(entries: PidCgroupEntry[]): string | undefined {
  return entries.find((e) => e.hierarchyId === 0 && e.controllers.length === 0)?.path;
}

export function readPidCgroup(root: ProcRoot, pid: number): PidCgroupEntry[] {
  const rel = `${pid}/cgroup`;
  return parsePidCgroup(root.readProc(rel), root.procPath(rel));
}
