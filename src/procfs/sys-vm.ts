import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { readDirFiles, sysValues, type SysValue } from './sys-dir.js';

/**
 * /proc/sys/vm/* (Documentation/admin-guide/sysctl/vm.rst), one value per file.
 *
 *   /proc/sys/vm/overcommit_memory: 0
 *
 * The directory is read whole into `raw` (name -> number, number list or text); a sysctl this
 * kernel lacks is undefined. Write-only triggers (drop_caches, compact_memory) and stat_refresh
 * (reading it folds every per-CPU vmstat delta: work, not state) are not read. *_kbytes are KiB,
 * converted to bytes.
 */

/** sysctl -> [property, multiplier]. */
const FIELDS = {
  overcommit_memory: ['overcommitMemory', 1],
  overcommit_ratio: ['overcommitRatioPct', 1],
  overcommit_kbytes: ['overcommitBytes', 1024], // 3.14+: non-zero replaces overcommit_ratio
  admin_reserve_kbytes: ['adminReserveBytes', 1024], // 3.10+
  user_reserve_kbytes: ['userReserveBytes', 1024], // 3.10+
  swappiness: ['swappiness', 1],
  min_free_kbytes: ['minFreeBytes', 1024],
  watermark_scale_factor: ['watermarkScaleFactor', 1], // 4.6+, in 1/10000 of zone size
  watermark_boost_factor: ['watermarkBoostFactor', 1], // 5.0+
  panic_on_oom: ['panicOnOom', 1],
  oom_kill_allocating_task: ['oomKillAllocatingTask', 1],
  oom_dump_tasks: ['oomDumpTasks', 1],
  nr_hugepages: ['nrHugepages', 1], // default hugepage size only
  nr_hugepages_mempolicy: ['nrHugepagesMempolicy', 1],
  nr_overcommit_hugepages: ['nrOvercommitHugepages', 1],
  max_map_count: ['maxMapCount', 1],
  zone_reclaim_mode: ['zoneReclaimMode', 1],
  dirty_ratio: ['dirtyRatioPct', 1],
  dirty_background_ratio: ['dirtyBackgroundRatioPct', 1],
  dirty_bytes: ['dirtyBytes', 1],
  dirty_background_bytes: ['dirtyBackgroundBytes', 1],
  vfs_cache_pressure: ['vfsCachePressure', 1],
  min_unmapped_ratio: ['minUnmappedRatioPct', 1],
  min_slab_ratio: ['minSlabRatioPct', 1],
  'page-cluster': ['pageCluster', 1], // log2 of pages read ahead on swap-in
  compaction_proactiveness: ['compactionProactiveness', 1], // 5.9+
  extfrag_threshold: ['extfragThreshold', 1],
  laptop_mode: ['laptopMode', 1],
  memory_failure_early_kill: ['memoryFailureEarlyKill', 1],
} as const;

type FieldName = (typeof FIELDS)[keyof typeof FIELDS][0];

export type SysVm = { [K in FieldName]?: number } & {
  /** 0 heuristic, 1 always, 2 never (strict accounting against CommitLimit). */
  overcommitMemory?: 0 | 1 | 2;
  /** "lowmem_reserve_ratio": one divisor per zone type. */
  lowmemReserveRatio?: number[];
  /** Every file read, by name: numbers, number lists, or text ("Node" for numa_zonelist_order). */
  raw: Record<string, SysValue>;
};

const SKIP = new Set(['drop_caches', 'compact_memory', 'stat_refresh']);

/** Files of /proc/sys/vm by name -> typed record. */
export function parseSysVm(files: Record<string, string>, dir = '/proc/sys/vm'): SysVm {
  const raw = sysValues(Object.fromEntries(Object.entries(files).filter(([k]) => !SKIP.has(k))));
  const out: Record<string, unknown> = { raw };
  for (const [name, [prop, mult]] of Object.entries(FIELDS)) {
    const v = raw[name];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw new ParseError(`${dir}/${name}`, 1, String(files[name]).split('\n')[0], name, 'expected an integer');
    out[prop] = v * mult;
  }
  if (out.overcommitMemory !== undefined && ![0, 1, 2].includes(out.overcommitMemory as number)) {
    throw new ParseError(`${dir}/overcommit_memory`, 1, String(files.overcommit_memory).trim(), 'overcommit_memory', 'expected 0, 1 or 2');
  }
  const lr = raw.lowmem_reserve_ratio;
  if (typeof lr === 'string') throw new ParseError(`${dir}/lowmem_reserve_ratio`, 1, lr, 'lowmem_reserve_ratio', 'expected integers');
  if (lr !== undefined) out.lowmemReserveRatio = typeof lr === 'number' ? [lr] : lr;
  return out as SysVm;
}

export function readSysVm(root: ProcRoot): SysVm {
  const files = readDirFiles(
    () => root.listProc('sys/vm'),
    (name) => root.readProc(`sys/vm/${name}`),
    SKIP,
  );
  return parseSysVm(files, root.procPath('sys/vm'));
}
