#!/usr/bin/env node
/**
 * Exact frame scan of every process (src/pages via dist/) against a C floor that reads the same
 * pagemap ranges and counts distinct frames with a bitmap (bench/pagemap-floor.c).
 *
 * Workload: a parent with 100 MiB written, and 100 forked children sharing it (test/live/fork-family.c),
 * so the machine holds ~10 GiB of summed RSS in ~100 MiB of frames. Both sides scan every pid in
 * /proc, alternately, RUNS times each; medians are compared. Each memledger run is a fresh node
 * process timing its first (cold) scan inside the process (node start-up and module loading
 * excluded, as the C side's own clock excludes exec), as the CLI runs it; the wall time of both
 * whole commands, start-up included, is printed too. Needs root and cc; run `npm run build` first.
 *
 *   node bench/pages.mjs [runs]
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const RUNS = Number(process.argv[2] ?? 7);

if (process.getuid?.() !== 0) {
  console.log('pages bench: needs root (PFNs are hidden otherwise); skipped');
  process.exit(0);
}
if (!fs.existsSync(path.join(repo, 'dist/pages/index.js'))) {
  console.error('pages bench: run `npx tsc -p tsconfig.json` first');
  process.exit(1);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-bench-pages-'));
const floor = path.join(dir, 'pagemap-floor');
const family = path.join(dir, 'fork-family');
execFileSync('cc', ['-O2', '-o', floor, path.join(here, 'pagemap-floor.c')]);
execFileSync('cc', ['-O2', '-o', family, path.join(repo, 'test/live/fork-family.c')]);

const probe = `
import * as fs from 'node:fs';
const { ProcRoot } = await import(${JSON.stringify(path.join(repo, 'dist/fs/proc-root.js'))});
const { scanFrames, FrameSets } = await import(${JSON.stringify(path.join(repo, 'dist/pages/index.js'))});
const root = new ProcRoot();
const t0 = performance.now();
const pids = root.listProc().filter((n) => /^\\d+$/.test(n)).map(Number);
const scan = scanFrames(root, pids.map((pid) => ({ pid })));
const t1 = performance.now();
const sets = new FrameSets(scan);
let uss = 0;
for (const s of sets.splitEach()) uss += s.privateFrames ?? 0;
const t2 = performance.now();
const mapped = scan.procs.reduce((a, p) => a + p.frames.length, 0);
console.log(JSON.stringify({ scanMs: t1 - t0, ussMs: t2 - t1, procs: pids.length, mappedPages: mapped, uniqueFrames: scan.table.frameCount,
  tableBytes: scan.stats.tableBytes, heapBytes: process.memoryUsage().heapUsed, arrayBuffers: process.memoryUsage().arrayBuffers, pagemapReads: scan.stats.pagemapReads, reusedEntries: scan.stats.reusedEntries, kpageReads: scan.stats.kpageReads }));
`;
const probeFile = path.join(dir, 'probe.mjs');
fs.writeFileSync(probeFile, probe);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Run a command; its last output line is JSON. Adds wallMs: the whole command, start-up included. */
const run = (cmd, args) => {
  const t = performance.now();
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  return { ...JSON.parse(out.trim().split('\n').pop()), wallMs: performance.now() - t };
};

const child = spawn(family, ['100', '100'], { stdio: ['ignore', 'pipe', 'inherit'] });
let familyPids = [];
const cleanup = () => {
  for (const pid of familyPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => (cleanup(), process.exit(130)));
process.on('SIGTERM', () => (cleanup(), process.exit(143)));

try {
  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.startsWith('ready'));
      if (line) resolve(line);
    });
    child.once('exit', () => reject(new Error('fork-family exited')));
  });
  familyPids = ready.split(' ').slice(2).map(Number);

  const c = [], ck = [], js = [], ratios = [], ckWall = [], jsWall = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    c.push(run(floor, []).ms);
    const k = run(floor, ['-k']);
    ck.push(k.ms);
    ckWall.push(k.wallMs);
    last = run(process.execPath, [probeFile]);
    js.push(last.scanMs);
    jsWall.push(last.wallMs);
    ratios.push(last.scanMs / k.ms);
  }
  const cm = median(c), ckm = median(ck), jm = median(js);
  console.log(`workload: ${familyPids.length} children + parent sharing 100 MiB; ${last.procs} pids scanned, ${last.mappedPages} mapped pages, ${last.uniqueFrames} distinct frames`);
  console.log(`C floor, pagemap + bitmap:              median ${cm.toFixed(1)} ms  (runs: ${c.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`C floor, pagemap + bitmap + kpage*:     median ${ckm.toFixed(1)} ms  (runs: ${ck.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`memledger scanFrames (cold, + kpage*):  median ${jm.toFixed(1)} ms  (runs: ${js.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`memledger exact USS of every process:   ${last.ussMs.toFixed(1)} ms more (last run)`);
  console.log(`memory: frame tables ${(last.tableBytes / 1048576).toFixed(1)} MiB; ArrayBuffers ${(last.arrayBuffers / 1048576).toFixed(1)} MiB; C bitmap ${(run(floor, []).bitmapBytes / 1024).toFixed(0)} KiB`);
  console.log(`ratio memledger / C floor (same work, with kpagecount+kpageflags): ${(jm / ckm).toFixed(2)}x (target <= 1.5x)`);
  console.log(`ratio memledger / C floor (pagemap only):                          ${(jm / cm).toFixed(2)}x`);
  console.log(`ratio per run, each against the C run just before it:             median ${median(ratios).toFixed(2)}x  (runs: ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`whole commands, start-up included: C -k median ${median(ckWall).toFixed(1)} ms, node median ${median(jsWall).toFixed(1)} ms: ${(median(jsWall) / median(ckWall)).toFixed(2)}x`);
} finally {
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
  cleanup();
  await exited;
}
