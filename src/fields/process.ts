import type { ProcSample } from '../collect/sample.js';

export type FieldUnit = 'bytes' | 'count' | 'score' | 'text' | 'id';

/**
 * Per-process fields. `id` is a contract: it is the JSON key (with the unit suffix given by
 * `jsonKey`), the CSV header, the --sort name and, later, the metric name. Add, never rename.
 */
export interface ProcField {
  id: string;
  title: string;
  unit: FieldUnit;
  /** Where the number comes from, in the kernel's words. Shown by `ps --help-fields` and in docs. */
  source: string;
  get(p: ProcSample, pageSizeBytes: number): number | string | undefined;
  /** Summed over a group (bytes and counts); text and scores are not. */
  summable: boolean;
  /** Left-aligned text column. */
  text?: boolean;
}

const sum = (...xs: (number | undefined)[]): number | undefined => (xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, b) => a + (b as number), 0));

/**
 * A kernel thread has no user address space (no mm): its status has no VmSize, VmRSS or RssAnon lines and
 * the collector reads no smaps_rollup for it. Its user memory is known to be 0, not unknown.
 */
const userMem =
  (get: (p: ProcSample, pageSizeBytes: number) => number | undefined) =>
  (p: ProcSample, pageSizeBytes: number): number | undefined =>
    p.isKernelThread ? 0 : get(p, pageSizeBytes);

export const PROC_FIELDS: ProcField[] = [
  { id: 'pid', title: 'PID', unit: 'id', source: '/proc/[pid]', get: (p) => p.pid, summable: false },
  { id: 'user', title: 'USER', unit: 'text', text: true, source: 'status "Uid:" (effective) and /etc/passwd', get: (p) => p.user ?? (p.uid === undefined ? undefined : String(p.uid)), summable: false },
  {
    id: 'command', title: 'COMMAND', unit: 'text', text: true, source: 'cmdline, else [comm]',
    get: (p) => (p.cmdline && p.cmdline.length > 0 ? p.cmdline.join(' ') : `[${p.comm}]`), summable: false,
  },
  { id: 'virt', title: 'VIRT', unit: 'bytes', source: 'status "VmSize:" (stat vsize when status is unreadable)', get: userMem((p) => p.status?.vmSizeBytes ?? p.stat.vsizeBytes), summable: true },
  { id: 'rss', title: 'RSS', unit: 'bytes', source: 'status "VmRSS:" = RssAnon + RssFile + RssShmem (stat rss when status is unreadable)', get: userMem((p, ps) => p.status?.vmRssBytes ?? p.stat.rssPages * ps), summable: true },
  { id: 'pss', title: 'PSS', unit: 'bytes', source: 'smaps_rollup "Pss:": each page divided by the number of processes mapping it', get: userMem((p) => p.rollup?.pssBytes), summable: true },
  { id: 'uss', title: 'USS', unit: 'bytes', source: 'smaps_rollup "Private_Clean:" + "Private_Dirty:": pages mapped by this process alone', get: userMem((p) => (p.rollup ? p.rollup.privateCleanBytes + p.rollup.privateDirtyBytes : undefined)), summable: true },
  { id: 'shr', title: 'SHR', unit: 'bytes', source: 'status "RssFile:" + "RssShmem:" (as top and htop show SHR)', get: userMem((p) => sum(p.status?.rssFileBytes, p.status?.rssShmemBytes)), summable: true },
  {
    id: 'swap', title: 'SWAP', unit: 'bytes', source: 'smaps_rollup "SwapPss:" (shared swap divided among sharers), else status "VmSwap:"',
    get: userMem((p) => p.rollup?.swapPssBytes ?? p.status?.vmSwapBytes), summable: true,
  },
  { id: 'anon', title: 'ANON', unit: 'bytes', source: 'status "RssAnon:" (Linux 4.5+)', get: userMem((p) => p.status?.rssAnonBytes), summable: true },
  { id: 'file', title: 'FILE', unit: 'bytes', source: 'status "RssFile:" (Linux 4.5+)', get: userMem((p) => p.status?.rssFileBytes), summable: true },
  { id: 'shmem', title: 'SHMEM', unit: 'bytes', source: 'status "RssShmem:" (Linux 4.5+)', get: userMem((p) => p.status?.rssShmemBytes), summable: true },
  { id: 'minflt', title: 'MINFLT', unit: 'count', source: 'stat field 10 minflt: minor faults since the process started', get: (p) => p.stat.minfltCount, summable: true },
  { id: 'majflt', title: 'MAJFLT', unit: 'count', source: 'stat field 12 majflt: major faults (page read from disk or swap) since start', get: (p) => p.stat.majfltCount, summable: true },
  { id: 'oom', title: 'OOM', unit: 'score', source: 'oom_score: the OOM killer\'s badness with oom_score_adj folded in; 5.9+ scales it to 0-2000, 666 for a process using almost nothing at adj 0 (before 5.9: 0-1000)', get: (p) => p.oomScore, summable: false },
];

export function procField(id: string): ProcField | undefined {
  return PROC_FIELDS.find((f) => f.id === id);
}

/** JSON key of a field: the unit lives in the name. */
export function jsonKey(f: ProcField): string {
  return f.unit === 'bytes' ? `${f.id}Bytes` : f.unit === 'count' ? `${f.id}Count` : f.id;
}

/**
 * Columns of `ps --exact`, measured from page frames (pagemap, kpagecount, kpageflags) rather
 * than read from one process's files: they exist only when the exact scan ran. Without root
 * page frame numbers are hidden, and the fallback named in `fallback` is shown instead.
 */
export interface ExactField {
  id: string;
  title: string;
  /** JSON key (always bytes). */
  key: string;
  /** Shown on process rows, on group rows (and totals), or both. */
  rows: 'process' | 'group';
  source: string;
  fallback: string;
}

export const EXACT_FIELDS: ExactField[] = [
  {
    id: 'euss', title: 'EUSS', key: 'exactUssBytes', rows: 'process',
    source: 'frames this process alone maps: our count of mappers and /proc/kpagecount are both 1',
    fallback: 'USS from smaps_rollup (Private_Clean + Private_Dirty)',
  },
  {
    id: 'footprint', title: 'FOOTPRINT', key: 'footprintBytes', rows: 'group',
    source: 'distinct page frames the processes map, each counted once: the RAM the group uses',
    fallback: 'summed PSS',
  },
  {
    id: 'frees', title: 'FREES', key: 'freedOnKillBytes', rows: 'group',
    source: 'anonymous frames mapped only by the group: what ending all of it gives back (file pages stay cached)',
    fallback: 'summed USS',
  },
];
