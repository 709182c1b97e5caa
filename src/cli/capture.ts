import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ProcError } from '../fs/errors.js';
import { ProcRoot } from '../fs/proc-root.js';
import { DRIVER_BUSES, HIDDEN_MEMORY_DRIVERS } from '../procfs/hidden-memory.js';
import { UsageError } from './errors.js';
import { jsonText } from './json.js';

interface CaptureOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  pids?: string;
  smaps?: boolean;
}

/** System files under /proc that memledger reads (relative to /proc). */
const PROC_SYSTEM = [
  'meminfo', 'vmstat', 'slabinfo', 'vmallocinfo', 'zoneinfo', 'buddyinfo', 'pagetypeinfo', 'swaps', 'modules',
  'pressure/memory', 'uptime', 'version', 'cgroups', 'mounts', 'self/mountinfo',
  'sys/kernel/osrelease', 'sys/kernel/hostname', 'sys/kernel/random/boot_id',
];
const PROC_DIRS = ['sys/vm'];
/** Per-process files (smaps only with --smaps: it is large and takes the mmap lock). */
const PID_FILES = ['stat', 'status', 'statm', 'smaps_rollup', 'cmdline', 'comm', 'cgroup', 'oom_score', 'oom_score_adj', 'loginuid'];
/** /sys directories read whole (small files only). */
const SYS_DIRS = [
  'kernel/mm/transparent_hugepage', 'kernel/mm/transparent_hugepage/khugepaged', 'kernel/mm/ksm',
  'module/virtio_balloon', 'bus/virtio/drivers/virtio_balloon',
];

/**
 * `memledger capture DIR`: copy the /proc and /sys files memledger reads into DIR/proc and
 * DIR/sys, so that any command can later run on them with --proc-root DIR/proc --sys-root DIR/sys.
 * This is how bug reports and test trees are made from real machines.
 */
export function configure(cmd: Command): void {
  cmd
    .argument('<dir>', 'where to write the tree (must not exist, or be empty)')
    .option('--pids <pids>', 'only these processes (comma-separated); default: all')
    .option('--smaps', 'also copy each process\'s full smaps and maps')
    .action((dir: string, opts: CaptureOptions) => runCapture(dir, opts));
}

