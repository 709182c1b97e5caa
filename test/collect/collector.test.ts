import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSample, collectSampleAsync } from '../../src/collect/collector.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { parsePidSmapsRollup } from '../../src/procfs/pid-smaps-rollup.js';
import { SHARED_FIXTURES, readFixture } from '../helpers/fixtures.js';
import { fakeProc, faultyRoot, statLine } from '../helpers/fake-proc.js';

const HOST = path.join(SHARED_FIXTURES, 'host-6.18-fork-share');
const MEMINFO = readFixture('host-6.18-fork-share/proc/meminfo');

describe('collectSample on a captured tree', () => {
  const root = new ProcRoot({ procDir: path.join(HOST, 'proc'), sysDir: path.join(HOST, 'sys') });
  const sample = collectSample(root);

  it('reads every process of the capture, keyed by pid and start time', () => {
    expect(sample.procs.map((p) => p.pid).sort()).toEqual([17183, 17225, 17226]);
    for (const p of sample.procs) {
      expect(p.key).toBe(`${p.pid}:${p.stat.startTimeTicks}`);
      expect(p.status?.tgid).toBe(p.pid);
    }
  });

  it('takes PSS from smaps_rollup as the kernel printed it', () => {
    const p = sample.procs.find((x) => x.pid === 17226)!;
    const rollup = parsePidSmapsRollup(readFixture('host-6.18-fork-share/proc/17226/smaps_rollup'));
    expect(p.rollup?.pssBytes).toBe(rollup.pssBytes);
    expect(p.rollupSource).toBe('smaps_rollup');
    expect(p.cmdline?.[0]).toBe('python3');
    expect(p.ppid).toBe(17183);
  });

  it('knows it is not the live machine', () => {
    expect(sample.header.caps.live).toBe(false);
    expect(sample.header.caps.root).toBe(false);
    expect(sample.system.meminfo.memTotalBytes).toBe(24684092 * 1024);
  });
});

