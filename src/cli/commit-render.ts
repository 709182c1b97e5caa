import type { RequestPrediction } from '../analyze/overcommit.js';
import { formatBytes, formatPercent } from '../fields/units.js';
import type { CommitProcRow, CommitReport } from './commit.js';
import { renderTable, type Column } from './table.js';

/** Text for `memledger commit`: the policy paragraph, the ranked table, and any --fork/--alloc verdict. */
export function renderCommit(r: CommitReport, limit: number): string {
  const out: string[] = [policyParagraph(r), ''];
  if (r.totals?.chargedBytes === undefined && r.totals) out.push(unknownChargeParagraph(r), '');
  else if (r.processes && r.totals) out.push(processTable(r, limit), '', gapParagraph(r), '');
  if (r.fork) out.push(forkParagraph(r), '');
  if (r.alloc) out.push(allocParagraph(r), '');
  return out.join('\n');
}

const b = (n: number | undefined): string => formatBytes(n);

function limitFormula(r: CommitReport): string {
  const { policy: p, memory: m } = r;
  const swap = `swap ${b(m.swapTotalBytes)} (SwapTotal)`;
  const base = p.limitBytes > 0
    ? `overcommit_kbytes ${b(p.limitBytes)} + ${swap}`
    : `(MemTotal ${b(m.memTotalBytes)} - hugetlb ${b(m.hugetlbBytes)}) x overcommit_ratio ${p.ratioPct}% + ${swap}`;
  const printed = m.commitLimitBytes;
  const check = printed === undefined ? '' : Math.abs(printed - r.commitLimitComputedBytes) < 4096 ? ' (matches meminfo CommitLimit)' : ` (meminfo CommitLimit says ${b(printed)})`;
  return `CommitLimit = ${base} = ${b(r.commitLimitComputedBytes)}${check}`;
}

function policyParagraph(r: CommitReport): string {
  const { policy: p, memory: m } = r;
  const committed = `Committed_AS (/proc/meminfo) is ${b(m.committedAsBytes)}`;
  const reserves = `admin_reserve_kbytes ${b(p.adminReserveBytes)}, user_reserve_kbytes ${b(p.userReserveBytes)}`;
  if (p.mode === 1) {
    return [
      `vm.overcommit_memory = 1 (always overcommit): __vm_enough_memory (mm/util.c) never refuses; memory runs out at page-fault time and the OOM killer chooses a victim.`,
      `${committed}; ${limitFormula(r)} would apply only in mode 2 (${formatPercent(m.committedAsBytes, r.commitLimitComputedBytes)} of it in use). Reserves: ${reserves}.`,
    ].join('\n');
  }
  if (p.mode === 0) {
    return [
      `vm.overcommit_memory = 0 (heuristic, the default): Committed_AS is counted but not enforced. __vm_enough_memory (mm/util.c) refuses a single request only when it alone exceeds RAM + swap = ${b(r.largestAlloc.adminBytes)}: one mmap or brk, and for fork each copied VM_ACCOUNT VMA separately (dup_mmap asks once per VMA), so a fork is refused only if one of its VMAs is that large. The reserves (${reserves}) do not apply in this mode.`,
      `${committed}; ${limitFormula(r)} would apply in mode 2 (${formatPercent(m.committedAsBytes, r.commitLimitComputedBytes)} of it in use).`,
    ].join('\n');
  }
  return [
    `vm.overcommit_memory = 2 (never overcommit): each private writable mapping, brk, stack growth, each VM_ACCOUNT VMA fork copies and each shmem object or page is charged to Committed_AS first; __vm_enough_memory (mm/util.c) refuses it unless Committed_AS + request < CommitLimit - admin reserve (${b(p.adminReserveBytes)}, waived for a task with CAP_SYS_ADMIN) - user reserve (min(the asking task's VmSize/32, ${b(p.userReserveBytes)}), subtracted for root too).`,
    `${limitFormula(r)}. ${committed}: headroom ${b(r.commitLimitComputedBytes - m.committedAsBytes)} before reserves. Largest single allocation now: ${b(r.largestAlloc.adminBytes)} for a CAP_SYS_ADMIN process, ${b(r.largestAlloc.userBytes)} for any other (up to ${b(p.userReserveBytes)} more for a process smaller than 32 x the user reserve).`,
  ].join('\n');
}

