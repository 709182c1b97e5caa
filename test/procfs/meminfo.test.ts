import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { ParseError } from '../../src/fs/errors.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

describe('parseMeminfo', () => {
  const fixtures = fixturesOfKind('meminfo');

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const m = parseMeminfo(readFixture(f), f.rel);
    expect(m.memTotalBytes).toBeGreaterThan(0);
    expect(m.memTotalBytes % 1024).toBe(0);
    if (m.memFreeBytes !== undefined) expect(m.memFreeBytes).toBeLessThanOrEqual(m.memTotalBytes);
    // Every line became a raw entry.
    const lines = readFixture(f).split('\n').filter((l) => /^\w[^:]*:\s+\d/.test(l) && !/^(Mem|Swap):/.test(l));
    expect(Object.keys(m.raw).length).toBe(lines.length);
  });

  it('reads the 6.18 capture exactly', () => {
    const m = parseMeminfo(readFixture('host-6.18-fork-share/proc/meminfo'));
    expect(m.memTotalBytes).toBe(24684092 * 1024);
    expect(m.memAvailableBytes).toBe(24029128 * 1024);
    expect(m.secPageTablesBytes).toBe(0);
    expect(m.balloonBytes).toBe(0);
    expect(m.percpuBytes).toBe(976 * 1024);
    expect(m.hugePagesTotal).toBe(0);
    expect(m.hugePageSizeBytes).toBe(2048 * 1024);
    expect(m.vmallocTotalBytes).toBe(34359738367 * 1024);
  });

  it('leaves lines an old kernel lacks undefined, not 0', () => {
    const m = parseMeminfo(readFixture('prometheus-node_exporter/collector/fixtures/proc/meminfo'));
    expect(m.memAvailableBytes).toBeUndefined();
    expect(m.percpuBytes).toBeUndefined();
    expect(m.balloonBytes).toBeUndefined();
  });

  it('skips the 2.4-style total/used/free table of DD-WRT kernels', () => {
    const m = parseMeminfo(readFixture('shirou-gopsutil/mem/testdata/linux/virtualmemory/issue1002/proc/meminfo'));
    expect(m.memTotalBytes).toBe(254472 * 1024);
    expect(m.raw.Mem).toBeUndefined();
  });

  it('throws ParseError without MemTotal', () => {
    expect(() => parseMeminfo('MemFree: 1 kB\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parseMeminfo);
  });

  it('is unchanged by shuffled lines and unknown keys', () => {
    const text = readFixture('host-6.18-fork-share/proc/meminfo');
    const base = parseMeminfo(text);
    fc.assert(
      fc.property(shuffledLines(text, ['FutureCounter:   42 kB', 'Another_New(x):  7 kB']), (t) => {
        const m = parseMeminfo(t);
        const { raw: _a, ...rest } = m;
        const { raw: _b, ...baseRest } = base;
        expect(rest).toEqual(baseRest);
      }),
      { numRuns: 50 },
    );
  });
});
