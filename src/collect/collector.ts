import { ProcError } from '../fs/errors.js';
import type { ProcRoot } from '../fs/proc-root.js';
import { userNames } from '../fs/users.js';
import { readPidStat, type PidStat } from '../procfs/pid-stat.js';
import { readPidStatus } from '../procfs/pid-status.js';
import { readPidMemoryRollup } from '../procfs/pid-smaps.js';
import { parsePidSmapsRollup, type PidSmapsRollup } from '../procfs/pid-smaps-rollup.js';
import { parsePidCgroup, memoryCgroupV1Path, unifiedCgroupPath } from '../procfs/pid-cgroup.js';
import { parsePidCmdline, parsePidOomScore, parsePidOomScoreAdj, readPidExe } from '../procfs/pid-misc.js';
import { parseUptime } from '../procfs/uptime.js';
import { GapLog, optional } from './gaps.js';
import { probeCapabilities } from './probe.js';
import type { Capabilities, ProcSample, Sample } from './sample.js';
import { collectSystem, type SystemSection } from './system.js';

export interface CollectOptions {
  /**
   * Read smaps_rollup (PSS, USS, SwapPss). It takes each target's mmap lock and costs in
   * proportion to its mapped memory (process-exporter #246), so commands that do not show
   * PSS turn it off.
   */
  rollup?: boolean;
  /** Only these pids (default: every pid in /proc). */
  pids?: number[];
  /** Read oom_score and oom_score_adj (default), only oom_score ('score'), or neither (false). */
  oom?: boolean | 'score';
  /** Read /proc/[pid]/cgroup (default true); only grouping by cgroup needs it. */
  cgroup?: boolean;
  /** Expensive system files to read as well (the ledger wants them). */
  system?: SystemSection[];
}

/** One scan of the system and of every process (thread-group leaders, as /proc lists them). */
export function collectSample(root: ProcRoot, opts: CollectOptions = {}): Sample {
  const scan = beginScan(root, opts);
  for (const pid of scan.pids) {
    scan.add(() => {
      const p = collectProc(root, pid, scan.gaps, opts);
      if (p && wantsRollup(p, opts)) readRollup(root, p, scan.gaps);
      return p && confirm(root, p, scan.caps);
    });
  }
  return scan.finish();
}

/** In-flight smaps_rollup reads of `collectSampleAsync`: enough to keep both cores of a small machine busy. */
const ROLLUP_CONCURRENCY = 4;
/** Processes read between two yields to the event loop in `collectSampleAsync`. */
const YIELD_EVERY = 4;

/**
 * The same scan as `collectSample`, but each smaps_rollup (the one expensive file: the kernel
 * walks the target's page tables for it) is read on libuv's thread pool while this thread reads
 * the cheap files of the next processes. On a multi-core machine the page-table walks run in
 * parallel; the result is the same Sample. Each rollup is read after the process's first stat
 * and before the identity check, as in the synchronous scan.
 */
