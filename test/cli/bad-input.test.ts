import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

/** The built CLI (`npm test` builds first). */
const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  // A timeout turns a hang (a regression of `capture /proc/x`) into a failure, not a stuck run.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exactly one line on stderr, starting "memledger:", no stack trace, a non-zero exit. */
function expectOneLine(r: ReturnType<typeof run>, message: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^memledger: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).toMatch(message);
}

let tmp: string;
/** A captured tree of this test process alone, without smaps. */
let tree: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-bad-input-'));
  fs.writeFileSync(path.join(tmp, 'file'), 'not a directory\n');
  fs.mkdirSync(path.join(tmp, 'empty'));
  tree = path.join(tmp, 'tree');
  expect(run(['capture', tree, '--pids', String(process.pid)]).code).toBe(0);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('--proc-root and --sys-root are checked before any command runs', () => {
  it.each([
    [['ps', '--proc-root', '/nonexistent-memledger'], /--proc-root \/nonexistent-memledger: no such directory/],
    [['--proc-root', '<file>'], /--proc-root .*file: not a directory/],
    [['commit', '--proc-root', '<empty>'], /--proc-root .*empty: not a \/proc tree \(it has no meminfo\)/],
    [['faults', '--proc-root', '<tree>'], /not a \/proc tree .*\(did you mean .*tree\/proc\?\)/],
    [['swap', '--sys-root', '/nonexistent-memledger'], /--sys-root \/nonexistent-memledger: no such directory/],
    [['capture', '<tmp>/out', '--proc-root', '<empty>'], /not a \/proc tree/],
  ])('%s', (args, message) => {
    const real = args.map((a) => a.replace('<file>', path.join(tmp, 'file')).replace('<empty>', path.join(tmp, 'empty')).replace('<tree>', tree).replace('<tmp>', tmp));
    expectOneLine(run(real), message);
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(false);
  });

  it('names MEMLEDGER_PROC_ROOT when the directory came from it', () => {
    expectOneLine(run(['oom', '--next'], { MEMLEDGER_PROC_ROOT: '/nonexistent-memledger' }), /^memledger: MEMLEDGER_PROC_ROOT \/nonexistent-memledger: no such directory/);
  });
});

describe('capture', () => {
  it('under /proc: one line and an exit, not a hang', () => {
    expectOneLine(run(['capture', '/proc/memledger-no-such-dir']), /cannot create \/proc\/memledger-no-such-dir/);
  });

  it('onto a file, or under one: one line', () => {
    expectOneLine(run(['capture', path.join(tmp, 'file')]), /file: not a directory/);
    expectOneLine(run(['capture', path.join(tmp, 'file', 'sub')]), /cannot create .*a parent is not a directory/);
  });

  it('--pids with something not a pid: one line', () => {
    expectOneLine(run(['capture', path.join(tmp, 'never'), '--pids', '1,x']), /--pids takes pids separated by commas, not '1,x'/);
  });

  it('--json is a JSON document with units in its key names', () => {
    const out = path.join(tmp, 'json-tree');
    const r = run(['capture', out, '--pids', String(process.pid), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ schema: 'memledger.capture/1', dir: out, procDir: '/proc' });
    expect(j.fileCount).toBeGreaterThan(5);
  });
});

describe('unknown pids and files', () => {
  it('ps --pid of no process: one line, not an empty table with an "undefined" total', () => {
    expectOneLine(run(['ps', '--pid', '999999999']), /--pid: no process 999999999/);
  });

  it('ps --pid of one process: the total row counts it', () => {
    const r = run(['ps', '--pid', String(process.pid)]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/undefined/);
    expect(r.stdout).toMatch(/^\s+1 .*TOTAL \(1 process\)$/m);
  });

  it('oom --from a directory: one line in words', () => {
    expectOneLine(run(['oom', '--from', tmp]), /--from .*: a directory, not a file/);
  });

  it('oom --limit checks its value like every other --limit', () => {
    expectOneLine(run(['oom', '--next', '--limit', '0']), /--limit takes a positive whole number, not '0'/);
  });

  it('commit --fork on a captured tree without smaps says what is missing', () => {
    expectOneLine(run(['commit', '--proc-root', path.join(tree, 'proc'), '--fork', String(process.pid)]), /smaps: not in this captured tree .*capture --smaps/);
  });
});

describe('a captured tree is one moment: what it cannot know is ? and null, never 0', () => {
  const proc = () => ['--proc-root', path.join(tree, 'proc'), '--sys-root', path.join(tree, 'sys')];

  it('commit without smaps: the charge per process is unknown', () => {
    const j = JSON.parse(run(['commit', ...proc(), '--json']).stdout);
    expect(j.totals.chargedBytes).toBeNull();
    expect(j.totals.notInProcessesBytes).toBeNull();
    expect(j.totals.unreadable).toBeGreaterThan(0);
    const text = run(['commit', ...proc()]).stdout;
    expect(text).toMatch(/Commit charge per process: \?/);
    expect(text).not.toMatch(/Processes 0 B/);
  });

  it('faults: counts over no interval are null and ?', () => {
    const j = JSON.parse(run(['faults', ...proc(), '--json']).stdout);
    expect(j.intervalSeconds).toBeNull();
    expect(j.system.pgfaultCount).toBeNull();
    expect(j.attributed).toEqual({ minfltCount: null, majfltCount: null });
    expect(j.quietCount).toBeNull();
    expect(run(['faults', ...proc()]).stdout).toMatch(/Listed processes: \? minor \+ \? major faults; system: \?/);
  });

  it('reclaim: scanned and stolen over no interval are null and ?', () => {
    const j = JSON.parse(run(['reclaim', ...proc(), '--json']).stdout);
    expect(j.system.kswapd.scannedPages).toBeNull();
    expect(j.system.counters.every((c: { count: unknown }) => c.count === null)).toBe(true);
    expect(run(['reclaim', ...proc()]).stdout).toMatch(/^kswapd +\? +\? +\? +\? /m);
  });

  it('commit --json writes unknown values as null rather than leaving their keys out', () => {
    const j = JSON.parse(run(['commit', '--alloc', '1M', ...proc(), '--json']).stdout);
    expect(j.memory).toHaveProperty('presentCpus');
  });
});

describe('ps --user', () => {
  it('a user name this machine does not know is one line and exit 2, as ps(1)', () => {
    const r = run(['ps', '--user', 'no-such-user-here']);
    expectOneLine(r, /--user: no user named 'no-such-user-here'/);
    expect(r.code).toBe(2);
  });

  it('a known name or a numeric uid still filters', () => {
    expect(run(['ps', '--user', 'root', '--json']).code).toBe(0);
    expect(run(['ps', '--user', '4242424', '--json']).code).toBe(0);
  });
});
