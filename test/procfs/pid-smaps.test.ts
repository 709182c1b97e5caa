import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parsePidSmaps, readPidMemoryRollup, readPidSmaps, sumSmapsToRollup } from '../../src/procfs/pid-smaps.js';
import { type PidSmapsRollup, parsePidSmapsRollup, readPidSmapsRollup } from '../../src/procfs/pid-smaps-rollup.js';
import { ParseError, ProcError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { findKernelThread } from '../helpers/live.js';
import { LOCAL_FIXTURES, allFixtures, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const KB = 1024;

/** Counters that are proportional shares, summed in the kernel below 1 kB and truncated once per entry. */
const PSS_FIELDS = new Set(['pssBytes', 'pssDirtyBytes', 'swapPssBytes']);

/**
 * What a sum of smaps must satisfy against smaps_rollup of the same instant: the same counters
 * (Pss_Anon/File/Shmem exist only in the rollup), page counts equal, and each Pss-type counter
 * low by less than 1 kB per VMA. `drift` loosens named page counters by the bytes a live capture
 * moved between the two reads.
 */
function expectSumMatchesRollup(sum: PidSmapsRollup, rollup: PidSmapsRollup, vmaCount: number, drift: Record<string, number> = {}): void {
  const rollupOnly = ['pssAnonBytes', 'pssFileBytes', 'pssShmemBytes'];
  expect(Object.keys(sum).sort()).toEqual(Object.keys(rollup).filter((k) => !rollupOnly.includes(k)).sort());
  for (const [k, v] of Object.entries(sum) as [keyof PidSmapsRollup, number][]) {
    const want = rollup[k]!;
    if (PSS_FIELDS.has(k)) {
      expect(want - v, k).toBeGreaterThanOrEqual(-(drift[k] ?? 0));
      expect(want - v, k).toBeLessThan(vmaCount * KB);
    } else if (drift[k] !== undefined) {
      expect(Math.abs(want - v), k).toBeLessThanOrEqual(drift[k]);
    } else {
      expect(v, k).toBe(want);
    }
  }
}

/**
 * Page movement between the smaps and smaps_rollup reads of live captures. In the fork-share
 * parent, 32 kB of clean file pages were private in one read and shared in the other (another
 * process mapped them in between), which also lowered its Pss by 9 kB against the smaps sum;
 * Rss and every other counter agree exactly.
 */
const LIVE_DRIFT: Record<string, Record<string, number>> = {
  'host-6.18-fork-share/proc/17183': { sharedCleanBytes: 32 * KB, privateCleanBytes: 32 * KB, pssBytes: 32 * KB },
};

describe('parsePidSmaps', () => {
  const fixtures = fixturesOfKind('smaps');

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const { vmas } = parsePidSmaps(text, f.rel);
    expect(vmas.length).toBe(text.split('\n').filter((l) => /^[0-9a-f]+-[0-9a-f]+ /.test(l)).length);
    for (const v of vmas) {
      expect(v.endAddr - v.startAddr).toBe(BigInt(v.sizeBytes));
      expect(v.rssBytes).toBeLessThanOrEqual(v.sizeBytes);
      expect(v.sharedCleanBytes + v.sharedDirtyBytes + v.privateCleanBytes + v.privateDirtyBytes).toBe(v.rssBytes);
      expect(v.pssBytes).toBeLessThanOrEqual(v.rssBytes);
      expect(v.kernelPageSizeBytes).toBeGreaterThanOrEqual(4096);
      for (const flag of v.vmFlags) expect(flag).toMatch(/^[a-z0-9]{2}$/);
    }
    const sum = sumSmapsToRollup({ vmas });
    expect(sum.rssBytes).toBe(vmas.reduce((a, v) => a + v.rssBytes, 0));
  });

  it('reads the 6.18 capture exactly', () => {
    const { vmas } = parsePidSmaps(readFixture('host-6.18-fork-share/proc/17226/smaps'));
    expect(vmas[0]).toEqual({
      startAddr: 0x55a4fcbc0000n,
      endAddr: 0x55a4fcbc1000n,
      perms: 'r--p',
      offset: 0,
      dev: 'fe:00',
      inode: 26723,
      pathname: '/root/.pyenv/versions/3.11.7/bin/python3.11',
      deleted: false,
      sizeBytes: 4 * KB,
      kernelPageSizeBytes: 4 * KB,
      mmuPageSizeBytes: 4 * KB,
      rssBytes: 4 * KB,
      pssBytes: 0,
      pssDirtyBytes: 0,
      sharedCleanBytes: 4 * KB,
      sharedDirtyBytes: 0,
      privateCleanBytes: 0,
      privateDirtyBytes: 0,
      referencedBytes: 4 * KB,
      anonymousBytes: 0,
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
      thpEligible: false,
      vmFlags: ['rd', 'mr', 'mw', 'me'],
    });
  });

  it('reads the 2,760-VMA Android file with Name: lines and no LazyFree', () => {
    const { vmas } = parsePidSmaps(readFixture('aosp-libmeminfo/testdata1/smaps'));
    expect(vmas.length).toBe(2760);
    expect(vmas.filter((v) => v.name !== undefined).length).toBe(1097);
    expect(vmas[0]).toMatchObject({
      startAddr: 0x12c00000n,
      pathname: '[anon:dalvik-main space (region space)]',
      name: '[anon:dalvik-main space (region space)]',
      sizeBytes: 8448 * KB,
      rssBytes: 2652 * KB,
      privateDirtyBytes: 2652 * KB,
      lockedBytes: 2652 * KB,
      vmFlags: ['rd', 'wr', 'mr', 'mw', 'me', 'ac'],
    });
    expect(vmas[0].lazyFreeBytes).toBeUndefined();
    expect(vmas[0].thpEligible).toBeUndefined();
    const sum = sumSmapsToRollup({ vmas });
    expect(sum.lazyFreeBytes).toBeUndefined();
    expect(sum.filePmdMappedBytes).toBeUndefined();
    expect(sum.shmemPmdMappedBytes).toBeDefined();
  });

  it('reads the misaligned FilePmdMapped line and THPeligible of 5.5.7', () => {
    const { vmas } = parsePidSmaps(readFixture('performancecopilot-pcp/qa/linux/procpid-5.5.7-root-007/proc/1/smaps'));
    expect(vmas.every((v) => v.filePmdMappedBytes === 0)).toBe(true);
    // Printed as "THPeligible:\t\t0" there: tabs, not the usual spaces.
    expect(vmas.every((v) => v.thpEligible === false)).toBe(true);
    const one = parsePidSmaps(readFixture('sysstat/tests/root1/proc/21342/smaps').replace(/^THPeligible:\s+0$/m, 'THPeligible:    1'));
    expect(one.vmas.map((v) => v.thpEligible)).toEqual([true, false, false]);
  });

  it('reads ProtectionKey when the CPU has protection keys', () => {
    const text = readFixture('sysstat/tests/root1/proc/21342/smaps').replace(/^THPeligible:.*$/gm, '$&\nProtectionKey:         3');
    const { vmas } = parsePidSmaps(text);
    expect(vmas.map((v) => v.protectionKey)).toEqual([3, 3, 3]);
    expect(vmas[1].pathname).toBe('[stack]');
  });

  it('throws ParseError on a field before the first VMA or a VMA without Rss', () => {
    const text = readFixture('sysstat/tests/root1/proc/21342/smaps');
    expect(() => parsePidSmaps(`Rss: 4 kB\n${text}`)).toThrow(ParseError);
    expect(() => parsePidSmaps(text.replace(/^Rss:.*\n/m, ''))).toThrow(ParseError);
    expect(() => parsePidSmaps(text.replace(/^Size:.*\n/m, ''))).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidSmaps);
  });

  it('is unchanged by shuffled lines inside each VMA and unknown keys', () => {
    const text = readFixture('host-6.18-fork-share/proc/17226/smaps');
    const base = parsePidSmaps(text);
    const blocks = text.split(/\n(?=[0-9a-f]+-)/).map((b) => b.split('\n').filter((l) => l));
    fc.assert(
      fc.property(
        fc.tuple(...blocks.slice(0, 8).map((b) => fc.shuffledSubarray([...b.slice(1), 'ksm_state:   0', 'NewCounter:   8 kB'], { minLength: b.length + 1 }))),
        (bodies) => {
          const head = bodies.map((body, i) => [blocks[i][0], ...body].join('\n'));
          const rest = blocks.slice(8).map((b) => b.join('\n'));
          expect(parsePidSmaps([...head, ...rest].join('\n') + '\n')).toEqual(base);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('sumSmapsToRollup', () => {
  // Every smaps fixture with a smaps_rollup beside it, unless INDEX.tsv says they came from different processes.
  const rollups = new Map(fixturesOfKind('smaps_rollup').map((f) => [path.dirname(f.rel), f]));
  const pairs = fixturesOfKind('smaps')
    .filter((f) => rollups.has(path.dirname(f.rel)))
    .filter((f) => !/not consistent with sibling smaps/.test(rollups.get(path.dirname(f.rel))!.notes))
    .map((f) => [path.dirname(f.rel), f, rollups.get(path.dirname(f.rel))!] as const);

  it('finds the 6.18 and 5.5.7 pairs', () => {
    expect(pairs.map(([dir]) => dir)).toEqual(expect.arrayContaining(['host-6.18-fork-share/proc/17226', 'performancecopilot-pcp/qa/linux/procpid-5.5.7-root-007/proc/1']));
    expect(pairs.length).toBe(7);
    expect(allFixtures().some((f) => f.rel === 'prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/26231/smaps_rollup')).toBe(true);
  });

  it.each(pairs)('sums %s to its smaps_rollup', (dir, smapsF, rollupF) => {
    const smaps = parsePidSmaps(readFixture(smapsF));
    expectSumMatchesRollup(sumSmapsToRollup(smaps), parsePidSmapsRollup(readFixture(rollupF)), smaps.vmas.length, LIVE_DRIFT[dir]);
  });

  it('sums the named-mapping capture to its smaps_rollup', () => {
    const dir = path.join(LOCAL_FIXTURES, 'pid-maps-named');
    const smaps = parsePidSmaps(fs.readFileSync(path.join(dir, 'smaps'), 'utf8'));
    const rollup = parsePidSmapsRollup(fs.readFileSync(path.join(dir, 'smaps_rollup'), 'utf8'));
    expectSumMatchesRollup(sumSmapsToRollup(smaps), rollup, smaps.vmas.length);
  });

  it('gives zeros for required counters and undefined for the rest when there are no VMAs', () => {
    const sum = sumSmapsToRollup({ vmas: [] });
    expect(sum.rssBytes).toBe(0);
    expect(sum.swapBytes).toBe(0);
    expect(sum.anonymousBytes).toBeUndefined();
  });
});

describe('live smaps and smaps_rollup', () => {
  let child: ChildProcess;
  const root = new ProcRoot();

  beforeAll(async () => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    // Wait until the exec has happened: before that the child still maps node.
    for (let i = 0; i < 200; i++) {
      try {
        if (fs.readlinkSync(`/proc/${child.pid}/exe`).endsWith('/sleep')) break;
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  afterAll(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  });

  it('sums a quiet process\'s smaps to its smaps_rollup read back to back', () => {
    const pid = child.pid!;
    // Retry until the rollup is the same before and after the smaps read: nothing moved in between.
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = readPidSmapsRollup(root, pid);
      const smaps = readPidSmaps(root, pid);
      const after = readPidSmapsRollup(root, pid);
      if (JSON.stringify(before) !== JSON.stringify(after)) continue;
      expectSumMatchesRollup(sumSmapsToRollup(smaps), before, smaps.vmas.length);
      return;
    }
    throw new Error('smaps_rollup of a sleeping process never held still');
  });

  it('gives a kernel thread an empty smaps and no smaps_rollup (ESRCH, not a fallback)', () => {
    const kthread = findKernelThread(root)!;
    expect(readPidSmaps(root, kthread).vmas).toEqual([]);
    expect(() => readPidMemoryRollup(root, kthread)).toThrow(ProcError);
  });

  it('reads smaps_rollup through readPidMemoryRollup', () => {
    const r = readPidMemoryRollup(root, child.pid!);
    expect(r.source).toBe('smaps_rollup');
    expect(r.rollup.rssBytes).toBeGreaterThan(0);
  });
});

describe('readPidMemoryRollup', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-rollup-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const put = (rel: string, fixture: string): void => {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.copyFileSync(path.join(readFixturePath(fixture)), path.join(tmp, rel));
  };
  const src = 'performancecopilot-pcp/qa/linux/procpid-5.5.7-root-007/proc/1309';
  put('10/smaps', `${src}/smaps`);
  put('10/smaps_rollup', `${src}/smaps_rollup`);
  put('20/smaps', `${src}/smaps`);
  const root = new ProcRoot({ procDir: tmp });

  it('prefers smaps_rollup', () => {
    const r = readPidMemoryRollup(root, 10);
    expect(r.source).toBe('smaps_rollup');
    expect(r.rollup).toEqual(parsePidSmapsRollup(readFixture(`${src}/smaps_rollup`)));
  });

  it('sums smaps when the kernel has no smaps_rollup', () => {
    const r = readPidMemoryRollup(root, 20);
    expect(r.source).toBe('smaps');
    expect(r.rollup).toEqual(sumSmapsToRollup(parsePidSmaps(readFixture(`${src}/smaps`))));
  });

  it('reports a pid that is gone as vanished', () => {
    expect(() => readPidMemoryRollup(root, 30)).toThrow(ProcError);
    try {
      readPidMemoryRollup(root, 30);
    } catch (e) {
      expect((e as ProcError).kind).toBe('vanished');
    }
  });
});

function readFixturePath(rel: string): string {
  return fixturesOfKind('smaps').concat(fixturesOfKind('smaps_rollup')).find((f) => f.rel === rel)!.abs;
}
