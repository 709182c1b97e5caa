import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSlabinfo, readSlabinfo } from '../../src/procfs/slabinfo.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const HOST = 'host-6.18-fork-share/proc/slabinfo';

describe('parseSlabinfo', () => {
  it.each(fixturesOfKind('slabinfo').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const s = parseSlabinfo(text, f.rel);
    expect(s.version).toBe('2.1');
    const dataLines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('slabinfo'));
    expect(s.caches.length).toBe(dataLines.length);
    for (const c of s.caches) {
      expect(c.activeObjs).toBeLessThanOrEqual(c.numObjs);
      expect(c.activeSlabs).toBeLessThanOrEqual(c.numSlabs);
      // Fallback (lower order) slabs hold fewer objects than objperslab, never more.
      expect(c.numObjs).toBeLessThanOrEqual(c.numSlabs * c.objPerSlab);
      expect(c.slabBytes).toBe(c.numSlabs * c.pagesPerSlab * 4096);
      expect(c.activeObjectsBytes).toBeLessThanOrEqual(c.slabBytes);
    }
    expect(s.slabBytes).toBe(s.caches.reduce((a, c) => a + c.slabBytes, 0));
  });

  it('reads the 6.18 capture exactly', () => {
    const s = parseSlabinfo(readFixture(HOST));
    const dentry = s.caches.find((c) => c.name === 'dentry');
    expect(dentry).toEqual({
      name: 'dentry',
      activeObjs: 179644,
      numObjs: 179718,
      objSizeBytes: 192,
      objPerSlab: 21,
      pagesPerSlab: 1,
      limit: 0,
      batchCount: 0,
      sharedFactor: 0,
      activeSlabs: 8558,
      numSlabs: 8558,
      sharedAvail: 0,
      slabBytes: 8558 * 4096,
      activeObjectsBytes: 179644 * 192,
    });
    expect(s.caches.find((c) => c.name === 'task_struct')?.slabBytes).toBe(29 * 8 * 4096);
  });

  it('accounts for most of meminfo Slab: on the same machine, never more', () => {
    const s = parseSlabinfo(readFixture(HOST));
    const m = parseMeminfo(readFixture('host-6.18-fork-share/proc/meminfo'));
    // Large kmalloc() bypasses the caches, so the sum stays below Slab: (captured moments apart).
    expect(s.slabBytes).toBeLessThanOrEqual(m.slabBytes! * 1.01);
    expect(s.slabBytes).toBeGreaterThan(m.slabBytes! * 0.8);
  });

  it('reads SLAB tunables and ignores the debug statistics sections', () => {
    const text =
      'slabinfo - version: 2.1 (statistics)\n' +
      'size-64   1234   1536     64   59    1 : tunables  120   60    8 : slabdata     26     26      0 : globalstat 2 1 0 : cpustat 9 8 7 6\n';
    const c = parseSlabinfo(text).caches[0];
    expect([c.name, c.limit, c.batchCount, c.sharedFactor, c.numSlabs]).toEqual(['size-64', 120, 60, 8, 26]);
  });

  it('reads through a ProcRoot', () => {
    const root = new ProcRoot({ procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc` });
    expect(readSlabinfo(root).caches.length).toBeGreaterThan(200);
  });

  it('rejects a 1.x header and a malformed cache line', () => {
    expect(() => parseSlabinfo('slabinfo - version: 1.1\nfoo 1 2 3 4\n')).toThrow(ParseError);
    expect(() => parseSlabinfo('slabinfo - version: 2.1\nfoo 1 2 3\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text, with or without a header', () => {
    throwsOnlyParseError(parseSlabinfo);
    throwsOnlyParseError((t) => parseSlabinfo(`slabinfo - version: 2.1\n${t}`));
  });

  it('does not depend on the order of cache lines', () => {
    const [head, ...rest] = readFixture(HOST).split('\n');
    const byName = (t: string) => Object.fromEntries(parseSlabinfo(t).caches.map((c) => [c.name, c]));
    const base = byName(readFixture(HOST));
    fc.assert(
      fc.property(fc.shuffledSubarray(rest, { minLength: rest.length }), (lines) => {
        expect(byName([head, ...lines].join('\n'))).toEqual(base);
      }),
      { numRuns: 30 },
    );
  });
});
