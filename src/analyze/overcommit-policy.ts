/**
 * The kernel's commit-charge check, restated over numbers read from /proc.
 *
 * Every accountable allocation (a private writable mmap without VM_NORESERVE, brk, stack growth,
 * mprotect making a private mapping writable, each VM_ACCOUNT VMA copied by fork, a shmem object
 * or page) goes through security_vm_enough_memory_mm() (security/security.c), which asks the LSMs
 * whether the *calling* task counts as CAP_SYS_ADMIN (security/commoncap.c cap_vm_enough_memory:
 * CAP_SYS_ADMIN in the init user namespace, effective set) and then calls
 * __vm_enough_memory(mm, pages, cap_sys_admin) in mm/util.c (unchanged in its logic from 5.x
 * through 6.18):
 *
 *   vm_acct_memory(pages);                                  // charge first
 *   mode 1 (OVERCOMMIT_ALWAYS): return 0                    // never refuses
 *   mode 0 (OVERCOMMIT_GUESS):  fail if pages > totalram_pages() + total_swap_pages
 *   mode 2 (OVERCOMMIT_NEVER):
 *     allowed  = vm_commit_limit()                          // = CommitLimit
 *     allowed -= admin_reserve_kbytes       unless cap_sys_admin
 *     allowed -= min(mm->total_vm / 32, user_reserve_kbytes)   for any task with an mm, root too
 *     ok iff percpu_counter_read_positive(&vm_committed_as) < allowed
 *   on failure: vm_unacct_memory(pages), -ENOMEM
 *
 * vm_commit_limit(): (overcommit_kbytes ? overcommit_kbytes >> (PAGE_SHIFT-10)
 *   : (totalram_pages() - hugetlb_total_pages()) * overcommit_ratio / 100) + total_swap_pages.
 * Writing overcommit_ratio zeroes overcommit_kbytes and vice versa (overcommit_*_handler).
 *
 * The mode-2 comparison uses the counter's central value, which lags the exact sum that
 * /proc/meminfo "Committed_AS:" prints (percpu_counter_sum_positive) by less than
 * vm_committed_as_batch pages per CPU. mm/mm_init.c mm_compute_batch(): in mode 2 the batch is
 * max(totalram_pages / nr_present_cpus / 256, max(2 * nr_cpus, 32)) pages; switching the mode
 * to 2 folds every CPU's delta (overcommit_policy_handler, 5.9+).
 *
 * All arithmetic here is in pages with the kernel's integer truncation, so that the limit we
 * compute equals meminfo's CommitLimit to the kB.
 */

export type OvercommitMode = 0 | 1 | 2;

export interface CommitPolicy {
  /** /proc/sys/vm/overcommit_memory */
  mode: OvercommitMode;
  /** /proc/sys/vm/overcommit_ratio, percent of (RAM - hugetlb). */
  ratioPct: number;
  /** /proc/sys/vm/overcommit_kbytes in bytes; 0 means the ratio is in force. */
  limitBytes: number;
  /** /proc/sys/vm/admin_reserve_kbytes in bytes. */
  adminReserveBytes: number;
  /** /proc/sys/vm/user_reserve_kbytes in bytes. */
  userReserveBytes: number;
}

export interface CommitMemory {
  pageSizeBytes: number;
  /** /proc/meminfo "MemTotal:" (totalram_pages). */
  memTotalBytes: number;
  /** /proc/meminfo "Hugetlb:" (4.16+), else HugePages_Total x Hugepagesize (default size only). */
  hugetlbBytes: number;
  /** /proc/meminfo "SwapTotal:" (total_swap_pages). */
  swapTotalBytes: number;
  /** /proc/meminfo "CommitLimit:" as the kernel printed it, if present. */
  commitLimitBytes?: number;
  /** /proc/meminfo "Committed_AS:" (exact sum of vm_committed_as). */
  committedAsBytes: number;
  /** /proc/meminfo "Shmem:": tmpfs, POSIX shm and memfd pages (charged page by page) and resident SysV / shared anonymous pages. */
  shmemBytes?: number;
  /** Present CPUs (/sys/devices/system/cpu/present), for the per-CPU counter slack. */
  presentCpus?: number;
}

/** Who asks for the memory: the task whose mm and credentials __vm_enough_memory sees. */
export interface CommitCaller {
  /** The task holds CAP_SYS_ADMIN (no admin reserve is subtracted). */
  capSysAdmin: boolean;
  /**
   * The task's mm->total_vm (status "VmSize:") before the new mapping. Undefined: not known, and
   * the user reserve is taken at its largest (user_reserve_kbytes), the strictest case.
   */
  totalVmBytes?: number;
}

const pages = (bytes: number, pageSizeBytes: number): number => Math.floor(bytes / pageSizeBytes);

