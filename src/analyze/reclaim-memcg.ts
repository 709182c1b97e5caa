import { counterDelta } from '../model/derive.js';

/**
 * Reclaim per memory cgroup, from two readings of every cgroup's counters.
 *
 * cgroup v2 memory.stat prints pgscan/pgsteal per reclaimer (pgscan_kswapd, pgscan_direct,
 * pgscan_khugepaged 6.3+ ...) and workingset_* in pages. Its counters are hierarchical (a parent
 * includes its descendants), so a cgroup's own share is its delta minus its children's.
 * memory.events.local (5.2+) gives "max" (charges that hit memory.max and reclaimed) for the
 * cgroup alone; memory.events counts descendants too.
 *
 * cgroup v1 memory.stat has no scan or steal counters at all (mm/memcontrol-v1.c memcg1_events:
 * pgpgin, pgpgout, pgfault, pgmajfault). What shows reclaim there:
 * - memory.failcnt: charges that found usage at memory.limit_in_bytes, each followed by reclaim
 *   from this cgroup (the counter that failed is the one counted: the limited cgroup itself);
 * - workingset_refault_anon/file (printed by v1 memory.stat on recent kernels), pages: evicted
 *   pages of this cgroup read back;
 * - pgpgout: uncharge events, one per folio (memcg1_charge_statistics counts calls, not pages):
 *   pages leaving the cgroup by reclaim, but also by exit, munmap, truncation.
 * v1 lines without "total_" are the cgroup's own, which is what is read here.
 */

export interface MemcgReading {
  hierarchy: 'v1' | 'v2';
  /** Path in the hierarchy: "/", "/system.slice/x.service". */
  path: string;
  /** Counters as printed (v2: hierarchical; v1: own). Names: memory.stat keys, "failcnt",
   *  "memsw_failcnt" (v1), "events_max", "events_high", "events_oom", "events_oom_kill" (v2). */
  counters: Record<string, number>;
  /** v2 counters above include descendants (subtracted here to get the cgroup's own). */
  hierarchical: boolean;
  /** v2: the events_* counters come from memory.events.local (own only), not memory.events. */
  eventsLocal?: boolean;
  limitBytes?: number;
  usageBytes?: number;
}

export interface MemcgReclaimRow {
  hierarchy: 'v1' | 'v2';
  path: string;
  limitBytes?: number;
  usageBytes?: number;
  /** Own deltas over the interval, by counter name (descendants subtracted for v2). */
  deltas: Record<string, number>;
  /** v2: pgscan_kswapd + pgscan_direct + pgscan_khugepaged + pgscan_proactive (own). */
  scannedPages?: number;
  /** v2: the pgsteal_* of the same reclaimers (own). */
  stolenPages?: number;
  /** stolen/scanned, v2 only. */
  efficiency?: number;
  /** v1 memory.failcnt rise, or v2 memory.events(.local) "max" rise: times the limit forced reclaim. */
  limitHits?: number;
  /** workingset_refault_anon + _file (pages): evicted from this cgroup and needed again. */
  refaultPages?: number;
  /** v1 pgpgout rise: folios uncharged (reclaim, exit, unmap, truncate). */
  unchargeEvents?: number;
  majfaults?: number;
}

const RECLAIMERS = ['kswapd', 'direct', 'khugepaged', 'proactive'];

const sumKeys = (d: Record<string, number>, keys: string[]): number | undefined =>
  keys.some((k) => d[k] !== undefined) ? keys.reduce((a, k) => a + (d[k] ?? 0), 0) : undefined;

function parentOf(path: string): string | undefined {
  if (path === '/') return undefined;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * Own deltas of every cgroup present in both readings, ranked by how much it reclaimed:
 * limit hits, then pages stolen, then refaults, then uncharge events. A cgroup created or
 * removed between the readings has no delta and is left out. Rows with no reclaim sign are
 * left out unless `all`.
 */
export function memcgReclaim(prev: MemcgReading[], cur: MemcgReading[], opts: { all?: boolean } = {}): MemcgReclaimRow[] {
  const id = (r: MemcgReading) => `${r.hierarchy}:${r.path}`;
  const before = new Map(prev.map((r) => [id(r), r]));
  const deltas = new Map<string, Record<string, number>>();
  for (const r of cur) {
    const q = before.get(id(r));
    if (!q) continue;
    const d: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.counters)) {
      const x = counterDelta(q.counters[k], v);
      if (x !== undefined) d[k] = x;
    }
    deltas.set(id(r), d);
  }
  // v2: subtract each child's (hierarchical) delta from its parent's.
  const own = new Map<string, Record<string, number>>();
  for (const [k, d] of deltas) own.set(k, { ...d });
  for (const r of cur) {
    if (!r.hierarchical) continue;
    const p = parentOf(r.path);
    const child = deltas.get(id(r));
    const parent = p === undefined ? undefined : own.get(`${r.hierarchy}:${p}`);
    if (!child || !parent) continue;
    for (const [k, v] of Object.entries(child)) {
      // memory.events.local is already local; only the hierarchical files are subtracted.
      if (k.startsWith('events_') && r.eventsLocal) continue;
      if (parent[k] !== undefined) parent[k] = Math.max(0, parent[k] - v);
    }
  }
  const rows: MemcgReclaimRow[] = [];
  for (const r of cur) {
    const d = own.get(id(r));
    if (!d) continue;
    const row: MemcgReclaimRow = { hierarchy: r.hierarchy, path: r.path, limitBytes: r.limitBytes, usageBytes: r.usageBytes, deltas: d };
    if (r.hierarchy === 'v2') {
      row.scannedPages = sumKeys(d, RECLAIMERS.map((x) => `pgscan_${x}`));
      row.stolenPages = sumKeys(d, RECLAIMERS.map((x) => `pgsteal_${x}`));
      if (row.scannedPages && row.stolenPages !== undefined) row.efficiency = Math.min(1, row.stolenPages / row.scannedPages);
      row.limitHits = d.events_max;
    } else {
      row.limitHits = d.failcnt;
      row.unchargeEvents = d.pgpgout;
    }
    row.refaultPages = sumKeys(d, ['workingset_refault_anon', 'workingset_refault_file', 'workingset_refault']);
    row.majfaults = d.pgmajfault;
    if (opts.all || reclaimed(row)) rows.push(row);
  }
  return rows.sort(byReclaim);
}

function reclaimed(r: MemcgReclaimRow): boolean {
  return (r.limitHits ?? 0) > 0 || (r.stolenPages ?? 0) > 0 || (r.scannedPages ?? 0) > 0 || (r.refaultPages ?? 0) > 0;
}

function byReclaim(a: MemcgReclaimRow, b: MemcgReclaimRow): number {
  for (const k of ['limitHits', 'stolenPages', 'refaultPages', 'unchargeEvents'] as const) {
    const x = a[k] ?? -1;
    const y = b[k] ?? -1;
    if (x !== y) return y - x;
  }
  return a.path.localeCompare(b.path);
}
