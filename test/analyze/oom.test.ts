import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKmsgOom } from '../../src/procfs/kmsg-oom.js';
import { parsePressure } from '../../src/procfs/pressure.js';
import { analyzeOomReport } from '../../src/analyze/oom.js';
import { pressureReading } from '../../src/analyze/oom-pressure.js';
import { rankNextVictims, rankNextVictimsByMemcg } from '../../src/analyze/oom-next.js';
import { makeSample } from '../model/make-sample.js';
import { collectSample } from '../../src/collect/collector.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { KmsgReader, parseKmsgRecord } from '../../src/fs/kmsg.js';
import { ParseError } from '../../src/fs/errors.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';

const P = 'CarstenGrohmann-OOMAnalyser/OOMAnalyser.py/OOMDisplay.example_';
const kill = (rel: string) => analyzeOomReport(parseKmsgOom(readFixture(rel)).find((r) => r.kind === 'oom-kill')!);

describe('analyzeOomReport', () => {
  const withVictims = fixturesOfKind('oom-log').filter((f) => !f.rel.endsWith('/334'));

  it.each(withVictims.map((f) => [f.rel] as const))('%s: the approximated oom_badness ranks the kernel\'s victim first', (rel) => {
    const a = kill(rel);
    expect(a.victimRank).toBe(1);
    expect(a.candidates[0].isVictim).toBe(true);
    for (let i = 1; i < a.candidates.length; i++) expect(a.candidates[i - 1].badnessPages).toBeGreaterThanOrEqual(a.candidates[i].badnessPages);
    expect(a.candidates.filter((c) => c.oomScoreAdj === -1000).every((c) => c.badnessPages === 0)).toBe(true);
  });

  it('matches the score 3.x printed ("Kill process ... score N") within 5% for global OOMs', () => {
    for (const [rel, printed] of [
      [`${P}rhel7.txt`, 651],
      ['google-cadvisor/utils/oomparser/systemOomExampleLog.txt', 919],
    ] as const) {
      const a = kill(rel);
      expect(a.report.victim!.selectedScore).toBe(printed);
      const ours = a.candidates.find((c) => c.isVictim)!.score!;
      expect(Math.abs(ours - printed) / printed).toBeLessThan(0.05);
    }
  });

  it('measures a memcg OOM against the cgroup limit and names the cause', () => {
    const a = kill('host-6.18-fork-share/kmsg/memcg-v1-oom.dmesg.txt');
    expect(a.totalPagesFrom).toBe('memcg limit');
    expect(a.totalPages).toBe(25600);
    expect(a.cause.code).toBe('memcg-limit-one-process');
    expect(a.cause.sentence).toContain('/mltest');
    expect(a.runnerUp).toBeUndefined();
  });

  it('names causes from what each report shows', () => {
    expect(kill(`${P}proxmox_cgroup_oom.txt`).cause.code).toBe('memcg-limit');
    expect(kill(`${P}ubuntu2110.txt`).cause.code).toBe('forced');
    expect(kill(`${P}archlinux_6_1_1.txt`).cause.code).toBe('one-process');
    const proxmox = kill(`${P}proxmox_cgroup_oom.txt`);
    expect(proxmox.runnerUp!.candidate.name).toBe('php-fpm');
    expect(proxmox.runnerUp!.ratioToVictim).toBeLessThan(1);
    for (const f of fixturesOfKind('mem-info-dump')) {
      for (const r of parseKmsgOom(readFixture(f))) {
        if (r.invoker.requestBytes !== undefined && r.memInfo?.ramBytes !== undefined) expect(analyzeOomReport(r).cause.code).toBe('huge-request');
      }
    }
  });

  it('calls a high-order failure with free memory in small blocks fragmentation', () => {
    const log = [
      '[  10.000000] app invoked oom-killer: gfp_mask=0x40cc0(GFP_KERNEL|__GFP_COMP), order=4, oom_score_adj=0',
      '[  10.000001] Mem-Info:',
      '[  10.000002] active_anon:1000 inactive_anon:0 isolated_anon:0',
      '[  10.000002]  free:50000 free_pcp:0 free_cma:0',
      '[  10.000003] Node 0 Normal: 40000*4kB (UME) 5000*8kB (UME) 0*16kB 0*32kB 0*64kB 0*128kB 0*256kB 0*512kB 0*1024kB 0*2048kB 0*4096kB = 200000kB',
      '[  10.000004] 1000000 pages RAM',
      '[  10.000005] Total swap = 0kB',
      '[  10.000006] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
      '[  10.000007] [    100]     0   100     5000     1000    65536        0             0 app',
      '[  10.000008] Out of memory: Killed process 100 (app) total-vm:20000kB, anon-rss:4000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:64kB oom_score_adj:0',
    ].join('\n');
    const a = analyzeOomReport(parseKmsgOom(log)[0]);
    expect(a.cause.code).toBe('fragmentation');
  });
});

