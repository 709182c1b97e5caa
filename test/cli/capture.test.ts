import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { collectSample } from '../../src/collect/collector.js';
import { ProcRoot } from '../../src/fs/proc-root.js';

const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');
const dirs: string[] = [];

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-capture-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('memledger capture', () => {
  it('copies what the commands read, so they run on the tree', () => {
    const out = path.join(tmp(), 'tree');
    const r = cli(['capture', out, '--pids', String(process.pid)]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^captured \d+ files/);
    const pidDir = path.join(out, 'proc', String(process.pid));
    for (const f of ['stat', 'status', 'smaps_rollup', 'cmdline']) expect(fs.existsSync(path.join(pidDir, f)), f).toBe(true);
    expect(fs.readlinkSync(path.join(pidDir, 'exe'))).toBe(process.execPath);
    // Files of sysfs directories, not only subdirectories.
    const thp = 'sys/kernel/mm/transparent_hugepage/enabled';
    if (fs.existsSync(`/${thp}`)) expect(fs.readFileSync(path.join(out, thp), 'utf8')).toBe(fs.readFileSync(`/${thp}`, 'utf8'));

    const ps = JSON.parse(cli(['ps', '--proc-root', path.join(out, 'proc'), '--json']).stdout);
    expect(ps.rows.map((x: { pid: number }) => x.pid)).toEqual([process.pid]);
    expect(ps.rows[0].pssBytes).toBeGreaterThan(0);

    const live = fs.readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+)/m)![1];
    const ledger = JSON.parse(cli(['--proc-root', path.join(out, 'proc'), '--sys-root', path.join(out, 'sys'), '--json']).stdout);
    expect(ledger.ledger.memTotalBytes).toBe(Number(live) * 1024);
  });

  it.runIf(fs.existsSync('/sys/bus/virtio/drivers/virtio_balloon'))('keeps the drivers that hide memory, so the tree names them', () => {
    const out = path.join(tmp(), 'tree');
    expect(cli(['capture', out, '--pids', String(process.pid)]).status).toBe(0);
    expect(fs.existsSync(path.join(out, 'sys/bus/virtio/drivers/virtio_balloon'))).toBe(true);
    const holders = (root: ProcRoot) => (collectSample(root, { pids: [process.pid], system: ['sysfs'] }).system.hidden ?? []).map((h) => h.what).sort();
    const live = holders(new ProcRoot());
    expect(live).toContain('virtio_balloon (balloon)');
    expect(holders(new ProcRoot({ procDir: path.join(out, 'proc'), sysDir: path.join(out, 'sys') }))).toEqual(live);
  });

  it('refuses a directory that is not empty, in one line', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'x'), 'x');
    const r = cli(['capture', d]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^memledger: .* not empty/);
  });
});
