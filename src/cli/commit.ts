import type { Command } from 'commander';
import { ProcError, isProcError } from '../fs/errors.js';
import { ProcRoot } from '../fs/proc-root.js';
import { collectSample } from '../collect/collector.js';
import type { ProcSample } from '../collect/sample.js';
import { readMeminfo } from '../procfs/meminfo.js';
import { readPidSmaps } from '../procfs/pid-smaps.js';
import { hasCapability, readPidStatus } from '../procfs/pid-status.js';
import { readSysVm } from '../procfs/sys-vm.js';
import {
  type CommitCaller,
  type CommitMemory,
  type CommitPolicy,
  type ProcCommit,
  type RequestPrediction,
  commitLimitPages,
  largestAllocBytes,
  predictAlloc,
  predictFork,
  procCommit,
} from '../analyze/overcommit.js';
import { parseSizeArg } from '../fields/units.js';
import { UsageError } from './errors.js';
import { renderCommit } from './commit-render.js';
import { parseLimitArg } from './interval.js';
import { jsonText } from './json.js';

interface CommitOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  fork?: string;
  alloc?: string;
  asRoot?: boolean;
  user?: boolean;
  pid?: string;
  limit?: string;
}

export function configure(cmd: Command): void {
  cmd
    .option('--fork <pid>', 'would fork() of this process pass the commit check now, and if not, what would make it pass')
    .option('--alloc <size>', 'would one anonymous private allocation of this size (e.g. 2G, 512M) pass now')
    .option('--as-root', 'with --alloc: the caller holds CAP_SYS_ADMIN (no admin reserve)')
    .option('--user', 'with --alloc: the caller lacks CAP_SYS_ADMIN (admin reserve applies; the default)')
    .option('--pid <pid>', 'with --alloc: the caller is this process (its VmSize and CAP_SYS_ADMIN decide the reserves)')
    .option('--limit <n>', 'show at most n processes (totals cover all)', '20')
    .action((opts: CommitOptions) => runCommit(opts));
}

export interface CommitProcRow {
  pid: number;
  comm: string;
  user?: string;
  uid?: number;
  cmdline?: string[];
  /** status "VmSize:" (mm->total_vm). */
  vmSizeBytes?: number;
  vmRssBytes?: number;
  /** Sum of VM_ACCOUNT VMA sizes (smaps VmFlags "ac"). */
  chargedBytes: number;
  /** What fork would charge again (VM_ACCOUNT without VM_DONTCOPY). */
  forkChargeBytes: number;
  largestForkVmaBytes: number;
  accountedVmas: number;
  /** status "CapEff:" has CAP_SYS_ADMIN (bit 21). */
  capSysAdmin?: boolean;
}

export interface CommitReport {
  source: string;
  policy: CommitPolicy;
  memory: CommitMemory;
  /** vm_commit_limit() recomputed from the sysctls and meminfo; equals CommitLimit when our reading is right. */
  commitLimitComputedBytes: number;
  /** Largest single anonymous allocation that passes now: for a CAP_SYS_ADMIN caller and for others (user reserve at its largest). */
  largestAlloc: { adminBytes?: number; userBytes?: number };
  processes?: CommitProcRow[];
  totals?: {
    processCount: number;
    /** Undefined when no process's smaps could be read (a captured tree without --smaps). */
    chargedBytes?: number;
    /** MAP_SHARED|MAP_ANONYMOUS objects, each counted once (charged to the object at creation). */
    sharedAnonObjects: number;
    sharedAnonBytes: number;
    /** Committed_AS - processes - shared anonymous objects. */
    notInProcessesBytes?: number;
    /** meminfo "Shmem:": tmpfs, POSIX shm and memfd pages are charged page by page (plus resident SysV/shared anon). */
    shmemBytes?: number;
    unreadable: number;
    unreadableExample?: string;
  };
  fork?: { pid: number; comm: string; proc: CommitProcRow; caller: CommitCaller; prediction: RequestPrediction };
  alloc?: { sizeBytes: number; caller: CommitCaller; callerSource: string; prediction: RequestPrediction };
}

const CAP_SYS_ADMIN = 21;

/** status "CapEff:" -> has CAP_SYS_ADMIN (the admin reserve does not apply to such a task). */
function capSysAdminOf(root: ProcRoot, pid: number): boolean | undefined {
  const capEff = readPidStatus(root, pid).capEff;
  return capEff === undefined ? undefined : hasCapability(capEff, CAP_SYS_ADMIN);
}

