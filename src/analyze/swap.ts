import type { SwapArea } from '../procfs/swaps.js';
import type { Snapshot } from '../model/derive.js';

/**
 * Swap: devices, who holds swapped pages, and how fast pages move in and out.
 *
 * Per process, two views of the same pages:
 * - VmSwap (/proc/[pid]/status, 2.6.34+) counts every swapped-out page the process maps, in full,
 *   even when other processes map the same page (shared anonymous or shmem, or after fork).
 * - SwapPss (smaps_rollup, 4.3+) divides each swapped page among the processes that map it, so
 *   the SwapPss of all processes sums to the swap in use; VmSwap sums to more when pages are shared.
 * Swapped shmem/tmpfs pages that no process maps are in neither.
 *
 * Rates: /proc/vmstat "pswpin"/"pswpout" count pages read from / written to swap devices
 * (zswap hits stay out of pswpin; zswap writeback counts as pswpout).
 */

export type SwapSort = 'vmswap' | 'swappss';
export const SWAP_SORTS: SwapSort[] = ['vmswap', 'swappss'];

export interface SwapProcRow {
  key: string;
  pid: number;
  comm: string;
  cmdline?: string[];
  user?: string;
  vmSwapBytes?: number;
  swapPssBytes?: number;
  /** VmSwap now minus at the start of the interval (signed). */
  vmSwapDeltaBytes?: number;
}

export interface SwapReport {
  intervalSeconds?: number;
  sameBoot: boolean;
  /** /proc/swaps could be read. */
  swapsKnown: boolean;
  /** /proc/swaps lists no area: no swap configured (or all swapped off). */
  noSwap: boolean;
  areas: SwapArea[];
  totalBytes?: number;
  usedBytes?: number;
  /** /proc/meminfo "SwapCached:": swapped pages also in RAM (no I/O needed to read them back). */
  swapCachedBytes?: number;
  /** /proc/meminfo "Zswap:"/"Zswapped:" (5.19+): compressed pool size and what it holds. */
  zswapBytes?: number;
  zswappedBytes?: number;
  swapInPages?: number;
  swapOutPages?: number;
  swapInBytesPerSecond?: number;
  swapOutBytesPerSecond?: number;
  /** Processes with swapped pages (VmSwap or SwapPss above 0), ranked. */
  rows: SwapProcRow[];
  /** Sums over every process whose value was read (a lower bound when unknownCount > 0). */
  vmSwapTotalBytes?: number;
  swapPssTotalBytes?: number;
  /** Processes whose VmSwap or SwapPss could not be read. */
  unknownCount: number;
}

export function swapReport(snap: Snapshot, sort: SwapSort = 'vmswap'): SwapReport {
  const cur = snap.cur;
  const page = cur.header.caps.pageSizeBytes;
  const swaps = cur.system.swaps;
  const mi = cur.system.meminfo;
  const rate = (pages: number | undefined) =>
    pages === undefined || snap.intervalSeconds === undefined ? undefined : (pages * page) / snap.intervalSeconds;
  const rows: SwapProcRow[] = [];
  let vmSwapTotal: number | undefined;
  let swapPssTotal: number | undefined;
  let unknown = 0;
  for (const d of snap.procs) {
    const p = d.proc;
    if (p.isKernelThread) continue;
    const vm = p.status?.vmSwapBytes;
    const pss = p.rollup?.swapPssBytes;
    if (vm === undefined || pss === undefined) unknown++;
    if (vm !== undefined) vmSwapTotal = (vmSwapTotal ?? 0) + vm;
    if (pss !== undefined) swapPssTotal = (swapPssTotal ?? 0) + pss;
    if ((vm ?? 0) === 0 && (pss ?? 0) === 0) continue;
    rows.push({ key: d.key, pid: p.pid, comm: p.comm, cmdline: p.cmdline, user: p.user, vmSwapBytes: vm, swapPssBytes: pss, vmSwapDeltaBytes: d.vmSwapDeltaBytes });
  }
  const k = sort === 'vmswap' ? (['vmSwapBytes', 'swapPssBytes'] as const) : (['swapPssBytes', 'vmSwapBytes'] as const);
  rows.sort((a, b) => (b[k[0]] ?? -1) - (a[k[0]] ?? -1) || (b[k[1]] ?? -1) - (a[k[1]] ?? -1) || a.pid - b.pid);
  const v = snap.system.vmstat;
  return {
    intervalSeconds: snap.intervalSeconds,
    sameBoot: snap.sameBoot,
    swapsKnown: swaps !== undefined,
    noSwap: swaps !== undefined && swaps.areas.length === 0,
    areas: swaps?.areas ?? [],
    totalBytes: swaps?.sizeBytes ?? mi.swapTotalBytes,
    usedBytes: swaps?.usedBytes ?? (mi.swapTotalBytes !== undefined && mi.swapFreeBytes !== undefined ? mi.swapTotalBytes - mi.swapFreeBytes : undefined),
    swapCachedBytes: mi.swapCachedBytes,
    zswapBytes: mi.zswapBytes,
    zswappedBytes: mi.zswappedBytes,
    swapInPages: v.pswpinPages,
    swapOutPages: v.pswpoutPages,
    swapInBytesPerSecond: rate(v.pswpinPages),
    swapOutBytesPerSecond: rate(v.pswpoutPages),
    rows,
    vmSwapTotalBytes: vmSwapTotal,
    swapPssTotalBytes: swapPssTotal,
    unknownCount: unknown,
  };
}
