import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROC_FIELDS, jsonKey } from '../../src/fields/process.js';
import { REPO_ROOT, SHARED_FIXTURES } from '../helpers/fixtures.js';

/**
 * `memledger ps` as a user runs it: the built CLI in a child process, on the shared capture
 * of a fork family and on the live machine. Schemas come from docs/json.md, so the document
 * and the output cannot drift apart. Processes started here are killed by process group in
 * afterAll.
 */
const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');
const CAPTURE = path.join(SHARED_FIXTURES, 'host-6.18-fork-share/proc');
const MiB = 1024 * 1024;

type Json = Record<string, any>;
interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}, prefix: string[] = []): Run {
  const base = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'MEMLEDGER_PROC_ROOT', 'MEMLEDGER_SYS_ROOT', 'MEMLEDGER_DEBUG']) delete base[k];
  const argv = [...prefix, process.execPath, CLI, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...base, ...env }, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[], env: NodeJS.ProcessEnv = {}, prefix: string[] = []): Json {
  const r = run([...args, '--json'], env, prefix);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

/** The first backticked cell of every table row in one `## section` of docs/json.md. */
function documentedKeys(section: string): string[] {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/json.md'), 'utf8');
  const start = doc.indexOf(`\n## ${section}\n`);
  expect(start, `docs/json.md has a "## ${section}" section`).toBeGreaterThan(0);
  const end = doc.indexOf('\n## ', start + 1);
  const body = doc.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
}

const SUMMED = PROC_FIELDS.filter((f) => f.summable).map(jsonKey);
const TOP = documentedKeys('Top level');
const ROW = documentedKeys('Process rows');
const GROUP_EXTRA = documentedKeys('Group rows (`--group`)');
const GAP = documentedKeys('Gaps');
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Sum of one key over rows, null when no row knows it (as the CLI sums). */
function sumOf(rows: Json[], key: string): number | null {
  const known = rows.map((r) => r[key]).filter((v) => typeof v === 'number') as number[];
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

function expectTotalsAreSums(totals: Json, rows: Json[]): void {
  expect(totals.processCount).toBe(rows.reduce((n, r) => n + (r.processCount ?? 1), 0));
  for (const k of SUMMED) expect(totals[k], k).toBe(sumOf(rows, k));
}

function pythonBin(): string | undefined {
  if (fs.existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  const r = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

beforeAll(() => {
  if (!fs.existsSync(CLI) || fs.statSync(CLI).mtimeMs < newestMtime(path.join(REPO_ROOT, 'src'))) {
    // Emits even when an unrelated file does not typecheck; the CLI must exist afterwards.
    spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO_ROOT, 'tsconfig.json')], { stdio: 'ignore' });
  }
  expect(fs.existsSync(CLI)).toBe(true);
}, 120_000);

describe('ps on the captured fork family', () => {
  const args = ['ps', '--proc-root', CAPTURE];

  it('--json: every documented key, units in the names, values from the kernel files', () => {
    const j = json(args);
    expect(sorted(Object.keys(j))).toEqual(sorted(TOP));
    expect(j.schema).toBe('memledger.ps/1');
    expect(j.group).toBeNull();
    expect(j.rows.map((r: Json) => r.pid).sort()).toEqual([17183, 17225, 17226]);
    for (const r of j.rows) {
      expect(sorted(Object.keys(r))).toEqual(sorted(ROW));
      for (const [k, v] of Object.entries(r)) {
        expect(v, k).not.toBeUndefined();
        if (/(Bytes|Count|Ms)$/.test(k)) expect(typeof v === 'number' || v === null, k).toBe(true);
        else if (typeof v === 'number') expect(['pid', 'oom'], k).toContain(k);
      }
      // PSS exactly as smaps_rollup printed it, in bytes.
      const kb = Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(path.join(CAPTURE, String(r.pid), 'smaps_rollup'), 'utf8'))![1]);
      expect(r.pssBytes).toBe(kb * 1024);
      expect(r.key).toBe(`${r.pid}:${fs.readFileSync(path.join(CAPTURE, String(r.pid), 'stat'), 'utf8').split(') ')[1].split(' ')[19]}`);
    }
    expect(sorted(Object.keys(j.totals))).toEqual(sorted(['processCount', 'partial', ...SUMMED]));
    expectTotalsAreSums(j.totals, j.rows);
    expect(j.totals.partial).toEqual([]);
  });

  it('the field table of docs/json.md lists every field with its unit suffix', () => {
    for (const f of PROC_FIELDS) {
      expect(ROW).toContain(jsonKey(f));
      if (f.unit === 'bytes') expect(jsonKey(f)).toMatch(/Bytes$/);
      if (f.unit === 'count') expect(jsonKey(f)).toMatch(/Count$/);
    }
  });

  it('an unreadable rollup is null and the total says it is partial, never 0', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-ps-'));
    try {
      fs.cpSync(CAPTURE, dir, { recursive: true });
      fs.chmodSync(path.join(dir, '17226'), 0o755);
      for (const f of ['smaps_rollup', 'smaps']) fs.rmSync(path.join(dir, '17226', f));
      const j = json(['ps', '--proc-root', dir]);
      const row = j.rows.find((r: Json) => r.pid === 17226);
      expect(row.pssBytes).toBeNull();
      expect(row.ussBytes).toBeNull();
      expect(row.rssBytes).toBeGreaterThan(0);
      expect(j.totals.partial).toEqual(expect.arrayContaining(['pssBytes', 'ussBytes']));
      expect(j.totals.pssBytes).toBe(sumOf(j.rows, 'pssBytes'));
      expect(j.notes.join(' ')).toMatch(/PSS is unknown for 1 process/);
      // Null sorts last, whatever the numbers.
      expect(json(['ps', '--proc-root', dir, '--sort', 'pss']).rows.at(-1).pid).toBe(17226);
      const table = run(['ps', '--proc-root', dir]).stdout;
      expect(table.split('\n').find((l) => /^\s*17226 /.test(l))).toMatch(/ \? /);
      expect(table).toMatch(/≥/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--csv: the documented header and one line per JSON row, same values', () => {
    const j = json(args);
    const r = run([...args, '--csv']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0].split(',')).toEqual(ROW);
    expect(lines).toHaveLength(j.rows.length + 1);
    // No cell of this capture needs quoting: a plain split is exact.
    lines.slice(1).forEach((l, i) => expect(l.split(',')).toEqual(ROW.map((k) => (j.rows[i][k] === null ? '' : String(j.rows[i][k])))));
    const g = run([...args, '--csv', '--group', 'program']).stdout.trimEnd().split('\n');
    expect(g[0].split(',')).toEqual(['key', 'label', 'processCount', ...ROW.slice(1)]);
  });

  it('--group program|user|cgroup|tree: group rows are sums of their members', () => {
    const flat = json(args);
    const byPid = new Map<number, Json>(flat.rows.map((r: Json) => [r.pid, r]));
    for (const by of ['program', 'user', 'cgroup', 'tree']) {
      const j = json([...args, '--group', by]);
      expect(j.group).toBe(by);
      for (const g of j.rows) {
        expect(sorted(Object.keys(g))).toEqual(sorted(new Set([...ROW.filter((k) => k !== 'pid' && k !== 'oom'), ...GROUP_EXTRA])));
        const members = g.pids.map((p: number) => byPid.get(p)!);
        expect(g.processCount).toBe(members.length);
        for (const k of SUMMED) expect(g[k], `${by} ${g.label} ${k}`).toBe(sumOf(members, k));
      }
      expect(j.rows.flatMap((g: Json) => g.pids).sort()).toEqual([...byPid.keys()].sort());
      expectTotalsAreSums(j.totals, j.rows);
      expect(j.totals).toEqual(flat.totals);
    }
    // The capture is one fork family: a parent and two of its children.
    const tree = json([...args, '--group', 'tree']);
    expect(tree.rows).toHaveLength(1);
    expect(tree.rows[0]).toMatchObject({ key: expect.stringMatching(/^17183:/), processCount: 3, label: 'python3 [17183]' });
  });

  it('no RSS-over-used note where summed RSS is below used memory', () => {
    const j = json(args);
    expect(j.totals.rssBytes).toBeLessThan(j.usedBytes);
    expect(j.notes.join(' ')).not.toMatch(/exceeds used memory/);
  });
});

