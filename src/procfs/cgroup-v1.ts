import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { cgroupFlatEntries, cgroupNestedKeyed, parseCgroupValue, cgroupV1Limit } from './cgroup-kv.js';
import { readSysOptional, type SysGap } from './sys-optional.js';
import { parseSlabinfo, type Slabinfo } from './slabinfo.js';

/**
 * cgroup v1 memory controller files (Documentation/admin-guide/cgroup-v1/memory.rst).
 *
 *   memory.stat:    cache 10420224
 *
 * Usage and limit files are bytes. A limit at or above 2^62 is "unlimited" and read as
 * `Infinity` (see cgroup-kv.ts UNLIMITED_THRESHOLD_BYTES: PAGE_COUNTER_MAX 9223372036854771712 on
 * 3.19+, LLONG_MAX on 2.6.32, ULLONG_MAX on 3.x res_counter kernels). memory.memsw.* exists only
 * with swap accounting (CONFIG_MEMCG_SWAP + swapaccount=1); memory.kmem.* since 3.8, with
 * kmem.limit_in_bytes deprecated in 5.16. memory.oom_control's "oom_kill" line is 4.13+.
 */

const STAT_FIELDS = {
  cache: 'cacheBytes',
  rss: 'rssBytes',
  rss_huge: 'rssHugeBytes', // 3.12+
  shmem: 'shmemBytes', // 4.15+
  mapped_file: 'mappedFileBytes',
  dirty: 'dirtyBytes', // 4.2+
  writeback: 'writebackBytes',
  swap: 'swapBytes', // only with swap accounting
  swapcached: 'swapCachedBytes', // 5.x+
  inactive_anon: 'inactiveAnonBytes',
  active_anon: 'activeAnonBytes',
  inactive_file: 'inactiveFileBytes',
  active_file: 'activeFileBytes',
  unevictable: 'unevictableBytes',
  pgpgin: 'pgpgin', // pages charged (count)
  pgpgout: 'pgpgout', // pages uncharged (count)
  pgfault: 'pgfault',
  pgmajfault: 'pgmajfault',
} as const;

type StatName = (typeof STAT_FIELDS)[keyof typeof STAT_FIELDS];

export type CgroupV1MemoryStat = { [K in StatName]?: number } & {
  /** "hierarchical_memory_limit": the smallest limit on the path to the root; Infinity if none. */
  hierarchicalMemoryLimitBytes?: number;
  /** "hierarchical_memsw_limit" (swap accounting only); Infinity if none. */
  hierarchicalMemswLimitBytes?: number;
  /** This cgroup's own lines (no "total_" prefix), as printed: bytes or counts (cgroup-v2.ts isMemoryStatCountKey). */
  local: Record<string, number>;
  /** The "total_*" lines (this cgroup and its descendants), keyed without the prefix. */
  hierarchical: Record<string, number>;
  /** Every line as printed. */
  raw: Record<string, number>;
};

/** memory.stat (flat keyed). Bytes, except pgpgin/pgpgout/pgfault/pgmajfault/workingset_* counts. */
export function parseCgroupV1MemoryStat(text: string, path = 'memory.stat'): CgroupV1MemoryStat {
  const raw: Record<string, number> = {};
  const local: Record<string, number> = {};
  const hierarchical: Record<string, number> = {};
  const out: Record<string, unknown> = { raw, local, hierarchical };
  const entries = cgroupFlatEntries(text, path);
  if (entries.length === 0) throw new ParseError(path, 1, '', 'memory.stat', 'empty file');
  for (const e of entries) {
    raw[e.key] = e.value;
    if (e.key === 'hierarchical_memory_limit') out.hierarchicalMemoryLimitBytes = cgroupV1Limit(e.value);
    else if (e.key === 'hierarchical_memsw_limit') out.hierarchicalMemswLimitBytes = cgroupV1Limit(e.value);
    else if (e.key.startsWith('total_')) hierarchical[e.key.slice(6)] = e.value;
    else {
      local[e.key] = e.value;
      const name = (STAT_FIELDS as Record<string, string>)[e.key];
      if (name) out[name] = e.value;
    }
  }
  return out as CgroupV1MemoryStat;
}

/** memory.oom_control: "oom_kill_disable 0\nunder_oom 0\noom_kill 0". */
export interface CgroupV1OomControl {
  oomKillDisable: boolean;
  underOom: boolean;
  /** 4.13+: processes killed by the OOM killer in this cgroup. */
  oomKill?: number;
  raw: Record<string, number>;
}

export function parseCgroupV1OomControl(text: string, path = 'memory.oom_control'): CgroupV1OomControl {
  const raw: Record<string, number> = {};
  for (const e of cgroupFlatEntries(text, path)) raw[e.key] = e.value;
  for (const k of ['oom_kill_disable', 'under_oom']) {
    if (raw[k] === undefined) throw new ParseError(path, 1, text.split('\n')[0] ?? '', k, 'missing');
  }
  return { oomKillDisable: raw.oom_kill_disable !== 0, underOom: raw.under_oom !== 0, oomKill: raw.oom_kill, raw };
}

