import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasCapability, parsePidStatus } from '../../src/procfs/pid-status.js';
import { ParseError } from '../../src/fs/errors.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const KB = 1024;

describe('parsePidStatus', () => {
  const fixtures = fixturesOfKind('status');

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const s = parsePidStatus(text, f.rel);
    expect(s.name.length).toBeGreaterThan(0);
    expect(s.uids).toHaveLength(4);
    expect(s.gids).toHaveLength(4);
    // Every "Vm*"/"Rss*" line became a field: a process has them all or (kernel thread) none.
    const vmLines = text.split('\n').filter((l) => /^\s*(Vm|Rss)\w+:/.test(l)).length;
    if (vmLines === 0) {
      expect(s.vmRssBytes).toBeUndefined();
      expect(s.vmSizeBytes).toBeUndefined();
    } else {
      expect(s.vmRssBytes! % KB).toBe(0);
      expect(s.vmHwmBytes!).toBeGreaterThanOrEqual(s.vmRssBytes!);
      expect(s.vmPeakBytes!).toBeGreaterThanOrEqual(s.vmSizeBytes!);
      // VmRSS = RssAnon + RssFile + RssShmem (4.5+), all read from one mm snapshot.
      if (s.rssAnonBytes !== undefined) expect(s.rssAnonBytes + s.rssFileBytes! + s.rssShmemBytes!).toBe(s.vmRssBytes);
    }
  });

  it('reads the 6.18 capture exactly', () => {
    const s = parsePidStatus(readFixture('host-6.18-fork-share/proc/17226/status'));
    expect(s).toMatchObject({
      name: 'python3',
      umask: 0o022,
      state: 'S',
      stateName: 'sleeping',
      tgid: 17226,
      pid: 17226,
      ppid: 17183,
      uids: [0, 0, 0, 0],
      gids: [0, 0, 0, 0],
      groups: [],
      nsTgid: [17226],
      kthread: false,
      vmPeakBytes: 118968 * KB,
      vmSizeBytes: 118968 * KB,
      vmLckBytes: 0,
      vmPinBytes: 0,
      vmHwmBytes: 112368 * KB,
      vmRssBytes: 112368 * KB,
      rssAnonBytes: 109332 * KB,
      rssFileBytes: 3036 * KB,
      rssShmemBytes: 0,
      vmDataBytes: 110348 * KB,
      vmStkBytes: 132 * KB,
      vmExeBytes: 4 * KB,
      vmLibBytes: 4672 * KB,
      vmPteBytes: 272 * KB,
      vmSwapBytes: 0,
      hugetlbPagesBytes: 0,
      coreDumping: false,
      thpEnabled: true,
      threads: 1,
      sigQueued: 0,
      sigQueueLimit: 96365,
      cpusAllowedList: '0-1',
      voluntaryCtxtSwitches: 1,
      nonvoluntaryCtxtSwitches: 0,
    });
  });

  it('reads 2.6.32 with Utrace: and without the 4.5+ lines', () => {
    const s = parsePidStatus(readFixture('performancecopilot-pcp/qa/linux/procpid-2.6.32-root-001/proc/1/status'));
    expect(s.name).toBe('init');
    expect(s.vmRssBytes).toBe(1540 * KB);
    expect(s.vmSwapBytes).toBe(0);
    expect(s.umask).toBeUndefined();
    expect(s.rssAnonBytes).toBeUndefined();
    expect(s.vmPinBytes).toBeUndefined();
    expect(s.hugetlbPagesBytes).toBeUndefined();
  });

  it('reads a file with a leading blank line', () => {
    const s = parsePidStatus(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/26231/status'));
    expect(s.name).toBe('prometheus');
    expect(s.uids).toEqual([1000, 1000, 1000, 0]);
    expect(s.vmSwapBytes).toBe(660 * KB);
    expect(s.vmPmdBytes).toBe(12 * KB);
  });

  it('reads lines with spaces instead of tabs', () => {
    const s = parsePidStatus(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/26235/status'));
    expect(s.name).toBe('kube-proxy');
    expect(s.ngid).toBe(12345);
    expect(s.nsTgid).toEqual([26235, 1]);
    expect(s.rssAnonBytes).toBe(24852 * KB);
    const e = parsePidStatus(readFixture('elastic-agent-system-metrics/metric/system/process/testdata/proc/42/status'));
    expect(e.name).toBe('systemd');
    expect(e.umask).toBe(0o002);
    expect(e.groups).toEqual([4, 24, 27, 30, 46, 100, 1000]);
  });

  it('reads MIPS 128-bit signal masks and an unterminated last line', () => {
    const s = parsePidStatus(readFixture('shirou-gopsutil/process/testdata/linux/1060/status'));
    expect(s.pid).toBe(2549);
    expect(s.coreDumping).toBe(false);
    expect(s.thpEnabled).toBe(true);
    expect(s.nonvoluntaryCtxtSwitches).toBe(146);
  });

  it('leaves memory undefined for a kernel thread', () => {
    const s = parsePidStatus(readFixture('shirou-gopsutil/process/testdata/linux/1/status'));
    expect(s.name).toBe('ksoftirqd/0');
    expect(s.ppid).toBe(2);
    expect(s.vmRssBytes).toBeUndefined();
    expect(s.vmSwapBytes).toBeUndefined();
    expect(s.threads).toBe(1);
  });

  it('keeps a uid above 2^31', () => {
    expect(parsePidStatus(readFixture('shirou-gopsutil/process/testdata/linux/23819/status')).uids[0]).toBe(4061200383);
  });

  it('keeps spaces inside and at the end of Name, and undoes its escapes', () => {
    const base = 'State:\tR (running)\nTgid:\t1\nPid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n';
    expect(parsePidStatus(`Name:\tmy prog \n${base}`).name).toBe('my prog ');
    expect(parsePidStatus(`Name:\ta\\nb\\\\c\n${base}`).name).toBe('a\nb\\c');
  });

  it('throws ParseError without Pid or Uid', () => {
    const text = readFixture('host-6.18-fork-share/proc/17226/status');
    expect(() => parsePidStatus(text.replace(/^Pid:.*\n/m, ''))).toThrow(ParseError);
    expect(() => parsePidStatus(text.replace(/^Uid:.*\n/m, ''))).toThrow(ParseError);
    expect(() => parsePidStatus(text.replace(/^VmRSS:.*$/m, 'VmRSS:\tmany kB'))).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidStatus);
  });

  it('is unchanged by shuffled lines and unknown keys', () => {
    const text = readFixture('host-6.18-fork-share/proc/17226/status');
    const base = parsePidStatus(text);
    fc.assert(
      fc.property(shuffledLines(text, ['Utrace:\t0', 'VmFuture:\t  42 kB', 'NewThing:\tsome words']), (t) => {
        expect(parsePidStatus(t)).toEqual(base);
      }),
      { numRuns: 50 },
    );
  });
});

describe('capability sets', () => {
  it('reads CapEff as printed and tells CAP_SYS_ADMIN apart', () => {
    const base = 'Name:\tx\nState:\tS (sleeping)\nTgid:\t1\nPid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n';
    const root = parsePidStatus(`${base}CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n`);
    const user = parsePidStatus(`${base}CapEff:\t0000000000000000\n`);
    expect(root.capEff).toBe('000001ffffffffff');
    expect(hasCapability(root.capEff!, 21)).toBe(true);
    expect(hasCapability(user.capEff!, 21)).toBe(false);
    expect(hasCapability('0000000000200000', 21)).toBe(true);
    expect(hasCapability('0000000000100000', 21)).toBe(false);
    expect(() => parsePidStatus(`${base}CapEff:\tzz\n`)).toThrow(ParseError);
  });
});