/** Present CPUs from /sys/devices/system/cpu/present ("0-1,4"), or undefined. */
function presentCpus(root: ProcRoot): number | undefined {
  if (!root.existsSys('devices/system/cpu/present')) return undefined;
  let n = 0;
  for (const part of root.readSys('devices/system/cpu/present').trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    n += (m[2] === undefined ? 0 : Number(m[2]) - Number(m[1])) + 1;
  }
  return n;
}

export function readCommitSystem(root: ProcRoot, pageSizeBytes = 4096): { policy: CommitPolicy; memory: CommitMemory } {
  const vm = readSysVm(root);
  if (vm.overcommitMemory === undefined) throw new ProcError('absent', root.procPath('sys/vm/overcommit_memory'), undefined, new Error('not found'));
  const mi = readMeminfo(root);
  if (mi.committedAsBytes === undefined) throw new ProcError('absent', root.procPath('meminfo'), undefined, new Error('no Committed_AS line'));
  const policy: CommitPolicy = {
    mode: vm.overcommitMemory,
    ratioPct: vm.overcommitRatioPct ?? 50,
    limitBytes: vm.overcommitBytes ?? 0,
    adminReserveBytes: vm.adminReserveBytes ?? 0,
    userReserveBytes: vm.userReserveBytes ?? 0,
  };
  const memory: CommitMemory = {
    pageSizeBytes,
    memTotalBytes: mi.memTotalBytes,
    hugetlbBytes: mi.hugetlbBytes ?? (mi.hugePagesTotal ?? 0) * (mi.hugePageSizeBytes ?? 0),
    swapTotalBytes: mi.swapTotalBytes ?? 0,
    commitLimitBytes: mi.commitLimitBytes,
    committedAsBytes: mi.committedAsBytes,
    shmemBytes: mi.shmemBytes,
    presentCpus: presentCpus(root),
  };
  return { policy, memory };
}

function procRow(root: ProcRoot, p: ProcSample, c: ProcCommit): CommitProcRow {
  let capSysAdmin: boolean | undefined;
  try {
    capSysAdmin = capSysAdminOf(root, p.pid);
  } catch (e) {
    if (!isProcError(e)) throw e;
  }
  return {
    pid: p.pid,
    comm: p.comm,
    user: p.user,
    uid: p.uid,
    cmdline: p.cmdline,
    vmSizeBytes: p.status?.vmSizeBytes,
    vmRssBytes: p.status?.vmRssBytes,
    chargedBytes: c.chargedBytes,
    forkChargeBytes: c.forkChargeBytes,
    largestForkVmaBytes: c.largestForkVmaBytes,
    accountedVmas: c.accountedVmas,
    capSysAdmin,
  };
}

