/**
 * Every threshold a finding uses, in one table, each with its reason. A healthy idle machine
 * stays below all of them (test/analyze/ledger-trees.test.ts runs the rules over idle captures;
 * test/analyze/findings.test.ts fires each rule just above its threshold and not just below).
 */
export const THRESHOLDS = {
  /** Summed RSS above used memory by this factor: sharing worth explaining (1.0 would fire on any shared library). */
  rssOverUsedFactor: 1.25,
  /** Available exceeds free by this share of MemTotal: "free" alone misleads. */
  cacheReclaimableShare: 0.25,
  /** Slab above this share of MemTotal. Idle machines sit at 1-5%. */
  slabShare: 0.15,
  /** Page tables above this share of MemTotal: many processes mapping much memory without huge pages. */
  pageTablesShare: 0.03,
  /** Unexplained above this share of MemTotal and above unexplainedMinBytes. */
  unexplainedShare: 0.05,
  unexplainedMinBytes: 256 * 1024 ** 2,
  /** Free, unreserved hugetlb pages above this share of MemTotal: RAM set aside and unused. */
  hugetlbIdleShare: 0.02,
  /** Shmem no process maps, above this share of MemTotal and above shmemUnownedMinBytes. */
  shmemUnownedShare: 0.05,
  shmemUnownedMinBytes: 256 * 1024 ** 2,
  /** Swap in use above this share of SwapTotal. */
  swapUsedShare: 0.1,
  /** Committed_AS above this share of CommitLimit, in strict mode only (vm.overcommit_memory=2): the other modes never enforce the limit. */
  commitShare: 0.9,
  /** zswap/zram compression below this ratio is poor (2:1 is the usual minimum worth the CPU). */
  compressionMinRatio: 2,
  /** KSM sharing above this saves enough to mention. */
  ksmMinSavedBytes: 64 * 1024 ** 2,
  /** Anonymous THP above this share of AnonPages, when THP is "always": possible bloat. */
  thpAnonShare: 0.5,
  thpMinBytes: 512 * 1024 ** 2,
} as const;
