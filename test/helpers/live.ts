import type { ProcRoot } from '../../src/fs/proc-root.js';
import { parsePidStat } from '../../src/procfs/pid-stat.js';

/** A kernel thread of the live machine (kthreadd is pid 2 in the initial namespace, but look). */
export function findKernelThread(root: ProcRoot): number | undefined {
  return root
    .listProc()
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .find((pid) => {
      try {
        return parsePidStat(root.readProc(`${pid}/stat`)).isKernelThread;
      } catch {
        return false;
      }
    });
}
