import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseBuddyinfo, readBuddyinfo } from '../../src/procfs/buddyinfo.js';
import { parseZoneinfo } from '../../src/procfs/zoneinfo.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const HOST = 'host-6.18-fork-share/proc/buddyinfo';

describe('parseBuddyinfo', () => {
  it.each(fixturesOfKind('buddyinfo').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const b = parseBuddyinfo(text, f.rel);
    expect(b.zones.length).toBe(text.split('\n').filter((l) => l.trim()).length);
    for (const z of b.zones) {
      expect(z.freeBlocks).toHaveLength(11);
      expect(z.freeBytes).toBe(z.freePages * 4096);
      expect(z.freePages).toBeGreaterThanOrEqual(z.freeBlocks[0]);
    }
  });

  it('reads the 6.18 capture exactly', () => {
    const b = parseBuddyinfo(readFixture(HOST));
    expect(b.zones[2]).toMatchObject({ node: 0, zone: 'Normal', freeBlocks: [449, 98, 1, 1, 81, 95, 69, 290, 342, 241, 1543] });
    expect(b.zones[0].freePages).toBe(256 + 512 + 3 * 1024);
  });

  it('matches zoneinfo "pages free" of the same capture', () => {
    const b = parseBuddyinfo(readFixture(HOST));
    const z = parseZoneinfo(readFixture('host-6.18-fork-share/proc/zoneinfo'));
    for (const bz of b.zones) {
      const zz = z.zones.find((x) => x.zone === bz.zone)!;
      expect(Math.abs(bz.freePages - zz.freePages)).toBeLessThanOrEqual(zz.freePages * 0.01);
    }
    expect(b.zones[0].freePages).toBe(z.zones[0].freePages); // DMA is quiet: exact
  });

  it('reads through a ProcRoot', () => {
    const root = new ProcRoot({ procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc` });
    expect(readBuddyinfo(root).zones).toHaveLength(3);
  });

  it('throws ParseError on other lines and on empty text', () => {
    expect(() => parseBuddyinfo('Node 0, zone DMA\n')).toThrow(ParseError);
    expect(() => parseBuddyinfo('\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parseBuddyinfo);
  });

  it('does not depend on line order', () => {
    const text = readFixture(HOST);
    const key = (t: string) => Object.fromEntries(parseBuddyinfo(t).zones.map((z) => [z.zone, z]));
    fc.assert(
      fc.property(shuffledLines(text), (t) => {
        expect(key(t)).toEqual(key(text));
      }),
      { numRuns: 20 },
    );
  });
});
