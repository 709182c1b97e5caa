import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectSample } from '../../src/collect/collector.js';
import type { ProcSample } from '../../src/collect/sample.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { PROC_FIELDS } from '../../src/fields/process.js';

/**
 * Live: a thousand consecutive scans while test/live/churn.c forks and kills short-lived
 * processes (and wraps pids) the whole time. Every scan must finish, and every row must be
 * one real process read consistently. The churn program runs in its own process group, which
 * is killed (with its children) in finally.
 */
const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'churn.c');
const SCANS = 1000;

function hasCc(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Problems with one row; empty when the row is sound. */
function rowProblems(p: ProcSample, pageSize: number, nowTicks: number): string[] {
  const bad: string[] = [];
  if (p.key !== `${p.pid}:${p.stat.startTimeTicks}`) bad.push(`key ${p.key}`);
  if (p.stat.pid !== p.pid) bad.push(`stat.pid ${p.stat.pid}`);
  if (p.status !== undefined && p.status.tgid !== p.pid) bad.push(`status.tgid ${p.status.tgid}`);
  if (p.startTimeTicks !== p.stat.startTimeTicks) bad.push('startTimeTicks differs from stat');
  // A process cannot have started after the scan ended.
  if (p.stat.startTimeTicks > nowTicks) bad.push(`starts in the future (${p.stat.startTimeTicks} > ${nowTicks})`);
  for (const f of PROC_FIELDS) {
    const v = f.get(p, pageSize);
    if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) bad.push(`${f.id} = ${v}`);
  }
  if (p.rollup) {
    for (const [k, v] of Object.entries(p.rollup)) if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) bad.push(`rollup.${k} = ${v}`);
  }
  if (p.status) {
    for (const [k, v] of Object.entries(p.status)) if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) bad.push(`status.${k} = ${v}`);
  }
  return bad;
}

function uptimeTicks(): number {
  return Math.ceil(Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100) + 1;
}

describe.runIf(hasCc())('collector under process churn (live)', () => {
  it(`${SCANS} consecutive scans while hundreds of processes start and die: no error, no bogus row`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-churn-'));
    let churn: ChildProcessWithoutNullStreams | undefined;
    try {
      const bin = path.join(dir, 'churn');
      execFileSync('cc', ['-O2', '-o', bin, SOURCE]);
      churn = spawn(bin, ['48'], { detached: true });
      let out = '';
      churn.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('churn did not start')), 10_000);
        const check = (): void => {
          if (out.includes('forked')) {
            clearTimeout(t);
            resolve();
          } else setTimeout(check, 50);
        };
        check();
      });
      const forkedAtStart = lastForked(out);

      let vanished = 0;
      let scansWithVanished = 0;
      let churnRows = 0;
      const problems: string[] = [];
      for (let i = 0; i < SCANS; i++) {
        const s = collectSample(new ProcRoot());
        const now = uptimeTicks();
        const pids = new Set<number>();
        for (const p of s.procs) {
          if (pids.has(p.pid)) problems.push(`scan ${i}: pid ${p.pid} twice`);
          pids.add(p.pid);
          for (const b of rowProblems(p, s.header.caps.pageSizeBytes, now)) problems.push(`scan ${i}: pid ${p.pid}: ${b}`);
          if (p.ppid === churn.pid) churnRows++;
        }
        expect(s.header.vanished).toBeGreaterThanOrEqual(0);
        vanished += s.header.vanished;
        if (s.header.vanished > 0) scansWithVanished++;
        // The scan itself must be in it: a scan that lost the reader is not a scan.
        expect(pids.has(process.pid)).toBe(true);
        if (problems.length > 20) break;
        // Let the churn program's output in now and then (the scans themselves are synchronous).
        if (i % 25 === 24) await new Promise((r) => setImmediate(r));
      }
      expect(problems).toEqual([]);
      // The race was exercised: processes died under the reader, and churn rows were read whole.
      expect(scansWithVanished).toBeGreaterThan(0);
      expect(vanished).toBeGreaterThan(0);
      expect(churnRows).toBeGreaterThan(0);
      expect(lastForked(out) - forkedAtStart).toBeGreaterThan(500);
    } finally {
      if (churn?.pid !== undefined) {
        try {
          process.kill(-churn.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        if (churn.exitCode === null && churn.signalCode === null) await new Promise((r) => churn!.once('exit', r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // About 50 s on a quiet machine; a scan reads every process's smaps_rollup, whose cost grows
    // with what other processes map, so a busy machine gets more room.
  }, 180_000);
});

function lastForked(out: string): number {
  const m = [...out.matchAll(/^forked (\d+)$/gm)];
  return m.length ? Number(m[m.length - 1][1]) : 0;
}
