import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseVmstat, readNodeVmstat, readVmstat } from '../../src/procfs/vmstat.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const HOST = 'host-6.18-fork-share/proc/vmstat';
const RHEL7 = 'performancecopilot-pcp/qa/linux/meminfo-root-002/proc/vmstat';

function nonBlankLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('parseVmstat', () => {
  it.each(fixturesOfKind('vmstat').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const v = parseVmstat(text, f.rel);
    expect(Object.keys(v.raw).length).toBe(nonBlankLines(text).length);
    expect(v.freeBytes).toBe(v.raw.nr_free_pages * 4096);
    expect(v.pgfault).toBeGreaterThan(0);
    expect(v.pgscanKswapdPages).toBeGreaterThanOrEqual(0);
    expect(v.pgstealDirectPages).toBeGreaterThanOrEqual(0);
    expect(v.allocstall).toBeGreaterThanOrEqual(0);
    expect(v.workingsetRefaultPages).toBeGreaterThanOrEqual(0);
  });

  it.each(fixturesOfKind('node-vmstat').map((f) => [f.rel, f] as const))('parses node vmstat %s', (_rel, f) => {
    const text = readFixture(f);
    const v = parseVmstat(text, f.rel);
    expect(Object.keys(v.raw).length + (v.unnamed?.length ?? 0)).toBe(nonBlankLines(text).length);
    expect(v.raw.nr_free_pages).toBeGreaterThan(0);
  });

  it('reads the 6.18 capture exactly', () => {
    const v = parseVmstat(readFixture(HOST));
    expect(v.freeBytes).toBe(2614302 * 4096);
    expect(v.anonBytes).toBe(46168 * 4096);
    expect(v.slabReclaimableBytes).toBe(58024 * 4096);
    expect(v.dirtyThresholdBytes).toBe(1198018 * 4096);
    expect(v.pgfault).toBe(19793675);
    expect(v.pgmajfault).toBe(1844);
    expect(v.pgpginBytes).toBe(2789829 * 1024);
    expect(v.oomKill).toBe(2);
    expect(v.workingsetRefaultPages).toBe(247562);
    expect(v.workingsetRefaultFilePages).toBe(247562);
    expect(v.pgscanKswapdPages).toBe(0);
    expect(v.pgscanDirectPages).toBe(0);
    expect(v.allocstall).toBe(0);
    expect(v.thpSplitPage).toBe(0);
    expect(v.thp.fault_alloc).toBe(0);
    expect(v.thp.swpout_fallback).toBe(0);
    expect(v.unnamed).toBeUndefined();
  });

  it('sums the per-zone counters of a 3.10 kernel and reads thp_split', () => {
    const text = readFixture(RHEL7);
    const v = parseVmstat(text);
    expect(v.raw.pgscan_kswapd).toBeUndefined();
    const zoneSum = (re: RegExp) =>
      nonBlankLines(text)
        .filter((l) => re.test(l))
        .reduce((a, l) => a + Number(l.split(' ')[1]), 0);
    expect(v.pgscanKswapdPages).toBe(zoneSum(/^pgscan_kswapd_(dma|dma32|normal|movable) /));
    expect(v.pgstealDirectPages).toBe(zoneSum(/^pgsteal_direct_(dma|dma32|normal|movable) /));
    expect(v.thpSplitPage).toBe(6484);
    expect(v.oomKill).toBeUndefined();
    expect(v.workingsetRefaultAnonPages).toBeUndefined();
  });

  it('does not count pgscan_direct_throttle as a zone', () => {
    const text = readFixture(RHEL7).replace(/^pgscan_direct_throttle \d+$/m, 'pgscan_direct_throttle 999');
    expect(parseVmstat(text).pgscanDirectPages).toBe(parseVmstat(readFixture(RHEL7)).pgscanDirectPages);
  });

  it('folds khugepaged and proactive reclaim back into direct (6.3+)', () => {
    const text = readFixture(HOST)
      .replace(/^pgscan_direct 0$/m, 'pgscan_direct 7')
      .replace(/^pgscan_khugepaged 0$/m, 'pgscan_khugepaged 5')
      .replace(/^pgscan_proactive 0$/m, 'pgscan_proactive 3');
    const v = parseVmstat(text);
    expect(v.pgscanDirectPages).toBe(15);
    expect(v.pgscanKhugepagedPages).toBe(5);
  });

  it('uses the page size it is given', () => {
    const v = parseVmstat(readFixture(HOST), HOST, 65536);
    expect(v.freeBytes).toBe(2614302 * 65536);
    expect(v.pageSizeBytes).toBe(65536);
  });

  it('keeps a value printed without a name apart (distro 4.x node vmstat)', () => {
    const v = parseVmstat(readFixture('performancecopilot-pcp/qa/linux/meminfo-root-006/sys/devices/system/node/node0/vmstat'));
    expect(v.unnamed).toEqual([176096]);
  });

  it('reads through a ProcRoot, system-wide and per node', () => {
    const root = new ProcRoot({ procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc` });
    expect(readVmstat(root).pgfault).toBe(19793675);
    const numa = new ProcRoot({ procDir: '/nonexistent', sysDir: `${SHARED_FIXTURES}/performancecopilot-pcp/qa/linux/sysfs-numa-001/sys` });
    expect(readNodeVmstat(numa, 3).raw.nr_free_pages).toBeGreaterThan(0);
  });

  it('throws ParseError on a line that is not "name value", and on empty text', () => {
    expect(() => parseVmstat('nr_free_pages 12\nbogus line here\n')).toThrow(ParseError);
    expect(() => parseVmstat('')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parseVmstat);
  });

  it('is unchanged by shuffled lines and unknown counters', () => {
    const text = readFixture(HOST);
    const { raw: _r, ...base } = parseVmstat(text);
    fc.assert(
      fc.property(shuffledLines(text, ['nr_future_counter 42', 'pgfuture_event 7']), (t) => {
        const { raw: _x, ...rest } = parseVmstat(t);
        expect(rest).toEqual(base);
      }),
      { numRuns: 50 },
    );
  });
});
