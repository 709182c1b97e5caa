import type { Snapshot } from '../model/derive.js';

/**
 * Page reclaim over an interval, from /proc/vmstat deltas (mm/vmscan.c, mm/vmstat.c).
 *
 * Who reclaims:
 * - kswapd: the per-node background thread, woken when free memory falls below the low watermark.
 * - direct: an allocating task that found too little free memory reclaims by itself and waits.
 * - khugepaged (6.3+; counted as direct before) and proactive (memory.reclaim, recent kernels).
 * - a memory cgroup at its limit: the charging task reclaims from that cgroup. mm/vmscan.c counts
 *   this in pgscan_anon/pgscan_file/pgsteal_* (5.8+) and in the cgroup's own counters, but not in
 *   pgscan_kswapd/pgscan_direct (`if (!cgroup_reclaim(sc))`), nor in allocstall. Measured on
 *   6.18: a 64 MiB v1 cgroup reading a 200 MiB file raised pgscan_file by 137728 pages and left
 *   pgscan_kswapd and pgscan_direct at 0.
 */

/** A scanned/stolen pair. Efficiency is stolen/scanned: low means reclaim works hard for little. */
export interface ReclaimPair {
  scannedPages?: number;
  stolenPages?: number;
  scannedPerSecond?: number;
  stolenPerSecond?: number;
  /** 0..1; undefined when nothing was scanned. */
  efficiency?: number;
}

export interface ReclaimCounter {
  /** The /proc/vmstat name (zone-suffixed variants summed). */
  name: string;
  count?: number;
  perSecond?: number;
  unit: 'pages' | 'events';
  meaning: string;
}

export interface ReclaimSystem {
  intervalSeconds?: number;
  sameBoot: boolean;
  pageSizeBytes: number;
  kswapd: ReclaimPair;
  direct: ReclaimPair;
  /** Only when the kernel prints pgscan_khugepaged (6.3+). */
  khugepaged?: ReclaimPair;
  /** Only when the kernel prints pgscan_proactive. */
  proactive?: ReclaimPair;
  /** pgscan_anon + pgscan_file (5.8+): every reclaim, cgroup-limit reclaim included. */
  all?: ReclaimPair;
  /** all minus kswapd, direct, khugepaged, proactive: what memory cgroup limits forced (5.8+). */
  cgroupLimit?: ReclaimPair;
  counters: ReclaimCounter[];
}

const ZONES = ['dma', 'dma32', 'normal', 'high', 'movable', 'device'];

/** A raw delta, or the sum of its per-zone variants (allocstall_<zone> 4.10+, pgscan_*_<zone> before 4.8). */
function rawDelta(raw: Record<string, number>, base: string): number | undefined {
  if (raw[base] !== undefined) return raw[base];
  let sum: number | undefined;
  for (const z of ZONES) if (raw[`${base}_${z}`] !== undefined) sum = (sum ?? 0) + raw[`${base}_${z}`];
  return sum;
}

function pair(scanned: number | undefined, stolen: number | undefined, seconds: number | undefined): ReclaimPair {
  const rate = (n: number | undefined) => (n === undefined || seconds === undefined ? undefined : n / seconds);
  return {
    scannedPages: scanned,
    stolenPages: stolen,
    scannedPerSecond: rate(scanned),
    stolenPerSecond: rate(stolen),
    efficiency: scanned !== undefined && stolen !== undefined && scanned > 0 ? Math.min(1, stolen / scanned) : undefined,
  };
}

const add = (...xs: (number | undefined)[]): number | undefined => (xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, x) => a + x!, 0));

