import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { cgroupFlatEntries, cgroupNestedKeyed, parseCgroupLimit, parseCgroupValue, type CgroupNestedRow } from './cgroup-kv.js';
import { readSysOptional, type SysGap } from './sys-optional.js';
import { parsePressure, type Pressure } from './pressure.js';

/**
 * cgroup v2 memory controller files (Documentation/admin-guide/cgroup-v2.rst, "Memory").
 *
 *   memory.stat:    anon 114688
 *
 * memory.current/peak/swap.current/zswap.current are bytes. Limits (min, low, high, max,
 * swap.max/high, zswap.max) are bytes or "max", read as `Infinity` (cgroup-kv.ts parseCgroupLimit).
 * Versions: memory.events.local 5.2+, memory.swap.events 5.1+ (swap.high 5.8+), memory.numa_stat
 * 5.8+, memory.peak 5.19+, memory.swap.peak 6.5+, memory.zswap.* 5.19+, oom_group_kill 5.19+.
 * memory.reclaim (5.19+) is write-only and never read. The root cgroup has no memory.max/high/low/
 * min/events; memory.current and memory.stat at the root only on newer kernels (stat 5.x+).
 */

/**
 * memory.stat keys that count events or pages rather than bytes: page-fault and reclaim
 * counters (pg*), THP events (thp_*), workingset_* (pages refaulted/activated/restored),
 * zswpin/zswpout/zswpwb, numa_* balancing counters, swpin_zero/swpout_zero. Everything else
 * in memory.stat is bytes (mm/memcontrol.c memcg_page_state_output_unit; cgroup-v2.rst).
 * The same rule holds for v1 memory.stat after stripping its "total_" prefix.
 */
export function isMemoryStatCountKey(key: string): boolean {
  return /^(pg|thp_|workingset_|zswp|numa_|swpin_|swpout_)/.test(key.replace(/^total_/, ''));
}

const STAT_BYTES = {
  anon: 'anonBytes',
  file: 'fileBytes',
  kernel: 'kernelBytes', // 5.18+
  kernel_stack: 'kernelStackBytes',
  pagetables: 'pageTablesBytes',
  sec_pagetables: 'secPageTablesBytes', // 6.0+
  percpu: 'percpuBytes',
  sock: 'sockBytes',
  vmalloc: 'vmallocBytes',
  shmem: 'shmemBytes',
  zswap: 'zswapBytes', // compressed size
  zswapped: 'zswappedBytes', // original size of what zswap holds
  file_mapped: 'fileMappedBytes',
  file_dirty: 'fileDirtyBytes',
  file_writeback: 'fileWritebackBytes',
  swapcached: 'swapCachedBytes',
  anon_thp: 'anonThpBytes',
  file_thp: 'fileThpBytes',
  shmem_thp: 'shmemThpBytes',
  inactive_anon: 'inactiveAnonBytes',
  active_anon: 'activeAnonBytes',
  inactive_file: 'inactiveFileBytes',
  active_file: 'activeFileBytes',
  unevictable: 'unevictableBytes',
  slab_reclaimable: 'slabReclaimableBytes',
  slab_unreclaimable: 'slabUnreclaimableBytes',
  slab: 'slabBytes',
  hugetlb: 'hugetlbBytes', // 6.6+, with the memory_hugetlb_accounting mount option
} as const;

type StatName = (typeof STAT_BYTES)[keyof typeof STAT_BYTES];

export type CgroupV2MemoryStat = { [K in StatName]?: number } & {
  /** Every line as printed: bytes, or a count where isMemoryStatCountKey(key). */
  raw: Record<string, number>;
  /** The byte-valued lines of raw. */
  bytes: Record<string, number>;
  /** The event/page-count lines of raw (pgfault, pgmajfault, workingset_*, thp_* ...). */
  counts: Record<string, number>;
};

