import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

/**
 * `ps --exact` on a live fork family: a python parent fills 50 MiB and forks 10 children that
 * sleep. Page frames show what PSS can only estimate: the family uses the buffer once.
 */
const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');
const MiB = 1024 * 1024;
type Json = Record<string, any>;

const FAMILY = `
import os, sys, time
buf = bytearray(50 * 1024 * 1024)
for i in range(0, len(buf), 4096): buf[i] = 1
kids = []
for _ in range(10):
    pid = os.fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    kids.append(pid)
print(" ".join(str(k) for k in kids), flush=True)
time.sleep(600)
`;

function run(args: string[], prefix: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'MEMLEDGER_PROC_ROOT', 'MEMLEDGER_SYS_ROOT']) delete env[k];
  const argv = [...prefix, process.execPath, CLI, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[], prefix: string[] = []): Json {
  const r = run([...args, '--json'], prefix);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

let parent: ChildProcess | undefined;
let pids: number[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CLI)) spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO_ROOT, 'tsconfig.json')]);
  parent = spawn('python3', ['-c', FAMILY], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    parent!.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    parent!.once('exit', (c) => reject(new Error(`family exited ${c}`)));
  });
  pids = [parent.pid!, ...line.trim().split(' ').map(Number)];
}, 60_000);

afterAll(() => {
  for (const pid of pids.slice(1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  parent?.kill('SIGKILL');
});

describe('ps --exact', () => {
  it.runIf(process.getuid?.() === 0)('as root: the family uses the buffer once, and only the family frees it', () => {
    const j = json(['ps', '--exact', '--group', 'tree', '--pid', pids.join(',')]);
    expect(j.exact.frames).toBe(true);
    const fam = j.rows.find((r: Json) => r.processCount === 11)!;
    expect(fam).toBeDefined();
    // Summed RSS counts the 50 MiB eleven times; the footprint once (plus the interpreter).
    expect(fam.rssBytes).toBeGreaterThan(11 * 50 * MiB);
    expect(fam.footprintBytes).toBeGreaterThan(50 * MiB);
    expect(fam.footprintBytes).toBeLessThan(fam.rssBytes / 5);
    // The buffer is anonymous and mapped by nobody else: ending the family frees it.
    expect(fam.freedOnKillBytes).toBeGreaterThan(50 * MiB);
    expect(fam.freedOnKillBytes).toBeLessThanOrEqual(fam.footprintBytes);
    expect(j.totals.footprintBytes).toBe(fam.footprintBytes);
  });

  it.runIf(process.getuid?.() === 0)('as root: exact USS of the parent excludes the shared buffer', () => {
    const j = json(['ps', '--exact', '--pid', pids.join(',')]);
    const rows: Json[] = j.rows;
    expect(rows).toHaveLength(11);
    const p = rows.find((r) => r.pid === pids[0])!;
    expect(p.rssBytes).toBeGreaterThan(50 * MiB);
    expect(p.exactUssBytes).toBeLessThan(20 * MiB);
    for (const r of rows) {
      expect(r.exactUssBytes).toBeGreaterThanOrEqual(0);
      expect(r.exactUssBytes).toBeLessThanOrEqual(r.rssBytes + 4 * MiB);
    }
    const table = run(['ps', '--exact', '--pid', pids.join(',')]).stdout;
    expect(table).toMatch(/EUSS/);
    expect(table).toMatch(/EUSS: frames only this process maps/);
  });

  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  it.runIf(process.getuid?.() === 0 && nobody !== '' && fs.existsSync('/usr/bin/setpriv'))('without root: falls back to PSS-based figures and says so', () => {
    const as = ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups'];
    const j = json(['ps', '--exact', '--group', 'tree', '--pid', pids.join(',')], as);
    expect(j.exact.frames).toBe(false);
    expect(j.exact.reason).toMatch(/root/);
    expect(j.notes.join(' ')).toMatch(/Exact figures unavailable/);
    for (const r of j.rows) {
      // Other users' smaps_rollup is unreadable: unknown, never 0.
      expect(r.footprintBytes).toBe(r.partial.includes('pssBytes') ? null : r.pssBytes);
    }
  });

  it('rejects an exact sort key without --exact', () => {
    const r = run(['ps', '--sort', 'euss']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^memledger: unknown --sort field 'euss'/);
  });
});
