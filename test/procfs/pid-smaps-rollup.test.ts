import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePidSmapsRollup } from '../../src/procfs/pid-smaps-rollup.js';
import { ParseError } from '../../src/fs/errors.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const KB = 1024;

describe('parsePidSmapsRollup', () => {
  const fixtures = fixturesOfKind('smaps_rollup');

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const r = parsePidSmapsRollup(text, f.rel);
    // Every resident page is counted once as shared/private and clean/dirty (task_mmu.c smaps_page_accumulate).
    expect(r.sharedCleanBytes + r.sharedDirtyBytes + r.privateCleanBytes + r.privateDirtyBytes).toBe(r.rssBytes);
    expect(r.pssBytes).toBeLessThanOrEqual(r.rssBytes);
    expect(r.anonymousBytes!).toBeLessThanOrEqual(r.rssBytes);
    // The three Pss parts are each truncated to kB: their sum is at most 2 kB short of Pss.
    if (r.pssAnonBytes !== undefined) {
      const parts = r.pssAnonBytes + r.pssFileBytes! + r.pssShmemBytes!;
      expect(r.pssBytes - parts).toBeGreaterThanOrEqual(0);
      expect(r.pssBytes - parts).toBeLessThanOrEqual(2 * KB);
    }
    // One property per counter line.
    const lines = text.split('\n').filter((l) => /^\w+:\s+\d+ kB$/.test(l)).length;
    expect(Object.keys(r).length).toBe(lines);
  });

  it('reads the 6.18 capture exactly', () => {
    const r = parsePidSmapsRollup(readFixture('host-6.18-fork-share/proc/17226/smaps_rollup'));
    expect(r).toEqual({
      rssBytes: 112368 * KB,
      pssBytes: 1802 * KB,
      pssDirtyBytes: 1772 * KB,
      pssAnonBytes: 1772 * KB,
      pssFileBytes: 29 * KB,
      pssShmemBytes: 0,
      sharedCleanBytes: 3036 * KB,
      sharedDirtyBytes: 108636 * KB,
      privateCleanBytes: 0,
      privateDirtyBytes: 696 * KB,
      referencedBytes: 5116 * KB,
      anonymousBytes: 109332 * KB,
      ksmBytes: 0,
      lazyFreeBytes: 0,
      anonHugePagesBytes: 0,
      shmemPmdMappedBytes: 0,
      filePmdMappedBytes: 0,
      sharedHugetlbBytes: 0,
      privateHugetlbBytes: 0,
      swapBytes: 0,
      swapPssBytes: 0,
      lockedBytes: 0,
    });
  });

  it('reads 5.5.7 with the misaligned FilePmdMapped line and no KSM/Pss_Dirty', () => {
    const r = parsePidSmapsRollup(readFixture('performancecopilot-pcp/qa/linux/procpid-5.5.7-root-007/proc/1/smaps_rollup'));
    expect(r.filePmdMappedBytes).toBe(0);
    expect(r.swapBytes).toBe(2000 * KB);
    expect(r.swapPssBytes).toBe(717 * KB);
    expect(r.pssFileBytes).toBe(950 * KB);
    expect(r.ksmBytes).toBeUndefined();
    expect(r.pssDirtyBytes).toBeUndefined();
  });

  it('reads a 4.14-era rollup without the Pss split', () => {
    const r = parsePidSmapsRollup(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/26231/smaps_rollup'));
    expect(r.lazyFreeBytes).toBe(5848 * KB);
    expect(r.pssAnonBytes).toBeUndefined();
    expect(r.filePmdMappedBytes).toBeUndefined();
  });

  it('throws ParseError without Rss or on a bad value', () => {
    const text = readFixture('host-6.18-fork-share/proc/17226/smaps_rollup');
    expect(() => parsePidSmapsRollup(text.replace(/^Rss:.*\n/m, ''))).toThrow(ParseError);
    expect(() => parsePidSmapsRollup(text.replace(/^Pss:.*$/m, 'Pss: lots kB'))).toThrow(ParseError);
    expect(() => parsePidSmapsRollup(`${text}${text.split('\n')[0]}\n`)).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidSmapsRollup);
  });

  it('is unchanged by shuffled counter lines and unknown keys', () => {
    const text = readFixture('host-6.18-fork-share/proc/17226/smaps_rollup');
    const [header, ...body] = text.split('\n');
    const base = parsePidSmapsRollup(text);
    fc.assert(
      fc.property(fc.shuffledSubarray([...body.filter((l) => l), 'Future_Counter:   12 kB', 'THPeligible:    1'], { minLength: body.length + 1 }), (lines) => {
        expect(parsePidSmapsRollup(`${header}\n${lines.join('\n')}\n`)).toEqual(base);
      }),
      { numRuns: 50 },
    );
  });
});
