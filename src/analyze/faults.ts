import type { Snapshot } from '../model/derive.js';

/**
 * Page faults per process over an interval.
 *
 * /proc/[pid]/stat fields 10 and 12 count the faults of every thread of the process (and of its
 * exited threads): minor faults mapped a page already in memory (page cache, a zero page, a COW
 * copy, a swap-cache hit); major faults had to wait for I/O (a file read, a swap-in).
 * mm/memory.c mm_account_fault counts each fault as one or the other. /proc/vmstat "pgfault"
 * counts every fault (minor and major, kernel threads and exited processes included), and
 * "pgmajfault" the major ones, counted where the I/O is started (filemap_fault, do_swap_page).
 */

export type FaultSort = 'majflt' | 'minflt';
export const FAULT_SORTS: FaultSort[] = ['majflt', 'minflt'];

export interface FaultRow {
  key: string;
  pid: number;
  comm: string;
  cmdline?: string[];
  user?: string;
  uid?: number;
  minfltCount: number;
  majfltCount: number;
  minfltPerSecond?: number;
  majfltPerSecond?: number;
}

export interface FaultReport {
  intervalSeconds?: number;
  sameBoot: boolean;
  /** Processes that faulted during the interval, ranked. */
  rows: FaultRow[];
  /** Processes present at both ends with no fault in between. */
  quietCount: number;
  /** Processes that started during the interval: no earlier count, so no rate. */
  newCount: number;
  /** Processes that exited during the interval: their last faults are lost. */
  exitedCount: number;
  /** /proc/vmstat "pgfault" (all faults) and "pgmajfault" over the interval. */
  system: { pgfaultCount?: number; pgmajfaultCount?: number; pgfaultPerSecond?: number; pgmajfaultPerSecond?: number };
  /** Sum over `rows`: compare with `system` to see how much the listed processes explain. */
  attributed: { minfltCount: number; majfltCount: number };
}

export function faultReport(snap: Snapshot, sort: FaultSort = 'majflt'): FaultReport {
  const rows: FaultRow[] = [];
  let quiet = 0;
  for (const d of snap.procs) {
    if (d.minfltCount === undefined || d.majfltCount === undefined) continue;
    if (d.minfltCount === 0 && d.majfltCount === 0) {
      quiet++;
      continue;
    }
    const p = d.proc;
    rows.push({
      key: d.key,
      pid: p.pid,
      comm: p.comm,
      cmdline: p.cmdline,
      user: p.user,
      uid: p.uid,
      minfltCount: d.minfltCount,
      majfltCount: d.majfltCount,
      minfltPerSecond: d.minfltPerSecond,
      majfltPerSecond: d.majfltPerSecond,
    });
  }
  const [first, second] = sort === 'majflt' ? (['majfltCount', 'minfltCount'] as const) : (['minfltCount', 'majfltCount'] as const);
  rows.sort((a, b) => b[first] - a[first] || b[second] - a[second] || a.pid - b.pid);
  const v = snap.system;
  return {
    intervalSeconds: snap.intervalSeconds,
    sameBoot: snap.sameBoot,
    rows,
    quietCount: quiet,
    newCount: snap.procs.filter((d) => d.isNew).length,
    exitedCount: snap.exitedKeys.length,
    system: {
      pgfaultCount: v.vmstat.pgfault,
      pgmajfaultCount: v.vmstat.pgmajfault,
      pgfaultPerSecond: v.vmstatPerSecond.pgfault,
      pgmajfaultPerSecond: v.vmstatPerSecond.pgmajfault,
    },
    attributed: {
      minfltCount: rows.reduce((a, r) => a + r.minfltCount, 0),
      majfltCount: rows.reduce((a, r) => a + r.majfltCount, 0),
    },
  };
}
