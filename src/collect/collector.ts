import { ProcError } from '../fs/errors.js';
import type { ProcRoot } from '../fs/proc-root.js';
import { userNames } from '../fs/users.js';
import { readPidStat, type PidStat } from '../procfs/pid-stat.js';
import { readPidStatus } from '../procfs/pid-status.js';
import { readPidMemoryRollup } from '../procfs/pid-smaps.js';
import { parsePidCgroup, memoryCgroupV1Path, unifiedCgroupPath } from '../procfs/pid-cgroup.js';
import { parsePidCmdline, parsePidOomScore, parsePidOomScoreAdj, readPidExe } from '../procfs/pid-misc.js';
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
  /** Also read oom_score, oom_score_adj (cheap; default true). */
  oom?: boolean;
  /** Expensive system files to read as well (the ledger wants them). */
  system?: SystemSection[];
}

/** One scan of the system and of every process (thread-group leaders, as /proc lists them). */
export function collectSample(root: ProcRoot, opts: CollectOptions = {}): Sample {
  const started = performance.now();
  const takenAtMs = Date.now();
  const caps = probeCapabilities(root);
  const gaps = new GapLog(root.procDir);
  const header = {
    takenAtMs,
    bootId: optional(gaps, '/proc/sys/kernel/random/boot_id', () => root.readProc('sys/kernel/random/boot_id').trim()),
    kernel: optional(gaps, '/proc/sys/kernel/osrelease', () => root.readProc('sys/kernel/osrelease').trim()),
    hostname: optional(gaps, '/proc/sys/kernel/hostname', () => root.readProc('sys/kernel/hostname').trim()),
    uptimeSeconds: optional(gaps, '/proc/uptime', () => Number(root.readProc('uptime').split(' ')[0])),
  };
  const system = collectSystem(root, gaps, caps.pageSizeBytes, opts.system);

  const names = userNames(caps.live);
  const pids = opts.pids ?? root.listProc().filter((n) => /^\d+$/.test(n)).map(Number);
  const procs: ProcSample[] = [];
  for (const pid of pids) {
    try {
      const p = collectProc(root, pid, caps, gaps, opts);
      if (p) {
        if (p.uid !== undefined) p.user = names.get(p.uid);
        procs.push(p);
      }
    } catch (e) {
      if (e instanceof ProcError && e.kind === 'vanished') {
        gaps.vanished++;
        continue;
      }
      throw e;
    }
  }

  const hints: string[] = [];
  const deniedRollups = gaps.list().find((g) => g.kind === 'denied' && /smaps/.test(g.what));
  if (deniedRollups) {
    hints.push(
      caps.root
        ? `${deniedRollups.count} processes unreadable even as root (a sandbox, lockdown or ptrace policy): their PSS, USS and swap are unknown`
        : `${deniedRollups.count} processes unreadable: run as root for PSS, USS and swap`,
    );
  }
  return {
    header: { ...header, caps, collectMs: performance.now() - started, vanished: gaps.vanished, gaps: gaps.list(), hints },
    system,
    procs,
  };
}

/**
 * Read one process. stat is critical (no stat, no row); everything else is optional.
 * The identity check at the end drops a row whose pid was reused while we read it.
 */
function collectProc(root: ProcRoot, pid: number, caps: Capabilities, gaps: GapLog, opts: CollectOptions): ProcSample | undefined {
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
    const cg = optional(gaps, `${p}/cgroup`, () => parsePidCgroup(root.readProc(`${pid}/cgroup`)));
    if (cg) {
      proc.cgroupV1Memory = memoryCgroupV1Path(cg);
      proc.cgroupV2 = unifiedCgroupPath(cg);
    }
    if (opts.rollup !== false && stat.state !== 'Z') {
      const r = optional(gaps, `${p}/smaps_rollup`, () => readPidMemoryRollup(root, pid));
      if (r) {
        proc.rollup = r.rollup;
        proc.rollupSource = r.source;
        proc.rollupReadAtMs = Date.now();
      }
    }
  }
  if (opts.oom !== false) {
    proc.oomScore = optional(gaps, `${p}/oom_score`, () => parsePidOomScore(root.readProc(`${pid}/oom_score`)));
    proc.oomScoreAdj = optional(gaps, `${p}/oom_score_adj`, () => parsePidOomScoreAdj(root.readProc(`${pid}/oom_score_adj`)));
  }
  // Same pid, same start time: still the process we started reading. Captured trees cannot change.
  if (caps.live) {
    const again = readPidStat(root, pid);
    if (again.startTimeTicks !== stat.startTimeTicks) return undefined;
  }
  return proc;
}
