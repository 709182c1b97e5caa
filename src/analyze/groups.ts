import type { ProcSample } from '../collect/sample.js';

export type GroupBy = 'program' | 'user' | 'cgroup' | 'tree';
export const GROUP_BYS: GroupBy[] = ['program', 'user', 'cgroup', 'tree'];

export interface ProcGroup {
  /** Stable key: program name, uid, cgroup path, or the family root's "pid:starttime". */
  key: string;
  /** What a person reads: "python3", "root", "/system.slice/ssh.service", "python3 [4242]". */
  label: string;
  procs: ProcSample[];
}

/**
 * The program a process runs, as ps_mem names it: the executable's base name (threads are
 * already folded, since only thread-group leaders are listed), else comm. An interpreter
 * stays itself ("python3"), as in ps_mem.
 */
function programName(p: ProcSample): string {
  if (p.exe) {
    const exe = p.exe.replace(/ \(deleted\)$/, '');
    const base = exe.slice(exe.lastIndexOf('/') + 1);
    // A program run from a memfd (sandboxes, self-reexec) has no useful file name.
    if (base && !base.startsWith('memfd:')) return base;
  }
  return p.comm;
}

/**
 * The root of a process's fork family: walk up while the parent runs the same program.
 * A pre-fork server (nginx master + workers, a python parent + its forked children) becomes
 * one family; a shell that starts a program does not swallow it. pid 1 and kthreadd are
 * never family roots of something else.
 */
function familyRoot(p: ProcSample, byPid: Map<number, ProcSample>): ProcSample {
  let cur = p;
  const seen = new Set<number>();
  for (;;) {
    seen.add(cur.pid);
    const parent = byPid.get(cur.ppid);
    if (!parent || parent.pid <= 2 || seen.has(parent.pid)) return cur;
    if (programName(parent) !== programName(cur)) return cur;
    cur = parent;
  }
}

function groupKey(p: ProcSample, by: GroupBy, byPid: Map<number, ProcSample>): { key: string; label: string } {
  switch (by) {
    case 'program': {
      const name = programName(p);
      return { key: name, label: name };
    }
    case 'user': {
      const key = p.uid === undefined ? '?' : String(p.uid);
      return { key, label: p.user ?? key };
    }
    case 'cgroup': {
      // The unified path wins where the v2 hierarchy holds processes; else the v1 memory one.
      const path = p.cgroupV2 && p.cgroupV2 !== '/' ? p.cgroupV2 : (p.cgroupV1Memory ?? p.cgroupV2 ?? '?');
      return { key: path, label: path };
    }
    case 'tree': {
      const r = familyRoot(p, byPid);
      return { key: r.key, label: `${programName(r)} [${r.pid}]` };
    }
  }
}

/** Group processes; kernel threads are left out (they own no user memory). */
export function groupProcs(procs: ProcSample[], by: GroupBy): ProcGroup[] {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const groups = new Map<string, ProcGroup>();
  for (const p of procs) {
    if (p.isKernelThread) continue;
    const { key, label } = groupKey(p, by, byPid);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, label, procs: [] }));
    g.procs.push(p);
  }
  return [...groups.values()];
}
