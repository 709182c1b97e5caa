import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readKmsg } from '../../src/fs/kmsg.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

/**
 * Acceptance: a process in a memory cgroup limited to 100 MiB touches 300 MiB of anonymous memory
 * and is OOM-killed; `memledger oom --json` (the built CLI, reading /dev/kmsg) must show that kill.
 * Root only. The cgroup is ours alone (memledger-test-<pid>); it is removed in finally, after
 * the child (killed by pid if still alive) is gone.
 */

const V1 = '/sys/fs/cgroup/memory';
const V2 = '/sys/fs/cgroup/unified';
const LIMIT = 100 * 1024 * 1024;
const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

const isRoot = process.getuid?.() === 0;
const v2Memory = fs.existsSync(`${V2}/cgroup.controllers`) && fs.readFileSync(`${V2}/cgroup.controllers`, 'utf8').split(/\s+/).includes('memory');
const v1Memory = fs.existsSync(`${V1}/memory.limit_in_bytes`);
const canRun = isRoot && (v2Memory || v1Memory) && fs.existsSync('/dev/kmsg');

// Touch 300 MiB of private anonymous memory, 256 KiB per 5 ms so a sampler can follow its RSS.
const CHILD = `
import mmap, sys, time
sys.stdin.readline()
size = 300 << 20
m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(0, size, 4096):
    m[i] = 1
    if i % (256 << 10) == 0:
        time.sleep(0.005)
print("survived", flush=True)
`;

const monotonicSec = () => Number(process.hrtime.bigint()) / 1e9; // CLOCK_MONOTONIC: since boot, like printk time

describe.skipIf(!canRun)('memledger oom on a live memcg OOM kill', () => {
  const cgName = `memledger-test-${process.pid}`;
  const cgDir = v2Memory ? `${V2}/${cgName}` : `${V1}/${cgName}`;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    // Kill only our child, by pid; then remove only our cgroup once it is empty.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (let i = 0; i < 50 && fs.existsSync(cgDir); i++) {
      try {
        fs.rmdirSync(cgDir);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  it('shows the kill: victim, memcg path, CONSTRAINT_MEMCG, anon RSS, kernel time', async () => {
    try {
      fs.mkdirSync(cgDir);
      if (v2Memory) {
        fs.writeFileSync(`${cgDir}/memory.max`, String(LIMIT));
        if (fs.existsSync(`${cgDir}/memory.swap.max`)) fs.writeFileSync(`${cgDir}/memory.swap.max`, '0');
      } else {
        fs.writeFileSync(`${cgDir}/memory.limit_in_bytes`, String(LIMIT));
        if (fs.existsSync(`${cgDir}/memory.memsw.limit_in_bytes`)) fs.writeFileSync(`${cgDir}/memory.memsw.limit_in_bytes`, String(LIMIT));
      }

      child = spawn('python3', ['-c', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
      const pid = child.pid!;
      let lastAnonBytes: number | undefined;
      let deathSec: number | undefined;
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child!.on('exit', (_code, signal) => {
          deathSec = monotonicSec();
          resolve(signal);
        }),
      );
      fs.writeFileSync(`${cgDir}/cgroup.procs`, String(pid));
      const sampler = setInterval(() => {
        try {
          const m = /^RssAnon:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (m) lastAnonBytes = Number(m[1]) * 1024;
        } catch {
          /* exited */
        }
      }, 2);
      child.stdin!.write('go\n');
      const signal = await exited;
      clearInterval(sampler);
      expect(signal).toBe('SIGKILL');

      // The kernel's own figure, read raw from /dev/kmsg through our reader (not our OOM parser).
      const killedRec = readKmsg().find((r) => r.message.includes(`Killed process ${pid} (`));
      expect(killedRec, 'a "Killed process" record for the child').toBeDefined();
      const kernelAnonBytes = Number(/anon-rss:(\d+)kB/.exec(killedRec!.message)![1]) * 1024;

      const out = execFileSync(process.execPath, [CLI, 'oom', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const doc = JSON.parse(out) as { source: string; kills: { report: import('../../src/procfs/kmsg-oom.js').OomReport }[] };
      expect(doc.source).toBe('/dev/kmsg');
      const kill = doc.kills.map((k) => k.report).find((r) => r.victim?.pid === pid);
      expect(kill, `a report whose victim is pid ${pid}`).toBeDefined();
      const r = kill!;
      expect(r.victim!.comm).toBe('python3');
      expect(r.constraint).toBe('CONSTRAINT_MEMCG');
      expect(r.constraintInferred).toBeUndefined();
      expect(r.memcg?.path).toBe(`/${cgName}`);
      expect(r.memcg?.memory?.limitBytes).toBe(LIMIT);
      expect(r.invoker.pid).toBe(pid);
      expect(r.tasks?.some((t) => t.pid === pid)).toBe(true);

      expect(Math.abs(r.victim!.anonRssBytes - kernelAnonBytes) / kernelAnonBytes).toBeLessThanOrEqual(0.02);
      expect(lastAnonBytes, 'the child RSS was sampled').toBeDefined();
      expect(Math.abs(r.victim!.anonRssBytes - lastAnonBytes!) / r.victim!.anonRssBytes).toBeLessThanOrEqual(0.02);
      // Most of the 100 MiB limit was the child's anonymous memory.
      expect(r.victim!.anonRssBytes).toBeGreaterThan(0.8 * LIMIT);

      // Kernel timestamps (printk, seconds since boot) against when we saw the child die.
      expect(r.victim!.timeSec).toBeDefined();
      expect(Math.abs(r.victim!.timeSec! - deathSec!)).toBeLessThan(1);
      expect(Math.abs(r.timeSec! - deathSec!)).toBeLessThan(1);
    } finally {
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
  }, 60_000);
});
