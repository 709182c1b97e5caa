import { describe, expect, it } from 'vitest';
import { parsePressure, readPressureMemory, readSysPressure } from '../../src/procfs/pressure.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const fixtures = [...fixturesOfKind('pressure-memory'), ...fixturesOfKind('memory'), ...fixturesOfKind('memory.pressure-v2')];

describe('parsePressure', () => {
  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const p = parsePressure(readFixture(f), f.rel);
    for (const line of [p.some, p.full!]) {
      for (const v of [line.avg10Pct, line.avg60Pct, line.avg300Pct]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }
      expect(Number.isInteger(line.totalUs)).toBe(true);
    }
    // Whenever all tasks stalled, at least one did (the hand-written procfs file breaks this).
    if (f.provenance !== 'synthetic-looking') expect(p.full!.totalUs).toBeLessThanOrEqual(p.some.totalUs);
  });

  it('reads the captures exactly', () => {
    expect(parsePressure(readFixture('performancecopilot-pcp/qa/linux/pressure-root-001/proc/pressure/memory'))).toEqual({
      some: { avg10Pct: 70.24, avg60Pct: 68.52, avg300Pct: 69.91, totalUs: 3559632828 },
      full: { avg10Pct: 57.59, avg60Pct: 58.06, avg300Pct: 60.38, totalUs: 3300487258 },
    });
    const host = parsePressure(readFixture('host-6.18-fork-share/proc/pressure/memory'));
    expect([host.some.totalUs, host.full?.totalUs]).toEqual([4371, 3654]);
  });

  it('leaves a missing "full" line undefined, not zero', () => {
    const someOnly = readFixture('sysstat/tests/root4/proc/pressure/memory').split('\n')[0];
    const p = parsePressure(someOnly);
    expect(p.full).toBeUndefined();
    expect(p.some.avg10Pct).toBe(99.8);
  });

  it('does not depend on line order', () => {
    const text = readFixture('performancecopilot-pcp/qa/linux/pressure-root-001/proc/pressure/memory');
    const [a, b] = text.trim().split('\n');
    expect(parsePressure(`${b}\n${a}\n`)).toEqual(parsePressure(text));
  });

  it('reads the system file and a cgroup file through a ProcRoot', () => {
    const root = new ProcRoot({
      procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc`,
      sysDir: `${SHARED_FIXTURES}/performancecopilot-pcp/qa/linux/cgroups-root-004/sys`,
    });
    expect(readPressureMemory(root).some.totalUs).toBe(4371);
    expect(readSysPressure(root, 'fs/cgroup/memory.pressure').some.totalUs).toBeGreaterThanOrEqual(0);
  });

  it('throws ParseError without "some", with a missing key, or a bad number', () => {
    expect(() => parsePressure('full avg10=0.00 avg60=0.00 avg300=0.00 total=1\n')).toThrow(ParseError);
    expect(() => parsePressure('some avg10=0.00 avg60=0.00 total=1\n')).toThrow(ParseError);
    expect(() => parsePressure('some avg10=x avg60=0.00 avg300=0.00 total=1\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePressure);
  });
});