/**
 * memory.numa_stat (3.x+): "total=3609 N0=3609". Page counts, not bytes (memory.rst 5.6):
 * multiply by the page size. "hierarchical_*" rows (4.x+) include descendants.
 */
export type CgroupV1NumaStatPages = Record<string, { totalPages: number; nodePages: Record<number, number> }>;

export function parseCgroupV1NumaStat(text: string, path = 'memory.numa_stat'): CgroupV1NumaStatPages {
  const out: CgroupV1NumaStatPages = {};
  for (const [key, row] of Object.entries(cgroupNestedKeyed(text, path))) {
    if (row.total === undefined) throw new ParseError(path, 1, key, key, 'expected key=total');
    out[key] = { totalPages: row.total, nodePages: row.nodes };
  }
  if (Object.keys(out).length === 0) throw new ParseError(path, 1, '', 'numa_stat', 'empty file');
  return out;
}

/** A single counter: *usage_in_bytes, *max_usage_in_bytes, *failcnt, swappiness, use_hierarchy ... */
export function parseCgroupV1Value(text: string, path = 'memory.usage_in_bytes'): number {
  return parseCgroupValue(text, path, 'value');
}

/** A *limit_in_bytes file: bytes, or Infinity for the "unlimited" values. */
export function parseCgroupV1Limit(text: string, path = 'memory.limit_in_bytes'): number {
  return cgroupV1Limit(parseCgroupValue(text, path, 'limit'));
}

/**
 * memory.kmem.slabinfo (4.0+ with kmem accounting: /proc/slabinfo's format for this cgroup's own
 * caches). Empty when kmem accounting is inactive and on 5.9+, where slab objects are charged
 * through obj_cgroup and per-memcg caches are gone: then undefined.
 */
export function parseCgroupV1KmemSlabinfo(text: string, path = 'memory.kmem.slabinfo'): Slabinfo | undefined {
  if (text.trim() === '') return undefined;
  return parseSlabinfo(text, path);
}

/** Usage/limit/peak/failcnt of one page counter (memory, memsw, kmem, kmem.tcp). */
export interface CgroupV1Counter {
  usageBytes?: number;
  maxUsageBytes?: number;
  limitBytes?: number;
  failcnt?: number;
}

export interface CgroupV1Memory {
  /** The directory, relative to the sys root (e.g. "fs/cgroup/memory/system.slice"). */
  rel: string;
  memory: CgroupV1Counter;
  /** memory+swap: absent without swap accounting. */
  memsw: CgroupV1Counter;
  kmem: CgroupV1Counter;
  kmemTcp: CgroupV1Counter;
  softLimitBytes?: number;
  swappiness?: number;
  useHierarchy?: boolean;
  stat?: CgroupV1MemoryStat;
  oomControl?: CgroupV1OomControl;
  numaStat?: CgroupV1NumaStatPages;
  /** undefined also when the file is empty (see parseCgroupV1KmemSlabinfo). */
  kmemSlabinfo?: Slabinfo;
  gaps: SysGap[];
}

/** Every memory file of one cgroup v1 directory (relative to the sys root); each optional. */
export function readCgroupV1Memory(root: ProcRoot, relPath: string): CgroupV1Memory {
  const gaps: SysGap[] = [];
  const dir = relPath.replace(/\/+$/, '');
  const f = <T>(name: string, parse: (t: string, p: string) => T) => readSysOptional(root, `${dir}/${name}`, parse, gaps);
  const counter = (prefix: string): CgroupV1Counter => ({
    usageBytes: f(`${prefix}usage_in_bytes`, parseCgroupV1Value),
    maxUsageBytes: f(`${prefix}max_usage_in_bytes`, parseCgroupV1Value),
    limitBytes: f(`${prefix}limit_in_bytes`, parseCgroupV1Limit),
    failcnt: f(`${prefix}failcnt`, parseCgroupV1Value),
  });
  const useHierarchy = f('memory.use_hierarchy', parseCgroupV1Value);
  return {
    rel: dir,
    memory: counter('memory.'),
    memsw: counter('memory.memsw.'),
    kmem: counter('memory.kmem.'),
    kmemTcp: counter('memory.kmem.tcp.'),
    softLimitBytes: f('memory.soft_limit_in_bytes', parseCgroupV1Limit),
    swappiness: f('memory.swappiness', parseCgroupV1Value),
    useHierarchy: useHierarchy === undefined ? undefined : useHierarchy !== 0,
    stat: f('memory.stat', parseCgroupV1MemoryStat),
    oomControl: f('memory.oom_control', parseCgroupV1OomControl),
    numaStat: f('memory.numa_stat', parseCgroupV1NumaStat),
    kmemSlabinfo: f('memory.kmem.slabinfo', parseCgroupV1KmemSlabinfo),
    gaps,
  };
}