export async function collectSampleAsync(root: ProcRoot, opts: CollectOptions = {}): Promise<Sample> {
  const scan = beginScan(root, opts);
  // Without smaps_rollup (Linux < 4.14) smaps is summed on this thread, as collectSample does.
  const rollupOnPool = scan.caps.smapsRollup;
  const queue: ProcSample[] = [];
  /** Each rollup's text (or error) and when its read finished: rollupReadAtMs stamps the read, not the parse. */
  const texts = new Map<ProcSample, Promise<{ text: string | ProcError; atMs: number }>>();
  let running = 0;
  let wake: (() => void) | undefined;
  const pump = (): void => {
    while (running < ROLLUP_CONCURRENCY && queue.length > 0) {
      const p = queue.shift()!;
      running++;
      texts.set(
        p,
        root.readProcAsync(`${p.pid}/smaps_rollup`).then(
          (text) => ({ text, atMs: Date.now() }),
          (e: unknown) => ({ text: e instanceof ProcError ? e : new ProcError('failed', root.procPath(`${p.pid}/smaps_rollup`), p.pid, e), atMs: Date.now() }),
        ).finally(() => {
          running--;
          pump();
          wake?.();
        }),
      );
    }
  };
  const procs: ProcSample[] = [];
  let sinceYield = 0;
  for (const pid of scan.pids) {
    // Completions of the pool's reads run only when this thread yields: yield now and then,
    // so that finished reads make room for the next ones while the cheap reads go on.
    if (running > 0 && ++sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
    const p = scan.tryProc(() => collectProc(root, pid, scan.gaps, opts));
    if (!p) continue;
    procs.push(p);
    if (rollupOnPool && wantsRollup(p, opts)) {
      queue.push(p);
      pump();
    }
  }
  while (queue.length > 0 || running > 0) await new Promise<void>((r) => (wake = r));
  const settled = new Map<ProcSample, { text: string | ProcError; atMs: number }>();
  await Promise.all([...texts].map(async ([p, t]) => settled.set(p, await t)));
  for (const p of procs) {
    scan.add(() => {
      const read = settled.get(p);
      if (read !== undefined) {
        const rel = `${p.pid}/smaps_rollup`;
        const r = optional(scan.gaps, `/proc/${rel}`, () => {
          if (read.text instanceof ProcError) throw read.text;
          return parsePidSmapsRollup(read.text, root.procPath(rel));
        });
        if (r) setRollup(p, r, 'smaps_rollup', read.atMs);
      } else if (!rollupOnPool && wantsRollup(p, opts)) {
        readRollup(root, p, scan.gaps);
      }
      return confirm(root, p, scan.caps);
    });
  }
  return scan.finish();
}

interface Scan {
  caps: Capabilities;
  gaps: GapLog;
  pids: number[];
  /** Run `read` for one process; a vanished process is counted and dropped, anything else rethrown. */
  tryProc<T>(read: () => T | undefined): T | undefined;
  /** Run `read` and keep the row it returns (with its user name). */
  add(read: () => ProcSample | undefined): void;
  finish(): Sample;
}

function beginScan(root: ProcRoot, opts: CollectOptions): Scan {
  const started = performance.now();
  const takenAtMs = Date.now();
  const probed = probeCapabilities(root);
  const gaps = new GapLog(root.procDir);
  const header = {
    takenAtMs,
    bootId: optional(gaps, '/proc/sys/kernel/random/boot_id', () => root.readProc('sys/kernel/random/boot_id').trim()),
    kernel: optional(gaps, '/proc/sys/kernel/osrelease', () => root.readProc('sys/kernel/osrelease').trim()),
    hostname: optional(gaps, '/proc/sys/kernel/hostname', () => root.readProc('sys/kernel/hostname').trim()),
    uptimeSeconds: optional(gaps, '/proc/uptime', () => parseUptime(root.readProc('uptime'), root.procPath('uptime'))),
  };
  const system = collectSystem(root, gaps, probed.pageSizeBytes, opts.system);
  const caps: Capabilities = { ...probed, memAvailable: system.meminfo.memAvailableBytes !== undefined };
  const names = userNames(caps.live);
  const pids = opts.pids ?? root.listProc().filter((n) => /^\d+$/.test(n)).map(Number);
  const procs: ProcSample[] = [];
  const tryProc = <T>(read: () => T | undefined): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (e instanceof ProcError && e.kind === 'vanished') {
        gaps.vanished++;
        return undefined;
      }
      throw e;
    }
  };
  return {
    caps,
    gaps,
    pids,
    tryProc,
    add(read) {
      const p = tryProc(read);
      if (p) {
        if (p.uid !== undefined) p.user = names.get(p.uid);
        procs.push(p);
      }
    },
    finish() {
      const gapList = gaps.list();
      const hints: string[] = [];
      const deniedRollups = gapList.find((g) => g.kind === 'denied' && /smaps/.test(g.what));
      if (deniedRollups) {
        hints.push(
          caps.root
            ? `${processes(deniedRollups.count)} unreadable even as root (a sandbox, lockdown or ptrace policy): PSS, USS and swap unknown`
            : `${processes(deniedRollups.count)} unreadable: run as root for PSS, USS and swap`,
        );
      }
      return {
        header: { ...header, caps, collectMs: performance.now() - started, vanished: gaps.vanished, gaps: gapList, hints },
        system,
        procs,
      };
    },
  };
}

