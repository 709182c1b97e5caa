import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PF_KTHREAD, parsePidStat } from '../../src/procfs/pid-stat.js';
import { ParseError } from '../../src/fs/errors.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

describe('parsePidStat', () => {
  const fixtures = fixturesOfKind('stat');

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const s = parsePidStat(text, f.rel);
    expect(Number.isInteger(s.pid)).toBe(true);
    expect(s.state).toMatch(/^[A-Za-z]$/);
    // comm is what sits between the first "(" and the last ")" of the stat line.
    const line = text.split('\n')[0];
    expect(s.comm).toBe(line.slice(line.indexOf('(') + 1, line.lastIndexOf(')')));
    expect(s.numThreads).toBeGreaterThanOrEqual(0);
    expect(s.vsizeBytes).toBeGreaterThanOrEqual(0);
    expect(s.isKernelThread).toBe((s.flags & PF_KTHREAD) !== 0);
    // A kernel thread has no address space.
    if (s.isKernelThread) expect([s.vsizeBytes, s.rssPages]).toEqual([0, 0]);
  });

  it('reads the 6.18 capture exactly', () => {
    const s = parsePidStat(readFixture('host-6.18-fork-share/proc/17226/stat'));
    expect(s).toMatchObject({
      pid: 17226,
      comm: 'python3',
      state: 'S',
      ppid: 17183,
      pgrp: 17183,
      session: 17183,
      ttyNr: 0,
      tpgid: -1,
      flags: 4194368,
      isKernelThread: false,
      minfltCount: 223,
      majfltCount: 0,
      utimeTicks: 0,
      stimeTicks: 0,
      priority: 20,
      nice: 0,
      numThreads: 1,
      startTimeTicks: 152098,
      vsizeBytes: 121823232,
      rssPages: 28073,
      rsslimBytes: 18446744073709551615,
      exitSignal: 17,
      processor: 0,
      exitCode: 0,
    });
  });

  it('splits comm at the last parenthesis', () => {
    expect(parsePidStat(readFixture('shirou-gopsutil/process/testdata/linux/68927/stat')).comm).toBe('test(cmd).sh');
    const s = parsePidStat(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/584/stat'));
    expect(s.comm).toBe('(a b ) ( c d) ');
    expect(s.pid).toBe(1020);
    expect(s.ppid).toBe(28378);
    expect(s.vsizeBytes).toBe(10395648);
  });

  it('finds the real closing parenthesis when comm itself looks like fields', () => {
    const s = parsePidStat('7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21) S 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 99 4096 1\n');
    expect(s.comm).toBe('x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21');
    expect(s.state).toBe('S');
    expect(s.startTimeTicks).toBe(99);
  });

  it('keeps INT64 extremes as signed magnitudes and flags the kernel thread', () => {
    const s = parsePidStat(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/26232/stat'));
    expect(s.comm).toBe('ata_sff');
    expect(s.cutimeTicks).toBe(-9223372036854775808);
    expect(s.cstimeTicks).toBe(9223372036854775807);
    expect(s.nice).toBe(-20);
    expect(s.isKernelThread).toBe(true);
  });

  it('leaves fields an emulated 39-field line lacks undefined', () => {
    const s = parsePidStat(readFixture('shirou-gopsutil/process/testdata/lx_brandz/1/stat'));
    expect(s.comm).toBe('systemd');
    expect(s.utimeTicks).toBe(8);
    expect(s.cstimeTicks).toBe(52);
    expect(s.rssPages).toBe(1413);
    expect(s.processor).toBe(0);
    expect(s.rtPriority).toBeUndefined();
    expect(s.guestTimeTicks).toBeUndefined();
    expect(s.exitCode).toBeUndefined();
  });

  it('reads a 7-digit pid', () => {
    expect(parsePidStat(readFixture('performancecopilot-pcp/qa/linux/proc-big-pid-001/proc/9876868/stat')).pid).toBe(9876868);
  });

  it('throws ParseError on a truncated line', () => {
    const line = readFixture('host-6.18-fork-share/proc/17226/stat').split('\n')[0];
    const cut = line.split(' ').slice(0, 20).join(' ');
    expect(() => parsePidStat(cut)).toThrow(ParseError);
    expect(() => parsePidStat('')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidStat);
  });

  it('returns any comm unchanged, whatever characters it holds', () => {
    const tail = ' S 1 1 1 0 -1 4194304 5 0 0 0 3 4 0 0 20 0 1 0 77 8192 2 18446744073709551615\n';
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (comm) => {
        const s = parsePidStat(`42 (${comm})${tail}`);
        expect(s.comm).toBe(comm);
        expect(s.startTimeTicks).toBe(77);
        expect(s.utimeTicks).toBe(3);
      }),
      { numRuns: 300 },
    );
  });
});
