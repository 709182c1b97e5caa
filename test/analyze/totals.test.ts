import { describe, expect, it } from 'vitest';
import { rssOverUsed, usedBytes, usedMemory } from '../../src/analyze/totals.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { makeSample, MEMINFO_TEXT } from '../model/make-sample.js';

const without = (...names: string[]): string => names.reduce((t, n) => t.replace(new RegExp(`^${n}:.*\\n`, 'm'), ''), MEMINFO_TEXT);

describe('usedMemory', () => {
  it('is MemTotal - MemAvailable where the kernel has MemAvailable', () => {
    expect(usedMemory(parseMeminfo(MEMINFO_TEXT))).toEqual({ bytes: (24684092 - 24029128) * 1024, formula: 'MemTotal - MemAvailable' });
  });

  it('falls back to the procps 3.3 formula before 3.14, and says so', () => {
    const u = usedMemory(parseMeminfo(without('MemAvailable')))!;
    expect(u.formula).toBe('MemTotal - MemFree - Buffers - Cached - SReclaimable');
    expect(u.bytes).toBe((24684092 - 23514540 - 12708 - 597704 - 232096) * 1024);
  });

  it('is unknown, not a guess, when a line of the fallback is missing', () => {
    expect(usedMemory(parseMeminfo(without('MemAvailable', 'SReclaimable')))).toBeUndefined();
    expect(usedBytes(parseMeminfo(without('MemAvailable', 'Buffers')))).toBeUndefined();
  });

  it('names the formula it used in the RSS sentence', () => {
    const s = makeSample({ takenAtMs: 0 });
    s.system.meminfo = parseMeminfo(without('MemAvailable'));
    const r = rssOverUsed(s, 100 * 1024 ** 3, undefined, String)!;
    expect(r.sentence).toContain('MemTotal - MemFree - Buffers - Cached - SReclaimable');
    expect(r.sentence).not.toContain('MemAvailable');
  });
});