/**
 * Read one process. stat is critical (no stat, no row); everything else is optional.
 * The identity check at the end drops a row whose pid was reused while we read it.
 */
function collectProc(root: ProcRoot, pid: number, gaps: GapLog, opts: CollectOptions): ProcSample | undefined {
  let stat: PidStat;
  try {
    stat = readPidStat(root, pid);
  } catch (e) {
    if (e instanceof ProcError && e.kind === 'vanished') throw e;
    if (e instanceof ProcError) gaps.add(e.kind, e.path);
    else gaps.add('malformed', `/proc/${pid}/stat`);
    return undefined;
  }
  const p = `/proc/${pid}`;
  const status = optional(gaps, `${p}/status`, () => readPidStatus(root, pid));
  const cmdlineText = optional(gaps, `${p}/cmdline`, () => root.readProc(`${pid}/cmdline`));
  const proc: ProcSample = {
    pid,
    startTimeTicks: stat.startTimeTicks,
    key: `${pid}:${stat.startTimeTicks}`,
    ppid: stat.ppid,
    comm: stat.comm,
    cmdline: cmdlineText === undefined ? undefined : parsePidCmdline(cmdlineText),
    uid: status?.uids?.[1] ?? optional(gaps, p, () => root.procOwner(String(pid))),
    isKernelThread: stat.isKernelThread,
    stat,
    status,
  };
  if (!stat.isKernelThread) {
    proc.exe = optional(gaps, `${p}/exe`, () => readPidExe(root, pid));
    const cg = opts.cgroup === false ? undefined : optional(gaps, `${p}/cgroup`, () => parsePidCgroup(root.readProc(`${pid}/cgroup`), root.procPath(`${pid}/cgroup`)));
    if (cg) {
      proc.cgroupV1Memory = memoryCgroupV1Path(cg);
      proc.cgroupV2 = unifiedCgroupPath(cg);
    }
  }
  if (opts.oom !== false) {
    proc.oomScore = optional(gaps, `${p}/oom_score`, () => parsePidOomScore(root.readProc(`${pid}/oom_score`), root.procPath(`${pid}/oom_score`)));
    if (opts.oom !== 'score') proc.oomScoreAdj = optional(gaps, `${p}/oom_score_adj`, () => parsePidOomScoreAdj(root.readProc(`${pid}/oom_score_adj`), root.procPath(`${pid}/oom_score_adj`)));
  }
  return proc;
}

/**
 * Whether to read PSS for this process: a kernel thread never had an mm and a zombie has
 * released its own (kernel/exit.c exit_mm), so there is nothing to sum for either.
 */
function wantsRollup(p: ProcSample, opts: CollectOptions): boolean {
  return opts.rollup !== false && !p.isKernelThread && p.stat.state !== 'Z';
}

/** smaps_rollup (or summed smaps before Linux 4.14): PSS, USS, SwapPss. */
function readRollup(root: ProcRoot, proc: ProcSample, gaps: GapLog): void {
  const r = optional(gaps, `/proc/${proc.pid}/smaps_rollup`, () => readPidMemoryRollup(root, proc.pid));
  if (r) setRollup(proc, r.rollup, r.source, Date.now());
}

function setRollup(proc: ProcSample, rollup: PidSmapsRollup, source: ProcSample['rollupSource'], readAtMs: number): void {
  proc.rollup = rollup;
  proc.rollupSource = source;
  proc.rollupReadAtMs = readAtMs;
}

/**
 * Same pid, same start time: still the process whose first stat we read, so every file read
 * in between was its own. Dropped (undefined) when the pid was reused. Captured trees cannot change.
 */
function confirm(root: ProcRoot, proc: ProcSample, caps: Capabilities): ProcSample | undefined {
  if (!caps.live) return proc;
  const again = readPidStat(root, proc.pid);
  return again.startTimeTicks === proc.startTimeTicks ? proc : undefined;
}

const processes = (n: number): string => (n === 1 ? '1 process' : `${n} processes`);