function processTable(r: CommitReport, limit: number): string {
  const rows = r.processes!.slice(0, limit);
  const cols: Column<CommitProcRow>[] = [
    { title: 'PID', value: (x) => (x.pid ? String(x.pid) : '') },
    { title: 'USER', align: 'left', value: (x) => x.user ?? (x.uid === undefined ? '' : String(x.uid)) },
    { title: 'COMMIT', value: (x) => b(x.chargedBytes) },
    { title: 'FORK', value: (x) => b(x.forkChargeBytes) },
    { title: 'AC VMAS', value: (x) => String(x.accountedVmas) },
    { title: 'VSZ', value: (x) => b(x.vmSizeBytes) },
    { title: 'RSS', value: (x) => b(x.vmRssBytes) },
    { title: 'COMMAND', align: 'left', value: (x) => (x.cmdline?.length ? x.cmdline.join(' ') : x.comm).slice(0, 60) },
  ];
  const t = r.totals!;
  const total: CommitProcRow = {
    pid: 0,
    comm: `total, ${t.processCount} processes`,
    chargedBytes: t.chargedBytes!,
    forkChargeBytes: r.processes!.reduce((s, x) => s + x.forkChargeBytes, 0),
    largestForkVmaBytes: 0,
    accountedVmas: r.processes!.reduce((s, x) => s + x.accountedVmas, 0),
    vmSizeBytes: r.processes!.reduce((s, x) => s + (x.vmSizeBytes ?? 0), 0),
    vmRssBytes: undefined,
  };
  return [
    renderTable(cols, rows, [total]),
    'COMMIT: sum of VMAs flagged VM_ACCOUNT ("ac" in /proc/<pid>/smaps VmFlags), what the kernel charged to Committed_AS for this process. FORK: the part fork() charges again (not VM_DONTCOPY). VSZ, RSS: /proc/<pid>/status VmSize, VmRSS.',
  ].join('\n');
}

function unknownChargeParagraph(r: CommitReport): string {
  const t = r.totals!;
  return `Commit charge per process: ? (no process's /proc/<pid>/smaps could be read: ${t.unreadable} processes, e.g. ${t.unreadableExample}).`;
}

function gapParagraph(r: CommitReport): string {
  const t = r.totals!;
  const charged = t.chargedBytes!;
  const parts = [
    `Processes ${b(charged)} + shared anonymous objects ${b(t.sharedAnonBytes)} (${t.sharedAnonObjects}, charged once to the object when created, mm/shmem.c shmem_acct_size) = ${b(charged + t.sharedAnonBytes)} of Committed_AS ${b(r.memory.committedAsBytes)}.`,
    `Not in any process: ${b(t.notInProcessesBytes)} - tmpfs, POSIX shm and memfd pages (charged page by page; meminfo Shmem ${b(t.shmemBytes)} includes them), SysV shm segments (charged whole at shmget), objects no process maps any more` +
      (t.unreadable ? `, and ${t.unreadable} processes whose smaps could not be read (e.g. ${t.unreadableExample})` : '') +
      '.',
  ];
  return parts.join('\n');
}

function verdictLine(p: RequestPrediction): string {
  if (p.verdict === 'borderline') {
    return `too close to call: the margin ${b(p.marginBytes)} is within the ${b(p.slackBytes)} the kernel's per-CPU counter may lag Committed_AS (it leans ${p.marginBytes! > 0 ? 'towards success' : 'towards failure'})`;
  }
  return p.verdict === 'succeeds' ? 'it would succeed' : 'it would FAIL with ENOMEM';
}

function checkDetail(p: RequestPrediction): string {
  if (p.mode === 1) return 'mode 1 never refuses.';
  if (p.mode === 0) return `mode 0 compares the largest single request, ${b(p.largestCallBytes ?? p.chargeBytes)}, with RAM + swap (margin ${b(p.marginBytes)}).`;
  return `Committed_AS ${b(p.committedBytes)} + charge ${b(p.chargeBytes)} against allowed ${b(p.allowedBytes)} (CommitLimit - admin reserve ${b(p.adminReserveBytes)} - user reserve ${b(p.userReserveBytes)}): margin ${b(p.marginBytes)}.`;
}

function forkParagraph(r: CommitReport): string {
  const f = r.fork!;
  const p = f.prediction;
  const lines = [
    `fork() of ${f.pid} (${f.comm}): ${verdictLine(p)}.`,
    `dup_mmap (mm/mmap.c; kernel/fork.c before 6.15) charges each of its ${f.proc.accountedVmas} VM_ACCOUNT VMAs not marked VM_DONTCOPY again, ${b(f.proc.forkChargeBytes)} in all (largest ${b(f.proc.largestForkVmaBytes)}), with the parent's reserves (VmSize ${b(f.proc.vmSizeBytes)}, CAP_SYS_ADMIN ${f.caller.capSysAdmin ? 'yes' : 'no'}). ${checkDetail(p)}`,
  ];
  if (p.remedies.length) lines.push('What would make it pass:', ...p.remedies.map((x) => `  - ${x.text}`));
  return lines.join('\n');
}

function allocParagraph(r: CommitReport): string {
  const a = r.alloc!;
  const p = a.prediction;
  const lines = [
    `mmap of ${b(a.sizeBytes)} anonymous private writable memory by ${a.callerSource}: ${verdictLine(p)}.`,
    checkDetail(p),
  ];
  if (p.remedies.length) lines.push('What would make it pass:', ...p.remedies.map((x) => `  - ${x.text}`));
  return lines.join('\n');
}
