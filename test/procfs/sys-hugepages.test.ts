import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHugepagePool, readNodeHugepages, readSysHugepages } from '../../src/procfs/sys-hugepages.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const sysOf = (rel: string) => new ProcRoot({ procDir: '/nonexistent', sysDir: `${SHARED_FIXTURES}/${rel}` });
const TELEGRAF = 'influxdata-telegraf/plugins/inputs/hugepages/testdata/valid';
const GiB = 1024 ** 3;

describe('sys-hugepages', () => {
  it.each([...fixturesOfKind('sysfs-hugepages'), ...fixturesOfKind('node-hugepages')].map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const name = path.basename(f.rel);
    const dir = path.basename(path.dirname(f.rel));
    const pool = parseHugepagePool(dir, { [name]: readFixture(f) }) as Record<string, number | undefined>;
    expect(pool.pageSizeBytes).toBe(Number(/(\d+)kB/.exec(dir)![1]) * 1024);
    const known = Object.keys(pool).filter((k) => k !== 'pageSizeBytes');
    if (['nr_hugepages', 'free_hugepages', 'demote_size', 'surplus_hugepages', 'resv_hugepages'].includes(name)) expect(known.length).toBeGreaterThan(0);
  });

  it.each(['performancecopilot-pcp/qa/linux/sysfs-hugepages-001/sys', 'performancecopilot-pcp/qa/linux/sysfs-hugepages-002/sys', 'performancecopilot-pcp/qa/linux/sysfs-hugepages-003/sys'])(
    'reads the pools of %s',
    (dir) => {
      for (const p of readSysHugepages(sysOf(dir))) {
        expect(p.freeHugepages).toBeLessThanOrEqual(p.nrHugepages!);
        expect(p.poolBytes).toBe(p.nrHugepages! * p.pageSizeBytes);
      }
    },
  );

  it('adds up to meminfo Hugetlb: and the per-node pools add up to the global ones', () => {
    const root = sysOf(TELEGRAF);
    const pools = readSysHugepages(root, 'mm/hugepages');
    expect(pools.map((p) => [p.pageSizeBytes, p.nrHugepages, p.freeHugepages])).toEqual([
      [2 * 1024 * 1024, 2048, 883],
      [GiB, 8, 0],
    ]);
    const meminfo = parseMeminfo(readFixture(`${TELEGRAF}/meminfo`));
    expect(pools.reduce((a, p) => a + p.poolBytes!, 0)).toBe(meminfo.hugetlbBytes);
    const nodes = readNodeHugepages(root, 'node');
    expect(nodes.map((n) => n.node)).toEqual([0, 1]);
    for (const g of pools) {
      const per = nodes.map((n) => n.pools.find((p) => p.pageSizeBytes === g.pageSizeBytes)!);
      expect(per.reduce((a, p) => a + p.nrHugepages!, 0)).toBe(g.nrHugepages);
      expect(per.reduce((a, p) => a + p.freeHugepages!, 0)).toBe(g.freeHugepages);
      expect(per[0].resvHugepages).toBeUndefined(); // not a per-node file
    }
  });

  it('reads per-node pools with demote_size (5.16+)', () => {
    const nodes = readNodeHugepages(sysOf('performancecopilot-pcp/qa/linux/meminfo-root-008/sys'));
    expect(nodes).toHaveLength(2);
    const gig = nodes[1].pools.find((p) => p.pageSizeBytes === GiB)!;
    expect(gig.demoteSizeBytes).toBe(2 * 1024 * 1024);
    expect(readNodeHugepages(sysOf('performancecopilot-pcp/qa/linux/sysfs-numa-001/sys')).map((n) => n.node)).toEqual([0, 1, 2, 3]);
  });

  it('reads aarch64 sizes (64 KiB to 1 GiB), ascending', () => {
    const pools = readSysHugepages(sysOf('performancecopilot-pcp/qa/linux/sysfs-hugepages-003/sys'));
    expect(pools.map((p) => p.pageSizeBytes / 1024)).toEqual([64, 2048, 32768, 1048576]);
    expect(pools[1]).toMatchObject({ nrHugepages: 2000, resvHugepages: 8, surplusHugepages: 4 });
  });

  it('reads the live kernel', () => {
    const pools = readSysHugepages(new ProcRoot());
    expect(pools.length).toBeGreaterThan(0);
    for (const p of pools) expect(p.freeHugepages).toBeLessThanOrEqual(p.nrHugepages!);
  });

  it('throws only ParseError on arbitrary text', () => {
    expect(() => parseHugepagePool('hugepages-2MB', {})).toThrow(ParseError);
    expect(() => parseHugepagePool('hugepages-2048kB', { demote_size: '2 MB' })).toThrow(ParseError);
    throwsOnlyParseError((t) => parseHugepagePool('hugepages-2048kB', { nr_hugepages: t }));
    throwsOnlyParseError((t) => parseHugepagePool(t, {}));
  });
});