describe('ps bad input', () => {
  it.each([
    [['--sort', 'nope']],
    [['--limit', '0']],
    [['--limit', 'ten']],
    [['--group', 'x']],
    [['--pid', 'abc']],
    [['--proc-root', '/nonexistent']],
    [['--no-such-flag']],
  ])('ps %j: one "memledger:" line on stderr, non-zero exit, no stack', (bad) => {
    const r = run(['ps', ...bad]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^memledger: \S/);
    expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
  });
});

describe('ps on the live machine', () => {
  const marker = `memledger-ps-test-${process.pid}-${Date.now()}`;
  let family: ChildProcess | undefined;
  let parent = 0;
  let children: number[] = [];
  let bufBytes = 256 * MiB;

  beforeAll(async () => {
    const py = pythonBin();
    if (!py) throw new Error('python3 is needed');
    // Big enough that the six copies of it in summed RSS exceed used memory twice over.
    const mi = fs.readFileSync('/proc/meminfo', 'utf8');
    const kB = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mi)![1]) * 1024;
    bufBytes = Math.min(2048 * MiB, Math.max(256 * MiB, Math.ceil((kB('MemTotal') - kB('MemAvailable')) / 3 / MiB) * MiB));
    const script = [
      'import os, sys, time',
      'buf = b"\\x01" * int(sys.argv[1])',
      'kids = []',
      'for _ in range(5):',
      '    pid = os.fork()',
      '    if pid == 0:',
      '        time.sleep(600)',
      '        os._exit(0)',
      '    kids.append(pid)',
      'print("ready", os.getpid(), *kids, flush=True)',
      'time.sleep(600)',
    ].join('\n');
    family = spawn(py, ['-c', script, String(bufBytes), marker], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    family.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!out.includes('\n')) {
      if (Date.now() > deadline || family.exitCode !== null) throw new Error('python family did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    [parent, ...children] = out.trim().split(' ').slice(1).map(Number);
    expect(children).toHaveLength(5);
  }, 60_000);

  afterAll(async () => {
    if (family?.pid !== undefined) {
      try {
        process.kill(-family.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      if (family.exitCode === null && family.signalCode === null) await new Promise((r) => family!.once('exit', r));
    }
  });

  it('--sort by each field: rows in order, unknown last', () => {
    for (const f of PROC_FIELDS) {
      const rows: Json[] = json(['ps', '--sort', f.id]).rows;
      expect(rows.length).toBeGreaterThan(5);
      const vals = rows.map((r) => r[jsonKey(f)]);
      const firstNull = vals.indexOf(null);
      if (firstNull >= 0) expect(vals.slice(firstNull).every((v) => v === null), f.id).toBe(true);
      const known = firstNull >= 0 ? vals.slice(0, firstNull) : vals;
      for (let i = 1; i < known.length; i++) {
        const [a, b] = [known[i - 1], known[i]];
        if (f.id === 'pid') expect(a, f.id).toBeLessThan(b);
        else if (typeof a === 'number') expect(a, f.id).toBeGreaterThanOrEqual(b);
        else expect(String(a).localeCompare(String(b)), `${f.id}: ${a} before ${b}`).toBeLessThanOrEqual(0);
      }
    }
  });

  it('--pid, --name, --user and --limit select exactly what they name', () => {
    const family6 = sorted([parent, ...children].map(String));
    const byPid = json(['ps', '--pid', `${parent},${children[0]}`]);
    expect(byPid.rows.map((r: Json) => r.pid).sort()).toEqual([parent, children[0]].sort());
    expect(byPid.totals.processCount).toBe(2);
    const byName = json(['ps', '--name', marker]);
    expect(sorted(byName.rows.map((r: Json) => String(r.pid)))).toEqual(family6);
    for (const r of byName.rows) expect(r.command).toContain(marker);
    const me = os.userInfo().username;
    for (const u of [me, String(process.getuid!())]) {
      const j = json(['ps', '--user', u, '--name', marker]);
      expect(j.rows).toHaveLength(6);
      for (const r of j.rows) expect(r.user).toBe(me);
    }
    // A uid nobody runs as selects nothing; a name nobody has is a mistake (bad-input.test.ts).
    expect(json(['ps', '--user', '4242424', '--name', marker]).rows).toEqual([]);
    const limited = json(['ps', '--name', marker, '--limit', '2', '--sort', 'pid']);
    expect(limited.rows.map((r: Json) => r.pid)).toEqual([parent, ...children].sort((a, b) => a - b).slice(0, 2));
    // Totals still cover every matching process.
    expect(limited.totals.processCount).toBe(6);
  });

  it('--group tree: the forked family is one group of 6; every grouping adds up', () => {
    for (const by of ['program', 'user', 'cgroup', 'tree']) {
      const j = json(['ps', '--group', by]);
      expectTotalsAreSums(j.totals, j.rows);
      const pids = j.rows.flatMap((g: Json) => g.pids);
      expect(new Set(pids).size).toBe(pids.length);
      if (by === 'tree') {
        const fam = j.rows.find((g: Json) => g.pids.includes(parent));
        expect(sorted(fam.pids.map(String))).toEqual(sorted([parent, ...children].map(String)));
        expect(fam.processCount).toBe(6);
        expect(fam.key).toMatch(new RegExp(`^${parent}:\\d+$`));
        expect(fam.label).toMatch(new RegExp(`^python3\\S* \\[${parent}\\]$`));
      }
    }
    // Sleeping members do not change: the group row equals the sum of the member rows.
    const members = json(['ps', '--name', marker]).rows;
    const fam = json(['ps', '--name', marker, '--group', 'tree']).rows;
    expect(fam).toHaveLength(1);
    for (const k of ['virtBytes', 'rssBytes', 'anonBytes']) expect(fam[0][k], k).toBe(sumOf(members, k));
    expect(fam[0].rssBytes).toBeGreaterThan(6 * bufBytes);
  });

  it('--kernel with --group: totals cover the grouped processes only', () => {
    const j = json(['ps', '--kernel', '--group', 'user']);
    expectTotalsAreSums(j.totals, j.rows);
    const flat = json(['ps', '--kernel', '--sort', 'pid']);
    const kthread = flat.rows.find((r: Json) => r.pid === 2);
    if (kthread) expect(kthread.pssBytes).toBe(0);
  });

  it('totals are the sums of the rows, and the RSS-over-used note appears on a fork tree', () => {
    const all = json(['ps']);
    expectTotalsAreSums(all.totals, all.rows);
    const fam = json(['ps', '--name', marker]);
    expectTotalsAreSums(fam.totals, fam.rows);
    expect(fam.totals.rssBytes).toBeGreaterThan(fam.usedBytes);
    expect(fam.notes.join(' ')).toMatch(/^Summed RSS \(.+\) exceeds used memory/);
    // PSS divides the shared buffer: the family's PSS is about one buffer, not six.
    expect(fam.totals.pssBytes).toBeLessThan(2 * bufBytes);
    expect(fam.totals.pssBytes).toBeGreaterThan(0.9 * bufBytes);
    const table = run(['ps', '--name', marker]).stdout;
    expect(table).toMatch(/Summed RSS .* exceeds used memory/);
  });

  it('no ANSI escapes without a terminal or with NO_COLOR, even from a hostile argv', async () => {
    const hostile = spawn('sleep', ['600'], { argv0: `evil\x1b[31mRED\x1b]0;title\x07`, detached: true, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const pid = String(hostile.pid);
      for (const env of [{}, { NO_COLOR: '1' }, { TERM: 'xterm-256color' }]) {
        const r = run(['ps', '--pid', pid], env);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/evil\?\[31mRED/);
        expect(r.stdout).not.toMatch(/[\x1b\x07]/);
      }
      // JSON keeps the exact argv (escaped by JSON itself).
      expect(json(['ps', '--pid', pid]).rows[0].command).toContain('\x1b[31m');
      // On a terminal, colour is on unless NO_COLOR: the check above can fail.
      const tty = (env: NodeJS.ProcessEnv): string =>
        spawnSync('script', ['-qec', `${process.execPath} ${CLI} ps --pid ${pid}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined, ...env } }).stdout;
      if (spawnSync('script', ['--version']).status === 0) {
        expect(tty({ TERM: 'xterm' })).toMatch(/\x1b\[1m/);
        expect(tty({ TERM: 'xterm', NO_COLOR: '1' })).not.toMatch(/\x1b/);
      }
    } finally {
      try {
        process.kill(hostile.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  it.runIf(process.getuid?.() === 0 && nobody !== '' && fs.existsSync('/usr/bin/setpriv'))('without root: other users\' PSS is unknown (null, "?"), never 0, with a hint', () => {
    const as = ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups'];
    const j = json(['ps'], {}, as);
    const mine = j.rows.filter((r: Json) => r.user === 'nobody');
    const others = j.rows.filter((r: Json) => r.user !== 'nobody');
    expect(mine.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    for (const r of mine) expect(r.pssBytes).toBeGreaterThan(0);
    for (const r of others) {
      expect(r.pssBytes, `pid ${r.pid}`).toBeNull();
      expect(r.ussBytes, `pid ${r.pid}`).toBeNull();
    }
    // Our family's rows: RSS known (status is world-readable), PSS not.
    const fam = j.rows.find((r: Json) => r.pid === parent);
    expect(fam.rssBytes).toBeGreaterThan(bufBytes);
    expect(fam.pssBytes).toBeNull();
    expect(j.hints.join(' ')).toMatch(/processes unreadable: run as root for PSS/);
    expect(j.totals.partial).toContain('pssBytes');
    const table = run(['ps', '--pid', String(parent)], {}, as).stdout;
    const line = table.split('\n').find((l) => l.trimStart().startsWith(`${parent} `))!;
    expect(line).toMatch(/ \? +\? /);
    expect(table).toMatch(/run as root for PSS/);
  });
});