/** vm_commit_limit() in pages for a policy (the ratio or kbytes given, the swap given). */
export function commitLimitPages(policy: Pick<CommitPolicy, 'ratioPct' | 'limitBytes'>, mem: CommitMemory): number {
  const ps = mem.pageSizeBytes;
  const swap = pages(mem.swapTotalBytes, ps);
  if (policy.limitBytes > 0) return Math.floor(policy.limitBytes / 1024 / (ps / 1024)) + swap;
  const ram = pages(mem.memTotalBytes, ps) - pages(mem.hugetlbBytes, ps);
  return Math.floor((ram * policy.ratioPct) / 100) + swap;
}

/** The reserves __vm_enough_memory subtracts in mode 2, in pages. */
export function reservePages(policy: CommitPolicy, mem: CommitMemory, caller: CommitCaller): { adminPages: number; userPages: number } {
  const ps = mem.pageSizeBytes;
  const adminPages = caller.capSysAdmin ? 0 : Math.floor(policy.adminReserveBytes / 1024 / (ps / 1024));
  const userMax = Math.floor(policy.userReserveBytes / 1024 / (ps / 1024));
  const userPages = caller.totalVmBytes === undefined ? userMax : Math.min(Math.floor(pages(caller.totalVmBytes, ps) / 32), userMax);
  return { adminPages, userPages };
}

/** `allowed` of __vm_enough_memory in mode 2, in pages. */
export function allowedPages(policy: CommitPolicy, mem: CommitMemory, caller: CommitCaller): number {
  const { adminPages, userPages } = reservePages(policy, mem, caller);
  return commitLimitPages(policy, mem) - adminPages - userPages;
}

/** How far the counter the kernel compares may be from Committed_AS, in pages (mode 2). */
function counterSlackPages(mem: CommitMemory): number | undefined {
  if (mem.presentCpus === undefined || mem.presentCpus < 1) return undefined;
  const nr = mem.presentCpus;
  const ram = pages(mem.memTotalBytes, mem.pageSizeBytes);
  const batch = Math.max(Math.floor(ram / nr / 256), Math.max(nr * 2, 32));
  return batch * nr;
}

export type Verdict = 'succeeds' | 'fails' | 'borderline';

export interface CheckResult {
  verdict: Verdict;
  mode: OvercommitMode;
  /** What the request charges in all (for a fork: every copied VM_ACCOUNT VMA). */
  chargeBytes: number;
  /** Mode 0: the largest single __vm_enough_memory call, the one compared with RAM + swap. */
  largestCallBytes?: number;
  /** Mode 2: Committed_AS before the request. */
  committedBytes?: number;
  /** Mode 2: `allowed` (CommitLimit minus the reserves for this caller). */
  allowedBytes?: number;
  /** Mode 2: allowed - Committed_AS - charge; the request passes while this is > 0. Mode 0: RAM + swap - charge. */
  marginBytes?: number;
  /** Mode 2: the counter's possible lag behind Committed_AS. */
  slackBytes?: number;
  adminReserveBytes?: number;
  userReserveBytes?: number;
}

/**
 * Would a request of `chargeBytes` pass __vm_enough_memory now? For mode 0 pass the largest
 * single call (`largestCallBytes`): fork asks once per VMA, an mmap once for the whole range.
 */
export function checkCharge(
  policy: CommitPolicy,
  mem: CommitMemory,
  caller: CommitCaller,
  chargeBytes: number,
  largestCallBytes = chargeBytes,
): CheckResult {
  const ps = mem.pageSizeBytes;
  const charge = Math.ceil(chargeBytes / ps);
  if (policy.mode === 1) return { verdict: 'succeeds', mode: 1, chargeBytes };
  if (policy.mode === 0) {
    const cap = pages(mem.memTotalBytes, ps) + pages(mem.swapTotalBytes, ps);
    const largest = Math.ceil(largestCallBytes / ps);
    return { verdict: largest > cap ? 'fails' : 'succeeds', mode: 0, chargeBytes, largestCallBytes, marginBytes: (cap - largest) * ps };
  }
  const { adminPages, userPages } = reservePages(policy, mem, caller);
  const allowed = commitLimitPages(policy, mem) - adminPages - userPages;
  const committed = Math.ceil(mem.committedAsBytes / ps);
  // __vm_enough_memory adds the charge first, then passes iff counter < allowed.
  const margin = allowed - (committed + charge);
  const slack = counterSlackPages(mem);
  let verdict: Verdict = margin > 0 ? 'succeeds' : 'fails';
  if (slack !== undefined && Math.abs(margin) < slack) verdict = 'borderline';
  return {
    verdict,
    mode: 2,
    chargeBytes,
    committedBytes: committed * ps,
    allowedBytes: allowed * ps,
    marginBytes: margin * ps,
    slackBytes: slack === undefined ? undefined : slack * ps,
    adminReserveBytes: adminPages * ps,
    userReserveBytes: userPages * ps,
  };
}
