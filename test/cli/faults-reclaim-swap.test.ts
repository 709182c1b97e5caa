import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

/** The built CLI (`npm test` builds first): usage mistakes are one line on stderr and exit code 2. */
const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid };
}

describe('faults, reclaim, swap: bad arguments', () => {
  it('the CLI is built', () => {
    expect(fs.existsSync(CLI), `${CLI} missing: run npm run build`).toBe(true);
  });

  it.each([
    ['faults', ['--interval', '-1'], /--interval .* not '-1'/],
    ['reclaim', ['--interval', 'soon'], /--interval .* not 'soon'/],
    ['swap', ['--sort', 'rss'], /--sort takes vmswap\|swappss, not 'rss'/],
  ])('%s %s: one line, exit 2, nothing on stdout', (cmd, args, message) => {
    const r = run(cmd, ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^memledger: /);
    expect(r.stderr).toMatch(message);
  });
});

describe('faults, reclaim, swap --json on this machine', () => {
  it('faults: finds the CLI itself faulting, ranked rows, and a system total', () => {
    const r = run('faults', '--json', '--interval', '0.3');
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('memledger.faults/1');
    expect(j.intervalSeconds).toBeGreaterThan(0);
    // Between its two reads of its own stat, the CLI ran a whole /proc scan: it must have faulted.
    const self = j.rows.find((x: { pid: number }) => x.pid === r.pid);
    expect(self?.minfltCount).toBeGreaterThan(0);
    expect(j.system.pgfaultCount).toBeGreaterThan(0);
    expect(j.attributed.minfltCount).toBe(j.rows.reduce((a: number, x: { minfltCount: number }) => a + x.minfltCount, 0));
    for (let i = 1; i < j.rows.length; i++) expect(j.rows[i - 1].majfltCount).toBeGreaterThanOrEqual(j.rows[i].majfltCount);
  });

  it('swap: says whether there is swap exactly as /proc/swaps does', () => {
    const j = JSON.parse(run('swap', '--json', '--interval', '0.2').stdout);
    const areas = fs.readFileSync('/proc/swaps', 'utf8').trim().split('\n').length - 1;
    expect(j.schema).toBe('memledger.swap/1');
    expect(j.noSwap).toBe(areas === 0);
    expect(j.areas).toHaveLength(areas);
    expect(j.swapInBytesPerSecond).not.toBeNull();
  });

  it('reclaim: reports kswapd and direct reclaim and the memory cgroup hierarchy', () => {
    const j = JSON.parse(run('reclaim', '--json', '--interval', '0.2').stdout);
    expect(j.schema).toBe('memledger.reclaim/1');
    expect(typeof j.system.kswapd.scannedPages).toBe('number');
    expect(typeof j.system.direct.stolenPages).toBe('number');
    const v1 = fs.existsSync('/sys/fs/cgroup/memory/memory.stat');
    if (v1) expect(j.hierarchy).toBe('v1');
  });
});