describe('collectSample error model', () => {
  const status = (pid: number): string => `Name:\tx\nState:\tS (sleeping)\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nVmSize:\t  1000 kB\nVmRSS:\t   400 kB\nRssAnon:\t 100 kB\nRssFile:\t 300 kB\nRssShmem:\t 0 kB\n`;
  const rollup = '00400000-7fff0000 ---p 00000000 00:00 0 [rollup]\nRss: 400 kB\nPss: 200 kB\nShared_Clean: 300 kB\nShared_Dirty: 0 kB\nPrivate_Clean: 0 kB\nPrivate_Dirty: 100 kB\nReferenced: 400 kB\nAnonymous: 100 kB\nLazyFree: 0 kB\nAnonHugePages: 0 kB\nShmemPmdMapped: 0 kB\nShared_Hugetlb: 0 kB\nPrivate_Hugetlb: 0 kB\nSwap: 0 kB\nSwapPss: 0 kB\nLocked: 0 kB\n';
  const build = () =>
    fakeProc()
      .meminfo(MEMINFO)
      .pid(10, { stat: statLine({ pid: 10, comm: 'a' }), status: status(10), smaps_rollup: rollup, cmdline: 'a\0' })
      .pid(11, { stat: statLine({ pid: 11, comm: 'b' }), status: status(11), smaps_rollup: rollup, cmdline: 'b\0' })
      .pid(12, { stat: statLine({ pid: 12, comm: 'c' }), status: 'garbage without colons\n', smaps_rollup: rollup })
      .pid(2, { stat: statLine({ pid: 2, comm: 'kthreadd', ppid: 0, flags: 0x00208040 }), status: 'Name:\tkthreadd\nState:\tS (sleeping)\nTgid:\t2\nPid:\t2\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n' })
      .build();

  it('marks denied files unknown, records one gap and one hint', () => {
    const t = build();
    try {
      const s = collectSample(faultyRoot(t.root, [{ pattern: /^1[01]\/smaps_rollup$/, kind: 'denied' }]));
      const a = s.procs.find((p) => p.pid === 10)!;
      expect(a.rollup).toBeUndefined();
      expect(a.status?.vmRssBytes).toBe(400 * 1024);
      const gap = s.header.gaps.find((g) => g.what === '/proc/<pid>/smaps_rollup');
      expect(gap).toMatchObject({ kind: 'denied', count: 2 });
      expect(s.header.hints.join(' ')).toMatch(/2 processes unreadable/);
    } finally {
      t.cleanup();
    }
  });

  it('drops a process that vanishes mid-read and counts it', () => {
    const t = build();
    try {
      const s = collectSample(faultyRoot(t.root, [{ pattern: /^11\/status$/, kind: 'vanished' }]));
      expect(s.procs.map((p) => p.pid)).not.toContain(11);
      expect(s.header.vanished).toBe(1);
    } finally {
      t.cleanup();
    }
  });

  it('keeps the rest of a process whose file is malformed', () => {
    const t = build();
    try {
      const s = collectSample(t.root);
      const c = s.procs.find((p) => p.pid === 12)!;
      expect(c.status).toBeUndefined();
      expect(c.rollup?.pssBytes).toBe(200 * 1024);
      expect(s.header.gaps.some((g) => g.kind === 'malformed' && g.what === '/proc/<pid>/status')).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('flags kernel threads and reads no user memory for them', () => {
    const t = build();
    try {
      const s = collectSample(t.root);
      const k = s.procs.find((p) => p.pid === 2)!;
      expect(k.isKernelThread).toBe(true);
      expect(k.rollup).toBeUndefined();
      expect(s.procs.find((p) => p.pid === 10)!.isKernelThread).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});

describe('collectSample reads each system file once', () => {
  /** The same root, counting reads by path. */
  const counting = (inner: ProcRoot): { root: ProcRoot; reads: Map<string, number> } => {
    const reads = new Map<string, number>();
    const root = new (class extends ProcRoot {
      override readProc(rel: string, maxBytes?: number): string {
        reads.set(rel, (reads.get(rel) ?? 0) + 1);
        return super.readProc(rel, maxBytes);
      }
    })({ procDir: inner.procDir, sysDir: inner.sysDir ?? null });
    return { root, reads };
  };

  it('reads meminfo once, and takes MemAvailable from that reading', () => {
    const t = fakeProc().meminfo(MEMINFO).pid(10, { stat: statLine({ pid: 10, comm: 'a' }) }).build();
    try {
      const { root, reads } = counting(t.root);
      const s = collectSample(root, { rollup: false });
      expect(reads.get('meminfo')).toBe(1);
      expect(s.header.caps.memAvailable).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('knows a meminfo without MemAvailable (before 3.14)', () => {
    const t = fakeProc().meminfo(MEMINFO.replace(/^MemAvailable:.*\n/m, '')).build();
    try {
      const s = collectSample(t.root);
      expect(s.system.meminfo.memAvailableBytes).toBeUndefined();
      expect(s.header.caps.memAvailable).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});

describe('collectSampleAsync', () => {
  it('gives the rows of collectSample, each rollup stamped when it was read', async () => {
    const rollup = parsePidSmapsRollup(readFixture('host-6.18-fork-share/proc/17226/smaps_rollup'));
    const root = new ProcRoot({ procDir: path.join(HOST, 'proc'), sysDir: path.join(HOST, 'sys') });
    const before = Date.now();
    const s = await collectSampleAsync(root);
    const after = Date.now();
    expect(s.procs.map((p) => p.pid).sort()).toEqual([17183, 17225, 17226]);
    const p = s.procs.find((x) => x.pid === 17226)!;
    expect(p.rollup?.pssBytes).toBe(rollup.pssBytes);
    expect(p.rollupSource).toBe('smaps_rollup');
    expect(p.rollupReadAtMs).toBeGreaterThanOrEqual(before);
    expect(p.rollupReadAtMs).toBeLessThanOrEqual(after);
  });
});

describe('collectSample on the live /proc', () => {
  it('finds this test process with its PSS and a sane identity', () => {
    const s = collectSample(new ProcRoot());
    const me = s.procs.find((p) => p.pid === process.pid)!;
    expect(me).toBeDefined();
    expect(me.rollup?.pssBytes).toBeGreaterThan(0);
    expect(me.exe).toBe(process.execPath);
    expect(s.header.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.header.caps.live).toBe(true);
  });
});