/** memory.stat (flat keyed). Unknown keys land in raw/bytes/counts only. */
export function parseCgroupV2MemoryStat(text: string, path = 'memory.stat'): CgroupV2MemoryStat {
  const raw: Record<string, number> = {};
  const bytes: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const out: Record<string, unknown> = { raw, bytes, counts };
  const entries = cgroupFlatEntries(text, path);
  if (entries.length === 0) throw new ParseError(path, 1, '', 'memory.stat', 'empty file');
  for (const e of entries) {
    raw[e.key] = e.value;
    if (isMemoryStatCountKey(e.key)) counts[e.key] = e.value;
    else bytes[e.key] = e.value;
    const name = (STAT_BYTES as Record<string, string>)[e.key];
    if (name) out[name] = e.value;
  }
  return out as CgroupV2MemoryStat;
}

/** memory.events / memory.events.local: "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0". */
export interface CgroupV2MemoryEvents {
  /** Reclaimed while under memory.low protection. */
  low?: number;
  /** Throttled for exceeding memory.high. */
  high?: number;
  /** About to exceed memory.max. */
  max?: number;
  /** Charge failed at memory.max (OOM entered). */
  oom?: number;
  /** Processes killed by the OOM killer. */
  oomKill?: number;
  /** Group OOM kills (5.19+). */
  oomGroupKill?: number;
  /** Every line as printed. */
  raw: Record<string, number>;
}

const EVENT_NAMES: Record<string, keyof CgroupV2MemoryEvents> = {
  low: 'low',
  high: 'high',
  max: 'max',
  oom: 'oom',
  oom_kill: 'oomKill',
  oom_group_kill: 'oomGroupKill',
};

export function parseCgroupV2MemoryEvents(text: string, path = 'memory.events'): CgroupV2MemoryEvents {
  const raw: Record<string, number> = {};
  const out: Record<string, unknown> = { raw };
  for (const e of cgroupFlatEntries(text, path)) {
    raw[e.key] = e.value;
    const name = EVENT_NAMES[e.key];
    if (name) out[name] = e.value;
  }
  if (Object.keys(raw).length === 0) throw new ParseError(path, 1, '', 'memory.events', 'empty file');
  return out as unknown as CgroupV2MemoryEvents;
}

/** memory.swap.events (5.1+): "high 0\nmax 0\nfail 3" (high 5.8+). */
export interface CgroupV2SwapEvents {
  high?: number;
  max?: number;
  /** Swap-out attempts that failed because swap ran out or hit swap.max. */
  fail?: number;
  raw: Record<string, number>;
}

export function parseCgroupV2SwapEvents(text: string, path = 'memory.swap.events'): CgroupV2SwapEvents {
  const raw: Record<string, number> = {};
  for (const e of cgroupFlatEntries(text, path)) raw[e.key] = e.value;
  if (Object.keys(raw).length === 0) throw new ParseError(path, 1, '', 'memory.swap.events', 'empty file');
  return { high: raw.high, max: raw.max, fail: raw.fail, raw };
}

/**
 * memory.numa_stat (5.8+): "anon N0=1330585600 N1=1141161984". Bytes per node, or page counts
 * for the count keys (workingset_*), as in memory.stat.
 */
export type CgroupV2NumaStat = Record<string, Record<number, number>>;

export function parseCgroupV2NumaStat(text: string, path = 'memory.numa_stat'): CgroupV2NumaStat {
  const out: CgroupV2NumaStat = {};
  const rows: Record<string, CgroupNestedRow> = cgroupNestedKeyed(text, path);
  for (const [key, row] of Object.entries(rows)) {
    if (row.total !== undefined) throw new ParseError(path, 1, key, key, 'v1 "key=" syntax in a v2 file');
    out[key] = row.nodes;
  }
  return out;
}

/** A single byte count: memory.current, memory.peak, memory.swap.current/peak, memory.zswap.current. */
export function parseCgroupV2Bytes(text: string, path = 'memory.current'): number {
  return parseCgroupValue(text, path, 'bytes');
}

