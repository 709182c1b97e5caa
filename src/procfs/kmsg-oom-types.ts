/**
 * What one OOM kill (or page allocation failure) report in the kernel log says.
 *
 * Sources, by kernel version:
 * - mm/oom_kill.c dump_header(): "<comm> invoked oom-killer: gfp_mask=0x..(FLAGS), [nodemask=..,] order=N,
 *   oom_score_adj=N" (gfp flag names since 4.6, nodemask 4.9-4.18 here, later in the oom-kill line).
 * - kernel/cgroup/cpuset.c cpuset_print_current_mems_allowed(): "<comm> cpuset=/ mems_allowed=0" (up to 4.18).
 * - mm/memcontrol.c mem_cgroup_print_oom_info() / mem_cgroup_print_oom_meminfo() (5.0+): "memory: usage XkB,
 *   limit XkB, failcnt N", "memory+swap:" (v1), "swap:" (v2), "kmem:" (v1), "Memory cgroup stats for /path:";
 *   before 4.19 also "Task in /a killed as a result of limit of /b".
 * - mm/show_mem.c __show_mem() (6.1+; before: mm/page_alloc.c show_free_areas()): "Mem-Info:" and the
 *   global counters in pages, per-zone buddy lists, "N pages RAM", "Free swap  = XkB".
 * - mm/oom_kill.c dump_tasks()/dump_task(): the candidate table, values in pages. Header by version:
 *   "[ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name" (3.x-4.11),
 *   "... rss nr_ptes nr_pmds swapents ..." (4.12-4.14), "[  pid  ] ... rss pgtables_bytes swapents ..." (4.15+),
 *   "... rss rss_anon rss_file rss_shmem pgtables_bytes swapents ..." (6.5+).
 * - mm/oom_kill.c dump_oom_summary() (4.19+): "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),
 *   cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=comm,pid=N,uid=N" ("global_oom" instead of
 *   oom_memcg for a global OOM).
 * - mm/oom_kill.c oom_kill_process(): "Out of memory: Kill process N (comm) score N or sacrifice child" (3.x-4.x);
 *   __oom_kill_process(): "Killed process N (comm) total-vm:XkB, anon-rss:XkB, file-rss:XkB[, shmem-rss:XkB]"
 *   (shmem 4.5+), prefixed with the message and followed by ", UID:N pgtables:XkB oom_score_adj:N" (5.3+ ).
 * - mm/oom_kill.c oom_reap_task_mm(): "oom_reaper: reaped process N (comm), now anon-rss:0kB, file-rss:0kB,
 *   shmem-rss:0kB" (4.6+), or "oom_reaper: unable to reap pid:N (comm)".
 * - mm/page_alloc.c warn_alloc(): "<comm>: page allocation failure: order:N, mode:0x..(FLAGS), nodemask=..",
 *   mm/vmalloc.c: "<comm>: vmalloc: allocation failure: N bytes, mode:..".
 */

export type OomConstraint = 'CONSTRAINT_NONE' | 'CONSTRAINT_CPUSET' | 'CONSTRAINT_MEMORY_POLICY' | 'CONSTRAINT_MEMCG';

export type OomReportKind =
  /** The OOM killer ran (invoked oom-killer, or a kill line whose header was not in the log). */
  | 'oom-kill'
  /** warn_alloc(): an allocation failed without the OOM killer (GFP_NOWARN unset, costly order, vmalloc). */
  | 'alloc-failure'
  /** A Mem-Info dump with no header in the log (sysrq-m, or the header lost to interleaving). */
  | 'mem-info';

export interface OomInvoker {
  comm?: string;
  /** From the "CPU: N [UID: N] PID: N Comm: comm" line of dump_stack(). */
  pid?: number;
  /** gfp_mask as printed (hex text, e.g. "0xcc0"). */
  gfpMask?: string;
  /** Flag names printed after the mask (4.6+), e.g. ["GFP_KERNEL"]. */
  gfpFlags?: string[];
  /** Allocation order (pages = 2^order); -1 for a sysrq-forced OOM (moom_callback). */
  order?: number;
  oomScoreAdj?: number;
  nodemask?: string;
  cpuset?: string;
  memsAllowed?: string;
  /** Bytes requested, vmalloc failures only. */
  requestBytes?: number;
}

/** "memory: usage 102400kB, limit 102400kB, failcnt 400". `limitBytes` null: no limit (page_counter max). */
export interface OomMemcgCounter {
  usageBytes: number;
  limitBytes: number | null;
  failcnt: number;
}

