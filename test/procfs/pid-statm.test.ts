import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePidStatm } from '../../src/procfs/pid-statm.js';
import { parsePidStat } from '../../src/procfs/pid-stat.js';
import { parsePidStatus } from '../../src/procfs/pid-status.js';
import { ParseError } from '../../src/fs/errors.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const PAGE = 4096;

describe('parsePidStatm', () => {
  const fixtures = fixturesOfKind('statm');

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const m = parsePidStatm(readFixture(f), f.rel);
    for (const v of Object.values(m)) expect(v % PAGE).toBe(0);
    expect(m.libBytes).toBe(0);
    expect(m.dtBytes).toBe(0);
    if (f.provenance !== 'real-edited') expect(m.residentBytes).toBeLessThanOrEqual(m.sizeBytes);
  });

  it('reads the 6.18 capture exactly and agrees with its status', () => {
    const dir = 'host-6.18-fork-share/proc/17226';
    const m = parsePidStatm(readFixture(`${dir}/statm`));
    expect(m).toEqual({
      sizeBytes: 29742 * PAGE,
      residentBytes: 28092 * PAGE,
      sharedBytes: 759 * PAGE,
      textBytes: 1 * PAGE,
      libBytes: 0,
      dataBytes: 27620 * PAGE,
      dtBytes: 0,
    });
    const s = parsePidStatus(readFixture(`${dir}/status`));
    expect(m.sizeBytes).toBe(s.vmSizeBytes);
    expect(m.textBytes).toBe(s.vmExeBytes);
    expect(m.dataBytes).toBe(s.vmDataBytes! + s.vmStkBytes!);
    // stat, statm and status were read at different instants of a live process: RSS moved a little.
    const statRss = parsePidStat(readFixture(`${dir}/stat`)).rssPages * PAGE;
    expect(Math.abs(statRss - m.residentBytes)).toBeLessThan(m.residentBytes / 100);
  });

  it('keeps the magnitude of 2^64-1', () => {
    const m = parsePidStatm(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/26231/statm'));
    expect(m.sharedBytes).toBe(18446744073709551615 * PAGE);
    expect(m.residentBytes).toBe(12547 * PAGE);
  });

  it('scales by the given page size', () => {
    expect(parsePidStatm('10 5 1 1 0 3 0\n', 'statm', 65536).residentBytes).toBe(5 * 65536);
  });

  it('throws ParseError on a short or non-numeric line', () => {
    expect(() => parsePidStatm('1 2 3\n')).toThrow(ParseError);
    expect(() => parsePidStatm('1 2 3 4 5 x 7\n')).toThrow(ParseError);
    expect(() => parsePidStatm('')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidStatm);
  });

  it('round-trips any seven page counts', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2 ** 40 }), { minLength: 7, maxLength: 7 }), (pages) => {
        const m = parsePidStatm(`${pages.join(' ')}\n`);
        expect(Object.values(m)).toEqual(pages.map((p) => p * PAGE));
      }),
    );
  });
});
