import type { ProcSample, Sample } from '../collect/sample.js';
import type { Pressure } from '../procfs/pressure.js';

/**
 * "Who would die next": processes as the OOM killer would rank them now.
 *
 * System-wide, that is /proc/PID/oom_score (fs/proc/base.c proc_oom_score: oom_badness() scaled
 * to 0..2000 against totalram + total swap, with oom_score_adj folded in). Inside a memory
 * cgroup that hits its limit, the kernel ranks only that cgroup's tasks and measures against the
 * cgroup limit (mm/oom_kill.c constrained_alloc, CONSTRAINT_MEMCG), so a per-cgroup ranking
 * recomputes oom_badness() with the limit as totalpages: rss + swap + page tables / PAGE_SIZE,
 * plus oom_score_adj * (limit_pages / 1000); oom_score_adj -1000 never dies. The value is signed,
 * as 5.9+ keeps it: a negative oom_score_adj can take it below zero, and those tasks still rank.
 */

export interface NextVictim {
  pid: number;
  key: string;
  comm: string;
  user?: string;
  /** /proc/PID/oom_score: 0..2000 (5.9+: (1000 + badness x 1000 / (RAM + swap pages)) x 2 / 3; before 5.9 0..1000). */
  oomScore: number;
  oomScoreAdj?: number;
  /** status VmRSS, or stat rss * page size. */
  rssBytes?: number;
  /** status VmSwap */
  swapBytes?: number;
  /** status VmPTE */
  pageTablesBytes?: number;
  cgroupV1Memory?: string;
  cgroupV2?: string;
}

function toNext(p: ProcSample, oomScore: number, pageSize: number): NextVictim {
  const v: NextVictim = { pid: p.pid, key: p.key, comm: p.comm, oomScore, rssBytes: p.status?.vmRssBytes ?? p.stat.rssPages * pageSize };
  if (p.user !== undefined) v.user = p.user;
  if (p.oomScoreAdj !== undefined) v.oomScoreAdj = p.oomScoreAdj;
  if (p.status?.vmSwapBytes !== undefined) v.swapBytes = p.status.vmSwapBytes;
  if (p.status?.vmPteBytes !== undefined) v.pageTablesBytes = p.status.vmPteBytes;
  if (p.cgroupV1Memory !== undefined) v.cgroupV1Memory = p.cgroupV1Memory;
  if (p.cgroupV2 !== undefined) v.cgroupV2 = p.cgroupV2;
  return v;
}

/**
 * Killable processes by oom_score, highest first (ties: larger RSS first). Kernel threads,
 * processes without a readable oom_score and oom_score_adj -1000 are left out: they cannot be chosen.
 */
export function rankNextVictims(sample: Sample): NextVictim[] {
  const page = sample.header.caps.pageSizeBytes;
  return sample.procs
    .flatMap((p) => (!p.isKernelThread && p.oomScore !== undefined && p.oomScoreAdj !== -1000 && p.stat.state !== 'Z' ? [toNext(p, p.oomScore, page)] : []))
    .sort((a, b) => b.oomScore - a.oomScore || (b.rssBytes ?? 0) - (a.rssBytes ?? 0) || a.pid - b.pid);
}

/** A memory cgroup with a limit, as read now. */
export interface LimitedMemcg {
  hierarchy: 'v1' | 'v2';
  /** Path as /proc/PID/cgroup prints it. */
  path: string;
  /** v1 memory.limit_in_bytes, v2 memory.max (undefined: no hard limit). */
  limitBytes?: number;
  /** v2 memory.high (throttling, no kill). */
  highBytes?: number;
  /** v1 memory.memsw.limit_in_bytes / v2 memory.swap.max. */
  swapLimitBytes?: number;
  /** v1 memory.usage_in_bytes, v2 memory.current. */
  usageBytes?: number;
  /** v2 memory.events "oom" (charges that failed at memory.max); v1 has no such counter. */
  oomEvents?: number;
  /** v2 memory.events "oom_kill"; v1 memory.oom_control "oom_kill" (4.13+). */
  oomKillEvents?: number;
  /** v1 memory.failcnt: times usage hit the limit. */
  failcnt?: number;
  /** v1 memory.oom_control under_oom. */
  underOom?: boolean;
  pressure?: Pressure;
}

export interface MemcgNext {
  memcg: LimitedMemcg;
  /** Processes in this cgroup or below, by badness against the cgroup limit. */
  ranked: (NextVictim & {
    memcgBadnessPages: number;
    /** VmSwap, VmPTE or oom_score_adj could not be read and counts as 0: the badness is approximate. */
    memcgBadnessPartial?: true;
  })[];
}

function inCgroup(path: string | undefined, cg: string): boolean {
  if (path === undefined) return false;
  return cg === '/' || path === cg || path.startsWith(`${cg}/`);
}

export function rankNextVictimsByMemcg(sample: Sample, memcgs: LimitedMemcg[]): MemcgNext[] {
  const page = sample.header.caps.pageSizeBytes;
  const all = rankNextVictims(sample);
  return memcgs.map((memcg) => {
    const totalPages = memcg.limitBytes !== undefined && Number.isFinite(memcg.limitBytes) ? Math.floor(memcg.limitBytes / page) : undefined;
    const ranked = all
      .filter((v) => inCgroup(memcg.hierarchy === 'v1' ? v.cgroupV1Memory : v.cgroupV2, memcg.path))
      .map((v) => {
        // get_mm_rss + MM_SWAPENTS are whole pages; mm_pgtables_bytes / PAGE_SIZE truncates.
        const base = Math.round((v.rssBytes ?? 0) / page) + Math.round((v.swapBytes ?? 0) / page) + Math.floor((v.pageTablesBytes ?? 0) / page);
        const adj = totalPages === undefined ? 0 : (v.oomScoreAdj ?? 0) * Math.floor(totalPages / 1000);
        const partial = v.swapBytes === undefined || v.pageTablesBytes === undefined || v.oomScoreAdj === undefined;
        return { ...v, memcgBadnessPages: base + adj, ...(partial ? { memcgBadnessPartial: true as const } : {}) };
      })
      .sort((a, b) => b.memcgBadnessPages - a.memcgBadnessPages || a.pid - b.pid);
    return { memcg, ranked };
  });
}
