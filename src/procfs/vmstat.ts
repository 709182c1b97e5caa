import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/vmstat and /sys/devices/system/node/node<N>/vmstat (mm/vmstat.c vmstat_text[]).
 *
 *   nr_free_pages 2614302
 *
 * One "name value" pair a line. `nr_*` items are gauges in pages (except nr_kernel_stack: KiB
 * since 4.9, a count of stacks before; the *_hugepages/_transparent_hugepages/_pmdmapped items
 * are counts of huge pages, mm/vmstat.c vmstat_item_print_in_thp); the rest are event counters
 * since boot. pgpgin/pgpgout are KiB (vmstat_start halves the sector counts).
 *
 * The file prints pages, never a page size: `pageSizeBytes` (default 4096, every x86_64 and most
 * arm64 kernels) converts page counts to bytes. Pass sysconf(_SC_PAGESIZE) elsewhere.
 *
 * Kernel history folded into the typed fields (raw keeps every line as printed):
 *   pgscan/pgsteal_{kswapd,direct}_<zone>  per zone until 4.7, per node (no suffix) since 4.8
 *   pgscan/pgsteal_khugepaged              6.3+: split out of *_direct; summed back into direct
 *   pgscan/pgsteal_proactive               recent kernels: memory.reclaim, counted as direct before
 *   allocstall                             one counter until 4.9, allocstall_<zone> since 4.10
 *   workingset_refault                     split into _anon/_file in 5.9
 *   thp_split                              renamed thp_split_page in 4.5 (thp_split_pmd added)
 *   oom_kill                               4.13+
 */

/** Zone suffixes of the per-zone counters (include/linux/mmzone.h enum zone_type). */
const ZONES = ['dma', 'dma32', 'normal', 'high', 'movable', 'device'];

/**
 * "name value" lines: vmstat, node vmstat, numastat. A line of another shape throws.
 * A value with no name (" 176096") is returned in `unnamed`: a distro 4.x kernel (PCP
 * meminfo-root-006) prints one where a backported counter lacks its vmstat_text entry.
 */
export function nameValueLines(text: string, path: string): { values: Record<string, number>; unnamed: number[] } {
  const values: Record<string, number> = {};
  const unnamed: number[] = [];
  const lines = numberedLines(text);
  for (const { line, lineNo } of lines) {
    const m = /^\s*([A-Za-z_][\w.-]*)?\s+(-?\d+)\s*$/.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'name value');
    if (m[1] === undefined) unnamed.push(Number(m[2]));
    else values[m[1]] = Number(m[2]);
  }
  if (lines.length === 0) throw new ParseError(path, 1, text.split('\n', 1)[0], 'name value', 'empty');
  return { values, unnamed };
}

/** nr_* gauges (pages) -> property (bytes). */
const PAGE_GAUGES = {
  nr_free_pages: 'freeBytes',
  nr_inactive_anon: 'inactiveAnonBytes',
  nr_active_anon: 'activeAnonBytes',
  nr_inactive_file: 'inactiveFileBytes',
  nr_active_file: 'activeFileBytes',
  nr_unevictable: 'unevictableBytes',
  nr_mlock: 'mlockBytes',
  nr_anon_pages: 'anonBytes',
  nr_mapped: 'mappedBytes',
  nr_file_pages: 'filePagesBytes',
  nr_dirty: 'dirtyBytes',
  nr_writeback: 'writebackBytes',
  nr_shmem: 'shmemBytes',
  nr_slab_reclaimable: 'slabReclaimableBytes',
  nr_slab_unreclaimable: 'slabUnreclaimableBytes',
  nr_page_table_pages: 'pageTablesBytes',
  nr_sec_page_table_pages: 'secPageTablesBytes', // 6.0+
  nr_isolated_anon: 'isolatedAnonBytes',
  nr_isolated_file: 'isolatedFileBytes',
  nr_swapcached: 'swapCachedBytes', // 5.9+
  nr_free_cma: 'freeCmaBytes',
  nr_zspages: 'zspagesBytes', // zsmalloc (zram, zswap) backing pages
  nr_balloon_pages: 'balloonBytes', // 6.12+
  nr_dirty_threshold: 'dirtyThresholdBytes',
  nr_dirty_background_threshold: 'dirtyBackgroundThresholdBytes',
} as const;

/** Event counters kept under their own name (counts of events, or of pages where it says so). */
const COUNTERS = {
  pgfault: 'pgfault',
  pgmajfault: 'pgmajfault',
  pswpin: 'pswpinPages',
  pswpout: 'pswpoutPages',
  pgfree: 'pgfreePages',
  pgactivate: 'pgactivatePages',
  pgdeactivate: 'pgdeactivatePages',
  compact_stall: 'compactStall',
  compact_fail: 'compactFail',
  compact_success: 'compactSuccess',
  workingset_activate: 'workingsetActivatePages',
  workingset_refault_anon: 'workingsetRefaultAnonPages', // 5.9+
  workingset_refault_file: 'workingsetRefaultFilePages', // 5.9+
  oom_kill: 'oomKill', // 4.13+
  thp_fault_alloc: 'thpFaultAlloc',
  thp_fault_fallback: 'thpFaultFallback',
  thp_collapse_alloc: 'thpCollapseAlloc',
  thp_collapse_alloc_failed: 'thpCollapseAllocFailed',
  thp_swpout: 'thpSwpout',
  pgscan_khugepaged: 'pgscanKhugepagedPages',
  pgscan_proactive: 'pgscanProactivePages',
  pgsteal_khugepaged: 'pgstealKhugepagedPages',
  pgsteal_proactive: 'pgstealProactivePages',
  drop_pagecache: 'dropPagecache',
  drop_slab: 'dropSlab',
} as const;