/** Counters shown with their meaning; a line appears only when this kernel prints it. */
const RECLAIM_COUNTERS: Omit<ReclaimCounter, 'count' | 'perSecond'>[] = [
  { name: 'allocstall', unit: 'events', meaning: 'allocations that entered direct reclaim (global shortage; cgroup-limit reclaim not counted)' },
  { name: 'pgscan_direct_throttle', unit: 'events', meaning: 'direct reclaimers put to sleep until kswapd made progress' },
  { name: 'compact_stall', unit: 'events', meaning: 'allocations that waited for compaction to assemble contiguous free pages' },
  { name: 'compact_success', unit: 'events', meaning: 'of those, compactions that produced the page wanted' },
  { name: 'compact_fail', unit: 'events', meaning: 'of those, compactions that did not' },
  { name: 'workingset_refault_anon', unit: 'pages', meaning: 'evicted anon pages faulted back soon after (5.9+): the working set does not fit' },
  { name: 'workingset_refault_file', unit: 'pages', meaning: 'evicted file pages read back soon after (5.9+): the working set does not fit' },
  { name: 'workingset_refault', unit: 'pages', meaning: 'evicted pages read back soon after (before 5.9): the working set does not fit' },
  { name: 'workingset_activate_anon', unit: 'pages', meaning: 'refaulted anon pages that were recently in use, put straight on the active list' },
  { name: 'workingset_activate_file', unit: 'pages', meaning: 'refaulted file pages that were recently in use, put straight on the active list' },
  { name: 'workingset_activate', unit: 'pages', meaning: 'refaulted pages that were recently in use, put straight on the active list' },
  { name: 'workingset_restore_anon', unit: 'pages', meaning: 'refaulted anon pages that were active when evicted: thrashing' },
  { name: 'workingset_restore_file', unit: 'pages', meaning: 'refaulted file pages that were active when evicted: thrashing' },
  { name: 'workingset_restore', unit: 'pages', meaning: 'refaulted pages that were active when evicted: thrashing' },
];

export function reclaimSystem(snap: Snapshot): ReclaimSystem {
  const raw = snap.system.vmstatRaw;
  const s = snap.intervalSeconds;
  const printed = (k: string): boolean => snap.cur.system.vmstat?.raw[k] !== undefined;
  const out: ReclaimSystem = {
    intervalSeconds: s,
    sameBoot: snap.sameBoot,
    pageSizeBytes: snap.cur.header.caps.pageSizeBytes,
    kswapd: pair(rawDelta(raw, 'pgscan_kswapd'), rawDelta(raw, 'pgsteal_kswapd'), s),
    direct: pair(rawDelta(raw, 'pgscan_direct'), rawDelta(raw, 'pgsteal_direct'), s),
    counters: [],
  };
  if (printed('pgscan_khugepaged')) out.khugepaged = pair(raw.pgscan_khugepaged, raw.pgsteal_khugepaged, s);
  if (printed('pgscan_proactive')) out.proactive = pair(raw.pgscan_proactive, raw.pgsteal_proactive, s);
  if (printed('pgscan_anon') && printed('pgscan_file')) {
    const scanned = add(raw.pgscan_anon, raw.pgscan_file);
    const stolen = add(raw.pgsteal_anon, raw.pgsteal_file);
    out.all = pair(scanned, stolen, s);
    // Counters a kernel does not print are 0 here: they were folded into another line or not kept.
    const sub = (all: number | undefined, parts: (number | undefined)[]) =>
      all === undefined ? undefined : Math.max(0, all - parts.reduce<number>((a, p) => a + (p ?? 0), 0));
    out.cgroupLimit = pair(
      sub(scanned, [out.kswapd.scannedPages, out.direct.scannedPages, out.khugepaged?.scannedPages, out.proactive?.scannedPages]),
      sub(stolen, [out.kswapd.stolenPages, out.direct.stolenPages, out.khugepaged?.stolenPages, out.proactive?.stolenPages]),
      s,
    );
  }
  for (const c of RECLAIM_COUNTERS) {
    const present = printed(c.name) || (c.name === 'allocstall' && ZONES.some((z) => printed(`allocstall_${z}`)));
    if (!present) continue;
    const count = rawDelta(raw, c.name);
    out.counters.push({ ...c, count, perSecond: count === undefined || s === undefined ? undefined : count / s });
  }
  return out;
}
