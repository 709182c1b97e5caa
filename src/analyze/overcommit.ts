import {
  type CheckResult,
  type CommitCaller,
  type CommitMemory,
  type CommitPolicy,
  allowedPages,
  checkCharge,
  commitLimitPages,
  reservePages,
} from './overcommit-policy.js';

export * from './overcommit-policy.js';

/**
 * Commit charge per process, and whether a fork or an allocation would pass the kernel's check.
 *
 * A VMA carries VM_ACCOUNT ("ac" in smaps VmFlags, fs/proc/task_mmu.c mnemonics) exactly when the
 * kernel charged its whole size to vm_committed_as: mm/vma.h accountable_mapping() charges
 * private writable mappings without VM_NORESERVE (hugetlbfs excluded; MAP_NORESERVE is ignored
 * in mode 2, mm/mmap.c do_mmap), mprotect_fixup() charges a private mapping made writable, and
 * the charge stays when it is made read-only again (RELRO pages show "r--p ... ac"). The stack
 * and brk heap carry it too. Unmapping uncharges only VM_ACCOUNT VMAs, so their sum is the
 * process's charge.
 *
 * Shared memory is charged to the object, never to a VMA (VM_SHARED VMAs have no VM_ACCOUNT):
 * mm/shmem.c shmem_acct_size() charges a whole MAP_SHARED|MAP_ANONYMOUS object (shmem_zero_setup,
 * "/dev/zero (deleted)" in maps) or SysV segment (ipc/shm.c newseg, unless SHM_NORESERVE) at
 * creation, and shmem_acct_blocks() charges tmpfs, POSIX shm and memfd files (VM_NORESERVE
 * inodes) page by page as pages are allocated. These charges stay while the object lives, even
 * with no process mapping it; they appear here as the gap between Committed_AS and the sum over
 * processes, with shared anonymous objects counted once by inode.
 */

/** The smaps fields this analysis needs (a SmapsVma satisfies it). */
export interface CommitVma {
  sizeBytes: number;
  perms: string;
  vmFlags: string[];
  inode: number;
  dev: string;
  offset: number;
  pathname?: string;
}

export interface ProcCommit {
  /** Sum of VM_ACCOUNT VMA sizes: the process's own commit charge. */
  chargedBytes: number;
  /** VM_ACCOUNT VMAs fork copies (not VM_DONTCOPY): what dup_mmap charges again. */
  forkChargeBytes: number;
  /** The largest such VMA (mode 0 checks each VMA alone). */
  largestForkVmaBytes: number;
  /** VM_ACCOUNT and VM_DONTCOPY (MADV_DONTFORK): charged here, skipped by fork. */
  dontCopyBytes: number;
  /** VM_ACCOUNT and VM_WIPEONFORK: copied empty, but still charged by fork. */
  wipeOnForkBytes: number;
  /** Number of VM_ACCOUNT VMAs. */
  accountedVmas: number;
  /** MAP_SHARED|MAP_ANONYMOUS objects this process maps, by "dev:inode" -> object bytes seen. */
  sharedAnon: Map<string, number>;
}

/** True for the VMA of a MAP_SHARED|MAP_ANONYMOUS object (shmem_zero_setup names it "dev/zero"). */
function isSharedAnon(v: CommitVma): boolean {
  return v.perms[3] === 's' && v.pathname !== undefined && v.pathname.startsWith('/dev/zero') && v.pathname.endsWith('(deleted)');
}

export function procCommit(vmas: CommitVma[]): ProcCommit {
  const out: ProcCommit = {
    chargedBytes: 0,
    forkChargeBytes: 0,
    largestForkVmaBytes: 0,
    dontCopyBytes: 0,
    wipeOnForkBytes: 0,
    accountedVmas: 0,
    sharedAnon: new Map(),
  };
  for (const v of vmas) {
    const f = v.vmFlags;
    if (isSharedAnon(v) && !f.includes('nr')) {
      const key = `${v.dev}:${v.inode}`;
      out.sharedAnon.set(key, Math.max(out.sharedAnon.get(key) ?? 0, v.offset + v.sizeBytes));
    }
    if (!f.includes('ac')) continue;
    out.accountedVmas++;
    out.chargedBytes += v.sizeBytes;
    // mm/mmap.c dup_mmap (kernel/fork.c before 6.15): VM_DONTCOPY VMAs are skipped; every other
    // VM_ACCOUNT VMA, VM_WIPEONFORK included, is charged by security_vm_enough_memory_mm(oldmm, len).
    if (f.includes('dc')) {
      out.dontCopyBytes += v.sizeBytes;
      continue;
    }
    if (f.includes('wf')) out.wipeOnForkBytes += v.sizeBytes;
    out.forkChargeBytes += v.sizeBytes;
    out.largestForkVmaBytes = Math.max(out.largestForkVmaBytes, v.sizeBytes);
  }
  return out;
}

export interface Remedy {
  kind: 'spawn' | 'swap' | 'ratio' | 'kbytes' | 'mode' | 'free';
  /** The number the remedy needs (bytes of swap, a ratio in percent, bytes of overcommit_kbytes). */
  value?: number;
  text: string;
}