type GaugeName = (typeof PAGE_GAUGES)[keyof typeof PAGE_GAUGES];
type CounterName = (typeof COUNTERS)[keyof typeof COUNTERS];

export type Vmstat = { [K in GaugeName | CounterName]?: number } & {
  /** Every line as printed, keys as in the file. */
  raw: Record<string, number>;
  /** The page size the byte fields assume. */
  pageSizeBytes: number;
  /** "pgpgin": KiB read from block devices, as bytes. */
  pgpginBytes?: number;
  /** "pgpgout": KiB written to block devices, as bytes. */
  pgpgoutBytes?: number;
  /** "pgscan_kswapd", or the sum of "pgscan_kswapd_<zone>" (before 4.8). */
  pgscanKswapdPages?: number;
  /** "pgscan_direct" (or its per-zone sum) + "pgscan_khugepaged" + "pgscan_proactive": direct as 6.2 counted it. */
  pgscanDirectPages?: number;
  /** "pgsteal_kswapd", or the sum of "pgsteal_kswapd_<zone>". */
  pgstealKswapdPages?: number;
  /** "pgsteal_direct" (or its per-zone sum) + "pgsteal_khugepaged" + "pgsteal_proactive". */
  pgstealDirectPages?: number;
  /** "allocstall" (until 4.9), or the sum of "allocstall_<zone>" (4.10+): direct reclaim entries. */
  allocstall?: number;
  /** "workingset_refault" (until 5.8), or "workingset_refault_anon" + "workingset_refault_file" (5.9+). */
  workingsetRefaultPages?: number;
  /** "thp_split_page" (4.5+) or "thp_split" (before). */
  thpSplitPage?: number;
  /** Values printed without a name (see nameValueLines), in file order. */
  unnamed?: number[];
  /** Every "thp_*" counter, keyed without the prefix. */
  thp: Record<string, number>;
};

function zoneSum(raw: Record<string, number>, base: string): number | undefined {
  if (raw[base] !== undefined) return raw[base];
  let sum: number | undefined;
  for (const z of ZONES) {
    const v = raw[`${base}_${z}`];
    if (v !== undefined) sum = (sum ?? 0) + v;
  }
  return sum;
}

function addDefined(...xs: (number | undefined)[]): number | undefined {
  return xs.some((x) => x !== undefined) ? xs.reduce<number>((a, x) => a + (x ?? 0), 0) : undefined;
}

export function parseVmstat(text: string, path = '/proc/vmstat', pageSizeBytes = 4096): Vmstat {
  const { values: raw, unnamed } = nameValueLines(text, path);
  const out: Record<string, unknown> = { raw, pageSizeBytes, thp: {} };
  if (unnamed.length > 0) out.unnamed = unnamed;
  const thp = out.thp as Record<string, number>;
  for (const [key, v] of Object.entries(raw)) {
    const g = (PAGE_GAUGES as Record<string, string>)[key];
    if (g) out[g] = v * pageSizeBytes;
    const c = (COUNTERS as Record<string, string>)[key];
    if (c) out[c] = v;
    if (key.startsWith('thp_')) thp[key.slice(4)] = v;
  }
  if (raw.pgpgin !== undefined) out.pgpginBytes = raw.pgpgin * 1024;
  if (raw.pgpgout !== undefined) out.pgpgoutBytes = raw.pgpgout * 1024;
  out.pgscanKswapdPages = zoneSum(raw, 'pgscan_kswapd');
  out.pgstealKswapdPages = zoneSum(raw, 'pgsteal_kswapd');
  const scanDirect = zoneSum(raw, 'pgscan_direct');
  const stealDirect = zoneSum(raw, 'pgsteal_direct');
  out.pgscanDirectPages = scanDirect === undefined ? undefined : addDefined(scanDirect, raw.pgscan_khugepaged, raw.pgscan_proactive);
  out.pgstealDirectPages = stealDirect === undefined ? undefined : addDefined(stealDirect, raw.pgsteal_khugepaged, raw.pgsteal_proactive);
  out.allocstall = zoneSum(raw, 'allocstall');
  out.workingsetRefaultPages = raw.workingset_refault ?? addDefined(raw.workingset_refault_anon, raw.workingset_refault_file);
  out.thpSplitPage = raw.thp_split_page ?? raw.thp_split;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as Vmstat;
}

export function readVmstat(root: ProcRoot, pageSizeBytes = 4096): Vmstat {
  return parseVmstat(root.readProc('vmstat'), root.procPath('vmstat'), pageSizeBytes);
}

/** /sys/devices/system/node/node<N>/vmstat: the per-node subset, same grammar (4.x+). */
export function readNodeVmstat(root: ProcRoot, node: number, pageSizeBytes = 4096): Vmstat {
  const rel = `devices/system/node/node${node}/vmstat`;
  return parseVmstat(root.readSys(rel), root.sysPath(rel), pageSizeBytes);
}