function runCapture(dir: string, opts: CaptureOptions): void {
  const pidList = opts.pids?.split(',').map((s) => {
    if (!/^\d+$/.test(s.trim())) throw new UsageError(`--pids takes pids separated by commas, not '${opts.pids}'`);
    return s.trim();
  });
  const root = ProcRoot.fromOptions(opts);
  const out = makeOutputDir(dir);
  let files = 0;
  const put = (rel: string, text: string): void => {
    const p = path.join(out, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    files++;
  };
  const copyProc = (rel: string, dest = rel): void => {
    try {
      put(path.join('proc', dest), root.readProc(rel));
    } catch (e) {
      if (!(e instanceof ProcError)) throw e;
    }
  };
  for (const f of PROC_SYSTEM) copyProc(f);
  for (const d of PROC_DIRS) for (const f of safe(() => root.listProc(d))) copyProc(`${d}/${f}`);
  const pids = pidList ?? root.listProc().filter((n) => /^\d+$/.test(n));
  for (const pid of pids) {
    for (const f of [...PID_FILES, ...(opts.smaps ? ['smaps', 'maps'] : [])]) copyProc(`${pid}/${f}`);
    try {
      const exe = root.readProcLink(`${pid}/exe`);
      fs.mkdirSync(path.join(out, 'proc', pid), { recursive: true });
      fs.symlinkSync(exe, path.join(out, 'proc', pid, 'exe'));
    } catch (e) {
      if (!(e instanceof ProcError)) throw e;
    }
  }
  if (root.hasSys()) {
    for (const d of SYS_DIRS) copySysDir(root, d, put);
    for (const node of safe(() => root.listSys('devices/system/node')).filter((n) => /^node\d+$/.test(n))) {
      copySys(root, `devices/system/node/${node}/meminfo`, put);
    }
    for (const h of safe(() => root.listSys('kernel/mm/hugepages'))) copySysDir(root, `kernel/mm/hugepages/${h}`, put);
    for (const dev of safe(() => root.listSys('bus/virtio/devices'))) {
      for (const f of ['device', 'vendor', 'features']) copySys(root, `bus/virtio/devices/${dev}/${f}`, put);
    }
    for (const b of safe(() => root.listSys('block')).filter((n) => n.startsWith('zram'))) {
      for (const f of ['mm_stat', 'disksize', 'io_stat', 'stat']) copySys(root, `block/${b}/${f}`, put);
    }
    copyDriverPresence(root, out);
    copySysDir(root, 'module/zswap/parameters', put);
  }
  if (opts.json) {
    const doc = { schema: 'memledger.capture/1', dir: out, fileCount: files, procDir: root.procDir, sysDir: root.sysDir ?? null };
    process.stdout.write(jsonText(doc) + '\n');
  } else {
    process.stdout.write(`captured ${files} files from ${root.procDir}${root.sysDir ? ` and ${root.sysDir}` : ''} into ${out}\n`);
  }
}

/**
 * Create DIR (and missing parents) one level at a time, or accept an empty directory.
 * Node 20's `mkdirSync(p, { recursive: true })` never returns for a path under /proc
 * (ENOENT from procfs makes it retry the same component), so it is not used for DIR itself.
 */
function makeOutputDir(dir: string): string {
  const out = path.resolve(dir);
  const missing: string[] = [];
  for (let p = out; !fs.existsSync(p); p = path.dirname(p)) missing.unshift(p);
  try {
    for (const m of missing) fs.mkdirSync(m);
    if (!fs.statSync(out).isDirectory()) throw new UsageError(`${dir}: not a directory`);
    if (missing.length === 0 && fs.readdirSync(out).length > 0) throw new UsageError(`${dir} exists and is not empty`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'refused by the file system (ENOENT)' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a parent is not a directory' : String(code);
    throw new UsageError(`cannot create ${dir}: ${why}`);
  }
  return out;
}

/**
 * Drivers that hold memory out of meminfo's sight are found by their sysfs directories
 * (procfs/hidden-memory.ts): keep each present driver's directory, a directory for each
 * device bound to it (a symlink in sysfs), and its module parameters.
 */
function copyDriverPresence(root: ProcRoot, out: string): void {
  for (const name of Object.keys(HIDDEN_MEMORY_DRIVERS)) {
    for (const bus of DRIVER_BUSES) {
      const rel = `bus/${bus}/drivers/${name}`;
      if (!root.existsSys(rel)) continue;
      fs.mkdirSync(path.join(out, 'sys', rel), { recursive: true });
      for (const dev of safe(() => root.listSys(rel)).filter((d) => /^[\w.:-]+$/.test(d) && root.existsSys(`bus/${bus}/devices/${d}`))) {
        fs.mkdirSync(path.join(out, 'sys', rel, dev), { recursive: true });
      }
    }
    const mod = `module/${name}`;
    if (root.existsSys(mod)) {
      fs.mkdirSync(path.join(out, 'sys', mod), { recursive: true });
      for (const f of safe(() => root.listSys(`${mod}/parameters`))) {
        try {
          const text = root.readSys(`${mod}/parameters/${f}`, 1 << 16);
          fs.mkdirSync(path.join(out, 'sys', mod, 'parameters'), { recursive: true });
          fs.writeFileSync(path.join(out, 'sys', mod, 'parameters', f), text);
        } catch (e) {
          if (!(e instanceof ProcError)) throw e;
        }
      }
    }
  }
}

function copySys(root: ProcRoot, rel: string, put: (rel: string, text: string) => void): void {
  try {
    put(path.join('sys', rel), root.readSys(rel, 1 << 20));
  } catch (e) {
    if (!(e instanceof ProcError)) throw e;
  }
}

function copySysDir(root: ProcRoot, rel: string, put: (rel: string, text: string) => void): void {
  const subdirs = new Set(safe(() => root.listSysDirs(rel)));
  for (const f of safe(() => root.listSys(rel))) if (!subdirs.has(f)) copySys(root, `${rel}/${f}`, put);
}

function safe(list: () => string[]): string[] {
  try {
    return list();
  } catch (e) {
    if (e instanceof ProcError) return [];
    throw e;
  }
}
