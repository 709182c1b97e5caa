import { describe, expect, it } from 'vitest';
import { derive } from '../../src/model/derive.js';
import { reclaimSystem } from '../../src/analyze/reclaim.js';
import { memcgReclaim, type MemcgReading } from '../../src/analyze/reclaim-memcg.js';
import { readFixture } from '../helpers/fixtures.js';
import { VMSTAT_618, bumpVmstat, makeSample } from '../model/make-sample.js';

const over2s = (before: string, after: string) =>
  reclaimSystem(derive(makeSample({ takenAtMs: 0, uptimeSeconds: 10, vmstat: before }), makeSample({ takenAtMs: 2000, uptimeSeconds: 12, vmstat: after })));

describe('reclaimSystem on a 6.18 vmstat', () => {
  const after = bumpVmstat(VMSTAT_618, {
    pgscan_kswapd: 1000, pgsteal_kswapd: 800, pgscan_direct: 200, pgsteal_direct: 50,
    pgscan_anon: 100, pgscan_file: 1400, pgsteal_anon: 0, pgsteal_file: 1000,
    allocstall_normal: 3, allocstall_movable: 1, compact_stall: 2, workingset_refault_file: 640,
  });
  const r = over2s(VMSTAT_618, after);

  it('splits scanned and stolen by reclaimer, with efficiency', () => {
    expect(r.kswapd).toMatchObject({ scannedPages: 1000, stolenPages: 800, efficiency: 0.8, stolenPerSecond: 400 });
    expect(r.direct).toMatchObject({ scannedPages: 200, stolenPages: 50, efficiency: 0.25 });
    expect(r.khugepaged).toMatchObject({ scannedPages: 0, stolenPages: 0, efficiency: undefined });
  });

  it('attributes reclaim missing from kswapd and direct to cgroup limits', () => {
    expect(r.all).toMatchObject({ scannedPages: 1500, stolenPages: 1000 });
    expect(r.cgroupLimit).toMatchObject({ scannedPages: 300, stolenPages: 150, efficiency: 0.5 });
  });

  it('sums allocstall over zones and keeps the 5.9+ refault split', () => {
    const c = Object.fromEntries(r.counters.map((x) => [x.name, x]));
    expect(c.allocstall.count).toBe(4);
    expect(c.allocstall.perSecond).toBe(2);
    expect(c.compact_stall.count).toBe(2);
    expect(c.workingset_refault_file.count).toBe(640);
    expect(c.workingset_refault).toBeUndefined();
    for (const x of r.counters) expect(x.meaning.length).toBeGreaterThan(10);
  });
});

describe('reclaimSystem on a pre-4.8 vmstat (per-zone counters, one refault line)', () => {
  const before = readFixture('prometheus-node_exporter/collector/fixtures/proc/vmstat');
  const after = bumpVmstat(before, { pgscan_kswapd_dma32: 10, pgscan_kswapd_normal: 90, pgsteal_kswapd_normal: 25, allocstall: 7, workingset_refault: 33 });
  const r = over2s(before, after);

  it('sums the zones', () => {
    expect(r.kswapd).toMatchObject({ scannedPages: 100, stolenPages: 25, efficiency: 0.25 });
    expect(r.direct).toMatchObject({ scannedPages: 0, stolenPages: 0 });
  });

  it('shows only what that kernel prints', () => {
    expect(r.khugepaged).toBeUndefined();
    expect(r.all).toBeUndefined();
    expect(r.cgroupLimit).toBeUndefined();
    const names = r.counters.map((c) => c.name);
    expect(names).toContain('workingset_refault');
    expect(names).not.toContain('workingset_refault_file');
    expect(r.counters.find((c) => c.name === 'allocstall')?.count).toBe(7);
    expect(r.counters.find((c) => c.name === 'workingset_refault')?.count).toBe(33);
  });
});

describe('memcgReclaim', () => {
  const v1 = (path: string, c: Record<string, number>, limitBytes?: number): MemcgReading => ({ hierarchy: 'v1', path, counters: c, hierarchical: false, limitBytes });
  const v2 = (path: string, c: Record<string, number>): MemcgReading => ({ hierarchy: 'v2', path, counters: c, hierarchical: true, eventsLocal: true });

  it('ranks v1 cgroups by limit hits (failcnt) and uses their own counters', () => {
    const prev = [v1('/', { failcnt: 0, pgpgout: 100 }), v1('/a', { failcnt: 5, pgpgout: 10, workingset_refault_file: 0 }, 64 << 20), v1('/b', { failcnt: 0, pgpgout: 0 })];
    const cur = [v1('/', { failcnt: 0, pgpgout: 900 }), v1('/a', { failcnt: 305, pgpgout: 1510, workingset_refault_file: 4000 }, 64 << 20), v1('/b', { failcnt: 0, pgpgout: 0 })];
    const rows = memcgReclaim(prev, cur);
    expect(rows.map((r) => r.path)).toEqual(['/a']);
    expect(rows[0]).toMatchObject({ limitHits: 300, refaultPages: 4000, unchargeEvents: 1500, limitBytes: 64 << 20 });
    expect(memcgReclaim(prev, cur, { all: true }).map((r) => r.path)).toEqual(['/a', '/', '/b']);
  });

  it('subtracts v2 children from their parent (memory.stat is hierarchical)', () => {
    const z = { pgscan_direct: 0, pgsteal_direct: 0, pgscan_kswapd: 0, pgsteal_kswapd: 0, events_max: 0 };
    const prev = [v2('/', z), v2('/p', z), v2('/p/c', z)];
    const cur = [
      v2('/', { ...z, pgscan_direct: 1000, pgsteal_direct: 600, pgscan_kswapd: 50, pgsteal_kswapd: 50 }),
      v2('/p', { ...z, pgscan_direct: 1000, pgsteal_direct: 600 }),
      v2('/p/c', { ...z, pgscan_direct: 800, pgsteal_direct: 400, events_max: 12 }),
    ];
    const rows = memcgReclaim(prev, cur);
    const by = Object.fromEntries(rows.map((r) => [r.path, r]));
    expect(rows[0].path).toBe('/p/c');
    expect(by['/p/c']).toMatchObject({ scannedPages: 800, stolenPages: 400, efficiency: 0.5, limitHits: 12 });
    expect(by['/p']).toMatchObject({ scannedPages: 200, stolenPages: 200, limitHits: 0 });
    // The root's own share: kswapd only (its direct reclaim all happened in /p).
    expect(by['/']).toMatchObject({ scannedPages: 50, stolenPages: 50 });
  });

  it('leaves out cgroups that appeared meanwhile and counters that went backwards', () => {
    const rows = memcgReclaim([v1('/a', { failcnt: 9 })], [v1('/a', { failcnt: 2 }), v1('/new', { failcnt: 50 })], { all: true });
    expect(rows.map((r) => r.path)).toEqual(['/a']);
    expect(rows[0].limitHits).toBeUndefined();
  });
});