export interface RequestPrediction extends CheckResult {
  remedies: Remedy[];
}

function fmtGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * What would let a mode-2 request of `chargeBytes` pass: numbers for more swap, a larger
 * overcommit_ratio or overcommit_kbytes, another mode, or (for fork) not copying the address space.
 */
function remediesFor(
  policy: CommitPolicy,
  mem: CommitMemory,
  caller: CommitCaller,
  chargeBytes: number,
  largestCallBytes: number,
  isFork: boolean,
): Remedy[] {
  const out: Remedy[] = [];
  const ps = mem.pageSizeBytes;
  if (isFork) {
    out.push({
      kind: 'spawn',
      text: 'start the child with posix_spawn() or vfork()+exec(): CLONE_VM shares the address space, so nothing of the parent is charged again (only what the new program maps)',
    });
  }
  if (policy.mode !== 2) return out;
  const charge = Math.ceil(chargeBytes / ps);
  const committed = Math.ceil(mem.committedAsBytes / ps);
  const deficit = committed + charge - allowedPages(policy, mem, caller) + 1;
  if (deficit <= 0) return out;
  // A swap area's first page is its header (mm/swapfile.c: nr_good_pages = maxpages - 1 - bad).
  const swapBytes = Math.ceil(((deficit + 1) * ps) / (1024 * 1024)) * 1024 * 1024;
  out.push({ kind: 'swap', value: swapBytes, text: `add at least ${fmtGiB(swapBytes)} of swap (CommitLimit grows by the swap size)` });
  out.push({ kind: 'free', value: deficit * ps, text: `or free ${fmtGiB(deficit * ps)} of commit charge (end or shrink processes holding private writable memory)` });
  const { adminPages, userPages } = reservePages(policy, mem, caller);
  const needLimit = committed + charge + 1 + adminPages + userPages;
  const ram = Math.floor(mem.memTotalBytes / ps) - Math.floor(mem.hugetlbBytes / ps);
  if (policy.limitBytes === 0 && ram > 0) {
    let ratio = Math.max(0, Math.ceil(((needLimit - Math.floor(mem.swapTotalBytes / ps)) * 100) / ram));
    while (commitLimitPages({ ratioPct: ratio, limitBytes: 0 }, mem) < needLimit) ratio++;
    out.push({ kind: 'ratio', value: ratio, text: `or set vm.overcommit_ratio to ${ratio} (now ${policy.ratioPct})` });
  } else {
    const kb = (needLimit - Math.floor(mem.swapTotalBytes / ps)) * (ps / 1024);
    out.push({ kind: 'kbytes', value: kb * 1024, text: `or set vm.overcommit_kbytes to ${kb} (now ${policy.limitBytes / 1024})` });
  }
  const cap = Math.floor(mem.memTotalBytes / ps) + Math.floor(mem.swapTotalBytes / ps);
  const mode0 = Math.ceil(largestCallBytes / ps) <= cap;
  out.push({
    kind: 'mode',
    value: mode0 ? 0 : 1,
    text: mode0
      ? 'or set vm.overcommit_memory to 0 (heuristic: refuses only a single request larger than RAM + swap) or 1 (never refuses)'
      : 'or set vm.overcommit_memory to 1 (never refuses); mode 0 would still refuse a single request larger than RAM + swap',
  });
  return out;
}

/** Would fork() of a process with these VMAs pass the commit check now? */
export function predictFork(policy: CommitPolicy, mem: CommitMemory, caller: CommitCaller, proc: ProcCommit): RequestPrediction {
  // dup_mmap calls security_vm_enough_memory_mm once per VMA with the parent's mm. The charges
  // accumulate, so in mode 2 the last call sees Committed_AS + the whole charge; in mode 0 each
  // call is checked alone against RAM + swap.
  const check = checkCharge(policy, mem, caller, proc.forkChargeBytes, proc.largestForkVmaBytes);
  const remedies = check.verdict === 'succeeds' ? [] : remediesFor(policy, mem, caller, proc.forkChargeBytes, proc.largestForkVmaBytes, true);
  return { ...check, chargeBytes: proc.forkChargeBytes, remedies };
}

/** Would one anonymous private writable mmap of `sizeBytes` pass the commit check now? */
export function predictAlloc(policy: CommitPolicy, mem: CommitMemory, caller: CommitCaller, sizeBytes: number): RequestPrediction {
  const check = checkCharge(policy, mem, caller, sizeBytes);
  const remedies = check.verdict === 'succeeds' ? [] : remediesFor(policy, mem, caller, sizeBytes, sizeBytes, false);
  return { ...check, remedies };
}

/** The largest single anonymous allocation that passes now (mode 2), in bytes; undefined otherwise. */
export function largestAllocBytes(policy: CommitPolicy, mem: CommitMemory, caller: CommitCaller): number | undefined {
  if (policy.mode === 1) return undefined;
  const ps = mem.pageSizeBytes;
  if (policy.mode === 0) return (Math.floor(mem.memTotalBytes / ps) + Math.floor(mem.swapTotalBytes / ps)) * ps;
  const free = allowedPages(policy, mem, caller) - Math.ceil(mem.committedAsBytes / ps) - 1;
  return Math.max(0, free) * ps;
}

