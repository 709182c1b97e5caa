import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { listNodes, parseNodeMeminfo, readNodeMeminfo } from '../../src/procfs/node-meminfo.js';
import { parseNodeNumastat, readNodeNumastat } from '../../src/procfs/node-numastat.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const sysOf = (rel: string) => new ProcRoot({ procDir: '/nonexistent', sysDir: `${SHARED_FIXTURES}/${rel}` });
const XEON = 'performancecopilot-pcp/qa/linux/meminfo-root-008/sys';

describe('parseNodeMeminfo', () => {
  it.each(fixturesOfKind('node-meminfo').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const m = parseNodeMeminfo(readFixture(f), f.rel);
    expect(m.node).toBe(Number(/node(\d+)\/meminfo$/.exec(f.rel)![1]));
    expect(m.memTotalBytes).toBeGreaterThan(0);
    if (m.memUsedBytes !== undefined) expect(m.memUsedBytes).toBe(m.memTotalBytes - m.memFreeBytes!);
  });

  it('reads a 5.16+ node exactly', () => {
    const m = readNodeMeminfo(sysOf(XEON), 1);
    expect(m.node).toBe(1);
    expect(m.memTotalBytes).toBe(132061668 * 1024);
    expect(m.memFreeBytes).toBe(110968740 * 1024);
    expect(m.memUsedBytes).toBe(21092928 * 1024);
    expect(m.swapCachedBytes).toBe(352 * 1024);
    expect(m.filePagesBytes).toBe(m.raw.FilePages);
    expect(m.hugePagesTotal).toBe(0);
  });

  it('lists the nodes of a 4-node VM, ignoring has_cpu, online ...', () => {
    const root = sysOf('performancecopilot-pcp/qa/linux/sysfs-numa-001/sys');
    expect(listNodes(root)).toEqual([0, 1, 2, 3]);
    const total = listNodes(root).reduce((a, n) => a + readNodeMeminfo(root, n).memTotalBytes, 0);
    expect(total).toBeGreaterThan(3 * 1024 ** 3);
  });

  it('throws ParseError on a missing or changing node prefix', () => {
    expect(() => parseNodeMeminfo('MemTotal: 1 kB\n')).toThrow(ParseError);
    expect(() => parseNodeMeminfo('Node 0 MemTotal: 1 kB\nNode 1 MemFree: 1 kB\n')).toThrow(ParseError);
    expect(() => parseNodeMeminfo('Node 0 MemFree: 1 kB\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parseNodeMeminfo);
    throwsOnlyParseError((t) => parseNodeMeminfo(`Node 0 MemTotal: 4 kB\nNode 0 ${t}`));
  });

  it('is unchanged by shuffled lines and unknown keys', () => {
    const text = readFixture(`${XEON}/devices/system/node/node0/meminfo`);
    const { raw: _r, ...base } = parseNodeMeminfo(text);
    fc.assert(
      fc.property(shuffledLines(text, ['Node 0 FutureThing:     12 kB']), (t) => {
        const { raw: _x, ...rest } = parseNodeMeminfo(t);
        expect(rest).toEqual(base);
      }),
      { numRuns: 30 },
    );
  });
});

describe('parseNodeNumastat', () => {
  it.each(fixturesOfKind('node-numastat').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const n = parseNodeNumastat(readFixture(f), f.rel);
    expect(n.numaHitPages).toBeGreaterThan(0);
    expect(n.localNodePages! + n.otherNodePages!).toBeGreaterThan(0);
  });

  it('reads a node exactly', () => {
    expect(readNodeNumastat(sysOf(XEON), 1)).toMatchObject({
      numaHitPages: 16195666588,
      numaMissPages: 886967186,
      numaForeignPages: 172762955,
      interleaveHitPages: 28693,
      localNodePages: 16199122824,
      otherNodePages: 893264732,
    });
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parseNodeNumastat);
  });
});