/** A limit: memory.min/low/high/max, memory.swap.high/max, memory.zswap.max ("max" -> Infinity). */
export function parseCgroupV2Limit(text: string, path = 'memory.max'): number {
  return parseCgroupLimit(text, path, 'limit');
}

/** memory.oom.group (4.19+) and memory.zswap.writeback (6.8+): "0" or "1". */
export function parseCgroupV2Flag(text: string, path = 'memory.oom.group'): boolean {
  const v = parseCgroupValue(text, path, 'flag');
  if (v !== 0 && v !== 1) throw new ParseError(path, 1, text.trim(), 'flag', 'expected 0 or 1');
  return v === 1;
}

export interface CgroupV2Memory {
  /** The directory, relative to the sys root (e.g. "fs/cgroup/system.slice"). */
  rel: string;
  memoryCurrentBytes?: number;
  memoryPeakBytes?: number;
  memoryMinBytes?: number;
  memoryLowBytes?: number;
  memoryHighBytes?: number;
  memoryMaxBytes?: number;
  swapCurrentBytes?: number;
  swapPeakBytes?: number;
  swapHighBytes?: number;
  swapMaxBytes?: number;
  zswapCurrentBytes?: number;
  zswapMaxBytes?: number;
  zswapWriteback?: boolean;
  oomGroup?: boolean;
  stat?: CgroupV2MemoryStat;
  events?: CgroupV2MemoryEvents;
  eventsLocal?: CgroupV2MemoryEvents;
  swapEvents?: CgroupV2SwapEvents;
  numaStat?: CgroupV2NumaStat;
  /** memory.pressure (4.20+, CONFIG_PSI; psi=0 makes the read fail: a gap). */
  pressure?: Pressure;
  /** Files that exist but could not be read or parsed. */
  gaps: SysGap[];
}

/**
 * Every memory file of one cgroup v2 directory, `cgroupRel` relative to the sys root
 * (e.g. "fs/cgroup/unified/user.slice"). Each file is optional; absent files stay undefined.
 */
export function readCgroupV2Memory(root: ProcRoot, cgroupRel: string): CgroupV2Memory {
  const gaps: SysGap[] = [];
  const dir = cgroupRel.replace(/\/+$/, '');
  const f = <T>(name: string, parse: (t: string, p: string) => T) => readSysOptional(root, `${dir}/${name}`, parse, gaps);
  return {
    rel: dir,
    memoryCurrentBytes: f('memory.current', parseCgroupV2Bytes),
    memoryPeakBytes: f('memory.peak', parseCgroupV2Bytes),
    memoryMinBytes: f('memory.min', parseCgroupV2Limit),
    memoryLowBytes: f('memory.low', parseCgroupV2Limit),
    memoryHighBytes: f('memory.high', parseCgroupV2Limit),
    memoryMaxBytes: f('memory.max', parseCgroupV2Limit),
    swapCurrentBytes: f('memory.swap.current', parseCgroupV2Bytes),
    swapPeakBytes: f('memory.swap.peak', parseCgroupV2Bytes),
    swapHighBytes: f('memory.swap.high', parseCgroupV2Limit),
    swapMaxBytes: f('memory.swap.max', parseCgroupV2Limit),
    zswapCurrentBytes: f('memory.zswap.current', parseCgroupV2Bytes),
    zswapMaxBytes: f('memory.zswap.max', parseCgroupV2Limit),
    zswapWriteback: f('memory.zswap.writeback', parseCgroupV2Flag),
    oomGroup: f('memory.oom.group', parseCgroupV2Flag),
    stat: f('memory.stat', parseCgroupV2MemoryStat),
    events: f('memory.events', parseCgroupV2MemoryEvents),
    eventsLocal: f('memory.events.local', parseCgroupV2MemoryEvents),
    swapEvents: f('memory.swap.events', parseCgroupV2SwapEvents),
    numaStat: f('memory.numa_stat', parseCgroupV2NumaStat),
    pressure: f('memory.pressure', parsePressure),
    gaps,
  };
}
