import { isProcError } from '../fs/errors.js';
import type { ProcRoot } from '../fs/proc-root.js';
import { readMemoryHierarchies, walkCgroupTree, type CgroupMount } from '../procfs/cgroup-tree.js';
import { parseCgroupV1Limit, parseCgroupV1MemoryStat, parseCgroupV1Value } from '../procfs/cgroup-v1.js';
import { parseCgroupV2Bytes, parseCgroupV2Limit, parseCgroupV2MemoryEvents, parseCgroupV2MemoryStat } from '../procfs/cgroup-v2.js';
import { readSysOptional, type SysGap } from '../procfs/sys-optional.js';
import type { MemcgReading } from '../analyze/reclaim-memcg.js';

/**
 * One reading of the reclaim counters of every memory cgroup, on whichever hierarchy carries the
 * memory controller. Only the few files reclaim needs are read (not numa_stat or kmem.slabinfo).
 */
export interface MemcgReadings {
  hierarchy?: 'v1' | 'v2';
  readings: MemcgReading[];
  /** Why the list is empty or partial. */
  notes: string[];
}

function hierarchyPath(m: CgroupMount, inside: string): string {
  const r = m.root === '/' ? '' : m.root.replace(/\/+$/, '');
  return inside === '/' ? r || '/' : `${r}${inside}`;
}

/** The counters of memory.stat that reclaim analysis uses (counts, not byte gauges). */
const V1_STAT = ['pgpgin', 'pgpgout', 'pgfault', 'pgmajfault', 'workingset_refault_anon', 'workingset_refault_file', 'workingset_refault'];
const V2_STAT = /^(pgscan_|pgsteal_|workingset_(refault|activate|restore)|pgmajfault$|pgfault$)/;

export function readMemcgReadings(root: ProcRoot): MemcgReadings {
  const notes: string[] = [];
  if (!root.hasSys()) return { readings: [], notes: ['no /sys root: per-cgroup reclaim is unknown'] };
  let h;
  try {
    h = readMemoryHierarchies(root);
  } catch (e) {
    if (!isProcError(e)) throw e;
    return { readings: [], notes: [`cgroup mounts unreadable (${e.kind}): per-cgroup reclaim is unknown`] };
  }
  const v2 = h.v2.find((m) => m.sysRel !== undefined);
  const v1 = h.v1Memory.find((m) => m.sysRel !== undefined);
  const gaps: SysGap[] = [];
  const readings: MemcgReading[] = [];
  let hierarchy: 'v1' | 'v2' | undefined;
  if (h.memoryOnV2 && v2) {
    hierarchy = 'v2';
    for (const dir of walk(root, v2, notes)) {
      const f = <T>(name: string, parse: (t: string, p: string) => T) => readSysOptional(root, `${dir.rel}/${name}`, parse, gaps);
      const stat = f('memory.stat', parseCgroupV2MemoryStat);
      if (!stat) continue;
      const counters: Record<string, number> = {};
      for (const [k, v] of Object.entries(stat.counts)) if (V2_STAT.test(k)) counters[k] = v;
      const local = f('memory.events.local', parseCgroupV2MemoryEvents);
      const events = local ?? f('memory.events', parseCgroupV2MemoryEvents);
      for (const [k, v] of Object.entries(events?.raw ?? {})) counters[`events_${k}`] = v;
      const max = f('memory.max', parseCgroupV2Limit);
      readings.push({
        hierarchy: 'v2',
        path: hierarchyPath(v2, dir.path),
        counters,
        hierarchical: true,
        eventsLocal: local !== undefined,
        limitBytes: max !== undefined && Number.isFinite(max) ? max : undefined,
        usageBytes: f('memory.current', parseCgroupV2Bytes),
      });
    }
  } else if (v1) {
    hierarchy = 'v1';
    for (const dir of walk(root, v1, notes)) {
      const f = <T>(name: string, parse: (t: string, p: string) => T) => readSysOptional(root, `${dir.rel}/${name}`, parse, gaps);
      const stat = f('memory.stat', parseCgroupV1MemoryStat);
      const counters: Record<string, number> = {};
      for (const k of V1_STAT) if (stat?.local[k] !== undefined) counters[k] = stat.local[k];
      const failcnt = f('memory.failcnt', parseCgroupV1Value);
      if (failcnt !== undefined) counters.failcnt = failcnt;
      const memswFailcnt = f('memory.memsw.failcnt', parseCgroupV1Value);
      if (memswFailcnt !== undefined) counters.memsw_failcnt = memswFailcnt;
      if (!stat && failcnt === undefined) continue;
      const limit = f('memory.limit_in_bytes', parseCgroupV1Limit);
      readings.push({
        hierarchy: 'v1',
        path: hierarchyPath(v1, dir.path),
        counters,
        hierarchical: false,
        limitBytes: limit !== undefined && Number.isFinite(limit) ? limit : undefined,
        usageBytes: f('memory.usage_in_bytes', parseCgroupV1Value),
      });
    }
  } else {
    notes.push('no memory cgroup hierarchy under /sys: per-cgroup reclaim is unknown');
  }
  // A cgroup removed while we read it leaves 'absent' (not a gap); anything else is worth a note.
  if (gaps.length > 0) notes.push(`${gaps.length} cgroup files unreadable (e.g. ${gaps[0].rel}: ${gaps[0].error.kind})`);
  return { hierarchy, readings, notes };
}

function walk(root: ProcRoot, m: CgroupMount, notes: string[]) {
  try {
    return walkCgroupTree(root, m.sysRel!);
  } catch (e) {
    if (!isProcError(e)) throw e;
    notes.push(`${m.mountPoint}: ${e.kind}`);
    return [];
  }
}