describe('oom_badness below zero (5.9+)', () => {
  const log = [
    '[  10.000000] app invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
    '[  10.000001] Mem-Info:',
    '[  10.000004] 1000000 pages RAM',
    '[  10.000005] Total swap = 0kB',
    '[  10.000006] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
    '[  10.000007] [    100]     0   100     5000     1000    65536        0          -500 guarded',
    '[  10.000007] [    200]     0   200     5000     1000    65536        0          -100 lesser',
    '[  10.000007] [    300]     0   300   600000   500000  1048576        0             0 hog',
    '[  10.000008] Out of memory: Killed process 300 (hog) total-vm:2400000kB, anon-rss:2000000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1024kB oom_score_adj:0',
  ].join('\n');

  it('shows the pre-5.9 floor of 1, and orders the tied tasks by the signed value as 5.9+ does', () => {
    const a = analyzeOomReport(parseKmsgOom(log)[0]);
    expect(a.candidates.map((c) => [c.name, c.badnessPages])).toEqual([['hog', 500000 + 256], ['lesser', 1], ['guarded', 1]]);
    expect(a.victimRank).toBe(1);
  });
});

describe('rankNextVictimsByMemcg', () => {
  const sample = (): ReturnType<typeof makeSample> => {
    const s = makeSample({ takenAtMs: 0, procs: [{ pid: 10 }, { pid: 11 }] });
    for (const p of s.procs) {
      p.cgroupV2 = '/pods/x';
      p.oomScore = 1;
    }
    const [a, b] = s.procs;
    a.oomScoreAdj = -900;
    b.oomScoreAdj = -100;
    a.status = { ...a.status!, vmRssBytes: 40 * 4096, vmSwapBytes: 0, vmPteBytes: 8192 };
    b.status = { ...b.status!, vmRssBytes: 40 * 4096, vmSwapBytes: 0 };
    return s;
  };

  it('keeps the signed badness, so a negative oom_score_adj still ranks, and marks a guess', () => {
    const [m] = rankNextVictimsByMemcg(sample(), [{ hierarchy: 'v2', path: '/pods/x', limitBytes: 1000 * 1000 * 4096 }]);
    expect(m.ranked.map((v) => [v.pid, v.memcgBadnessPages])).toEqual([
      [11, 40 - 100 * 1000],
      [10, 40 + 2 - 900 * 1000],
    ]);
    expect(m.ranked[0].memcgBadnessPartial).toBe(true);
    expect(m.ranked[1].memcgBadnessPartial).toBeUndefined();
  });
});

describe('pressureReading', () => {
  it.each(fixturesOfKind('pressure-memory').map((f) => [f.rel, f] as const))('%s', (_rel, f) => {
    const p = parsePressure(readFixture(f));
    const line = pressureReading(p);
    expect(line.startsWith(`some ${p.some.avg10Pct.toFixed(2)}% over 10 s`)).toBe(true);
    if (p.some.avg10Pct + p.some.avg60Pct + p.some.avg300Pct === 0) expect(line).toContain('no process waited for memory');
    else expect(line).toContain('waited for memory');
    if ((p.full?.avg10Pct ?? 0) > 0) expect(line).toContain('thrashing');
  });
});

describe('rankNextVictims (live /proc)', () => {
  it('orders killable processes by oom_score and finds this test process', () => {
    const s = collectSample(new ProcRoot(), { rollup: false, oom: true });
    const next = rankNextVictims(s);
    for (let i = 1; i < next.length; i++) expect(next[i - 1].oomScore).toBeGreaterThanOrEqual(next[i].oomScore);
    expect(next.every((v) => v.oomScoreAdj !== -1000)).toBe(true);
    expect(next.find((v) => v.pid === process.pid)?.rssBytes).toBeGreaterThan(0);
  });
});

describe('/dev/kmsg reader', () => {
  it('parses a record with escapes and dictionary lines', () => {
    const r = parseKmsgRecord('12,7,1500000,-;line one\\x0aline two\n SUBSYSTEM=memory\n DEVICE=+memory:x\n');
    expect(r).toEqual({ level: 4, facility: 1, seq: 7, usec: 1500000, flags: '-', message: 'line one\nline two', dict: { SUBSYSTEM: 'memory', DEVICE: '+memory:x' } });
    expect(() => parseKmsgRecord('not a record')).toThrow(ParseError);
  });

  it('reads a saved copy of /dev/kmsg once, record by record', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-kmsg-')), 'kmsg');
    try {
      fs.writeFileSync(file, '6,1,100,-;first\n SUBSYSTEM=x\n4,2,200,-;second\n');
      const r = new KmsgReader(file);
      expect(r.readAvailable().map((x) => [x.seq, x.message])).toEqual([
        [1, 'first'],
        [2, 'second'],
      ]);
      expect(r.readAvailable()).toEqual([]);
      r.close();
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  });

  it.skipIf(process.getuid?.() !== 0)('reads the live ring buffer, oldest record first, in sequence', () => {
    const r = new KmsgReader('/dev/kmsg');
    const recs = r.readAvailable();
    r.close();
    expect(recs.length).toBeGreaterThan(0);
    for (let i = 1; i < recs.length; i++) expect(recs[i].seq).toBeGreaterThan(recs[i - 1].seq);
  });
});
