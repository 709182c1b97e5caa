import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSwaps, readSwaps } from '../../src/procfs/swaps.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

describe('parseSwaps', () => {
  it.each(fixturesOfKind('swaps').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const s = parseSwaps(text, f.rel);
    expect(s.areas.length).toBe(text.split('\n').filter((l) => l.trim()).length - 1);
    for (const a of s.areas) {
      expect(a.usedBytes).toBeLessThanOrEqual(a.sizeBytes);
      expect(a.sizeBytes % 1024).toBe(0);
    }
  });

  it('reads the captures exactly', () => {
    expect(parseSwaps(readFixture('prometheus-node_exporter/collector/fixtures/proc/swaps')).areas).toEqual([
      { filename: '/dev/zram0', type: 'partition', sizeBytes: 8388604 * 1024, usedBytes: 76 * 1024, priority: 100 },
    ]);
    const procfs = parseSwaps(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/swaps'));
    expect(procfs.areas[0]).toMatchObject({ filename: '/dev/dm-2', priority: -2, usedBytes: 176 * 1024 });
    expect(procfs.usedBytes).toBe(176 * 1024);
    // This machine runs without swap: header only.
    expect(parseSwaps(readFixture('host-6.18-fork-share/proc/swaps'))).toEqual({ areas: [], sizeBytes: 0, usedBytes: 0 });
  });

  it('unescapes octal escapes in paths', () => {
    const header = readFixture('host-6.18-fork-share/proc/swaps');
    const s = parseSwaps(`${header}/swap\\040dir/file\\040(deleted)               file\t1048572\t0\t-2\n`);
    expect(s.areas[0].filename).toBe('/swap dir/file (deleted)');
    expect(s.areas[0].type).toBe('file');
  });

  it('reads through a ProcRoot', () => {
    const root = new ProcRoot({ procDir: `${SHARED_FIXTURES}/prometheus-node_exporter/collector/fixtures/proc` });
    expect(readSwaps(root).sizeBytes).toBe(8388604 * 1024);
  });

  it('throws ParseError without the header or on a short row', () => {
    expect(() => parseSwaps('/dev/sda2 partition 1 0 -2\n')).toThrow(ParseError);
    expect(() => parseSwaps('Filename\tType\tSize\tUsed\tPriority\n/dev/sda2 partition 1\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parseSwaps);
    throwsOnlyParseError((t) => parseSwaps(`Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n${t}`));
  });

  it('does not depend on the order of areas', () => {
    const header = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority';
    const rows = ['/dev/zram0                              partition\t8388604\t\t76\t\t100', '/dev/dm-2                               partition\t131068\t176\t-2', '/swapfile                               file\t\t2097148\t\t0\t\t-3'];
    const base = parseSwaps([header, ...rows].join('\n'));
    fc.assert(
      fc.property(fc.shuffledSubarray(rows, { minLength: rows.length }), (r) => {
        const s = parseSwaps([header, ...r].join('\n'));
        expect([s.sizeBytes, s.usedBytes]).toEqual([base.sizeBytes, base.usedBytes]);
        expect(new Set(s.areas.map((a) => a.filename))).toEqual(new Set(base.areas.map((a) => a.filename)));
      }),
    );
  });
});