function parsePid(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} takes a pid, not '${text}'`);
  return Number(text);
}

/** Everything `memledger commit` shows, for the options given. */
export function commitReport(root: ProcRoot, opts: Omit<CommitOptions, 'procRoot' | 'sysRoot' | 'json' | 'limit'>): CommitReport {
  if (opts.asRoot && opts.user) throw new UsageError('--as-root and --user exclude each other');
  if ((opts.asRoot || opts.user || opts.pid) && !opts.alloc) throw new UsageError('--as-root, --user and --pid go with --alloc');
  if (opts.pid && (opts.asRoot || opts.user)) throw new UsageError('--pid decides the reserves from the process itself; drop --as-root/--user');
  const forkPid = opts.fork === undefined ? undefined : parsePid(opts.fork, '--fork');
  const callerPid = opts.pid === undefined ? undefined : parsePid(opts.pid, '--pid');
  let allocBytes: number | undefined;
  if (opts.alloc !== undefined) {
    allocBytes = parseSizeArg(opts.alloc);
    if (allocBytes === undefined || allocBytes <= 0) throw new UsageError(`--alloc takes a size such as 512M or 2G, not '${opts.alloc}'`);
  }

  const whole = forkPid === undefined && allocBytes === undefined;
  const pids = whole ? undefined : [forkPid, callerPid].filter((p): p is number => p !== undefined);
  const sample = collectSample(root, { rollup: false, oom: false, pids: pids ?? undefined });
  const { policy, memory } = readCommitSystem(root, sample.header.caps.pageSizeBytes);
  const report: CommitReport = {
    source: '/proc/sys/vm/overcommit_*, *_reserve_kbytes; /proc/meminfo CommitLimit, Committed_AS, MemTotal, SwapTotal, Hugetlb; /proc/<pid>/smaps VmFlags',
    policy,
    memory,
    commitLimitComputedBytes: commitLimitPages(policy, memory) * memory.pageSizeBytes,
    largestAlloc: {
      adminBytes: largestAllocBytes(policy, memory, { capSysAdmin: true }),
      userBytes: largestAllocBytes(policy, memory, { capSysAdmin: false }),
    },
  };

  const rows = new Map<number, CommitProcRow>();
  let unreadable = 0;
  let unreadableExample: string | undefined;
  const shared = new Map<string, number>();
  const commits = new Map<number, ProcCommit>();
  for (const p of sample.procs) {
    if (p.isKernelThread || p.stat.state === 'Z') continue;
    let c: ProcCommit;
    try {
      c = procCommit(readPidSmaps(root, p.pid).vmas);
    } catch (e) {
      if (!(e instanceof ProcError)) throw e;
      // Live, a pid dir that lost its smaps is a process that exited; in a captured tree the
      // process is there and its smaps was not captured (capture copies it only with --smaps).
      if (isProcError(e, 'vanished') && root.live) continue;
      if (!whole) {
        if (root.live) throw e;
        throw new UsageError(`${e.path}: not in this captured tree (it needs \`memledger capture --smaps\`)`);
      }
      unreadable++;
      unreadableExample ??= `${e.path}: ${e.kind}`;
      continue;
    }
    for (const [k, v] of c.sharedAnon) shared.set(k, Math.max(shared.get(k) ?? 0, v));
    rows.set(p.pid, procRow(root, p, c));
    commits.set(p.pid, c);
  }

  if (forkPid !== undefined) {
    const proc = rows.get(forkPid);
    if (!proc) throw new UsageError(`--fork: no user process ${forkPid} (gone, a kernel thread, or a zombie)`);
    const caller: CommitCaller = { capSysAdmin: proc.capSysAdmin ?? proc.uid === 0, totalVmBytes: proc.vmSizeBytes };
    report.fork = { pid: forkPid, comm: proc.comm, proc, caller, prediction: predictFork(policy, memory, caller, commits.get(forkPid)!) };
  }
  if (allocBytes !== undefined) {
    let caller: CommitCaller;
    let callerSource: string;
    if (callerPid !== undefined) {
      const proc = rows.get(callerPid);
      if (!proc) throw new UsageError(`--pid: no user process ${callerPid}`);
      caller = { capSysAdmin: proc.capSysAdmin ?? proc.uid === 0, totalVmBytes: proc.vmSizeBytes };
      callerSource = `process ${callerPid} (${proc.comm}): VmSize and CapEff from /proc/${callerPid}/status`;
    } else {
      caller = { capSysAdmin: !!opts.asRoot };
      callerSource = `${opts.asRoot ? 'a CAP_SYS_ADMIN' : 'an unprivileged'} process of any size (user reserve taken at its largest)`;
    }
    report.alloc = { sizeBytes: allocBytes, caller, callerSource, prediction: predictAlloc(policy, memory, caller, allocBytes) };
  }
  if (whole) {
    const list = [...rows.values()].sort((a, b) => b.chargedBytes - a.chargedBytes || a.pid - b.pid);
    const charged = list.reduce((s, r) => s + r.chargedBytes, 0);
    const sharedBytes = [...shared.values()].reduce((s, v) => s + v, 0);
    // Nothing read and something unreadable: the charge is unknown, not 0.
    const known = list.length > 0 || unreadable === 0;
    report.processes = list;
    report.totals = {
      processCount: list.length,
      chargedBytes: known ? charged : undefined,
      sharedAnonObjects: shared.size,
      sharedAnonBytes: sharedBytes,
      notInProcessesBytes: known ? memory.committedAsBytes - charged - sharedBytes : undefined,
      shmemBytes: memory.shmemBytes,
      unreadable,
      unreadableExample,
    };
  }
  return report;
}

function runCommit(opts: CommitOptions): void {
  const limit = parseLimitArg(opts.limit) ?? 20;
  const report = commitReport(ProcRoot.fromOptions(opts), opts);
  if (opts.json) {
    process.stdout.write(jsonText({ schema: 'memledger.commit/1', ...report }) + '\n');
    return;
  }
  process.stdout.write(renderCommit(report, limit));
}