export interface OomMemcg {
  /** The cgroup whose limit was hit (oom_memcg=, "limit of /x", or "Memory cgroup stats for /x:"). */
  path?: string;
  /** The victim's own cgroup (task_memcg=, "Task in /x killed"). */
  taskPath?: string;
  memory?: OomMemcgCounter;
  /** cgroup v1 memory+swap (memsw). */
  memsw?: OomMemcgCounter;
  /** cgroup v2 swap. */
  swap?: OomMemcgCounter;
  /** cgroup v1 kmem. */
  kmem?: OomMemcgCounter;
  /** memory.stat as printed after "Memory cgroup stats for": key -> value (bytes in 4.x+, kB-suffixed before). */
  stats: Record<string, number>;
}

export interface OomBuddyZone {
  node: number;
  zone: string;
  /** Free blocks per order: index = order. */
  freeBlocks: number[];
  /** Size of an order-0 block in bytes (the page size). */
  order0Bytes: number;
  freeBytes: number;
}

export interface OomMemInfo {
  /** Every "key:N" of the global block, in pages, as printed. */
  pages: Record<string, number>;
  activeAnonBytes?: number;
  inactiveAnonBytes?: number;
  activeFileBytes?: number;
  inactiveFileBytes?: number;
  unevictableBytes?: number;
  slabReclaimableBytes?: number;
  slabUnreclaimableBytes?: number;
  shmemBytes?: number;
  mappedBytes?: number;
  pageTablesBytes?: number;
  freeBytes?: number;
  /** "N pages RAM" */
  ramBytes?: number;
  /** "N pages reserved" */
  reservedBytes?: number;
  /** "N total pagecache pages" */
  pageCacheBytes?: number;
  /** "N pages in swap cache" */
  swapCacheBytes?: number;
  /** "Free swap  = XkB" */
  swapFreeBytes?: number;
  /** "Total swap = XkB" */
  swapTotalBytes?: number;
  zones: OomBuddyZone[];
}

/** One row of dump_tasks(). Page counts stay pages; bytes fields are bytes. */
export interface OomTask {
  pid: number;
  uid: number;
  tgid: number;
  totalVmPages: number;
  rssPages: number;
  /** 6.5+ columns. */
  rssAnonPages?: number;
  rssFilePages?: number;
  rssShmemPages?: number;
  /** 4.15+ */
  pgtablesBytes?: number;
  /** before 4.15: page-table pages */
  nrPtes?: number;
  nrPmds?: number;
  swapEntsPages?: number;
  oomScoreAdj: number;
  name: string;
}

export interface OomVictim {
  pid: number;
  comm: string;
  /** "Out of memory", "Memory cgroup out of memory", ... (the text before ": Killed process"). */
  message?: string;
  totalVmBytes: number;
  anonRssBytes: number;
  fileRssBytes: number;
  shmemRssBytes?: number;
  uid?: number;
  pgtablesBytes?: number;
  oomScoreAdj?: number;
  /** 3.x-4.x "Kill process N (comm) score S or sacrifice child": points * 1000 / totalpages. */
  selectedScore?: number;
  /** The process chosen before a child was sacrificed, when it differs. */
  selectedPid?: number;
  timeSec?: number;
}

export interface OomReaper {
  pid: number;
  comm: string;
  reaped: boolean;
  anonRssBytes?: number;
  fileRssBytes?: number;
  shmemRssBytes?: number;
  timeSec?: number;
}

export interface OomReport {
  kind: OomReportKind;
  /** Input lines the report spans (first and last line it used). */
  firstLine: number;
  lastLine: number;
  /** Seconds since boot of the first line, when printed. */
  timeSec?: number;
  /** Wall time text of the first line, when printed (verbatim). */
  wallTime?: string;
  invoker: OomInvoker;
  constraint?: OomConstraint;
  /** True when the constraint is not printed (before 4.19) and was inferred from memcg lines. */
  constraintInferred?: boolean;
  /** The memory cgroup lines of the report; undefined for a global OOM ("global_oom" in the oom-kill line) or when the log shows none. */
  memcg?: OomMemcg;
  memInfo?: OomMemInfo;
  tasks?: OomTask[];
  /** Column names of the tasks table header, as printed. */
  taskColumns?: string[];
  victim?: OomVictim;
  reaper?: OomReaper;
  /** Page size used for page -> byte conversions. */
  pageSizeBytes: number;
  /** How the page size was learnt: from the victim's RSS, the buddy lists, or assumed 4096. */
  pageSizeFrom: 'victim-rss' | 'buddy' | 'assumed';
  /** What the report should have but the log does not show ("victim", "tasks", "header" ...). */
  missing: string[];
}
