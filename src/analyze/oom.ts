import type { OomReport, OomTask } from '../procfs/kmsg-oom.js';
import { likelyCause, plainBytes, type BytesFormatter, type OomCause } from './oom-cause.js';

/**
 * One OOM kill read back: the candidates the kernel weighed, ranked the way it ranks them, and
 * the likely cause.
 *
 * Ranking follows mm/oom_kill.c oom_badness() (4.6+; the heuristic of 2.6.36's rewrite):
 *   points = get_mm_rss(mm) + get_mm_counter(mm, MM_SWAPENTS) + mm_pgtables_bytes(mm) / PAGE_SIZE
 *   points += oom_score_adj * (totalpages / 1000)
 * and a task with oom_score_adj -1000 (OOM_SCORE_ADJ_MIN) is never chosen. Before 5.9 a result
 * below 1 was raised to 1, so tasks a negative oom_score_adj pushed below zero tied; 5.9 ("mm, oom:
 * make the calculation of oom badness more accurate") keeps the signed value and ranks by it.
 * `badnessPages` shows the pre-5.9 value; ties among such tasks are broken by the signed one,
 * as 5.9+ does. Before 4.15 the
 * page-table term was nr_ptes (+ nr_pmds 4.12-4.14); before 4.17 root tasks got a 3% bonus,
 * which this approximation leaves out. totalpages comes from constrained_alloc(): the memcg limit
 * (mem_cgroup_get_max) for CONSTRAINT_MEMCG, totalram_pages + total_swap_pages otherwise. The
 * report gives "pages RAM" (present pages, slightly more than totalram) and "Total swap", so
 * the adjustment term is close, not exact; the table values themselves are exact.
 */

export interface OomCandidate {
  pid: number;
  name: string;
  uid: number;
  rssBytes: number;
  swapBytes?: number;
  pgtablesBytes?: number;
  oomScoreAdj: number;
  /** oom_badness() approximation in pages, at least 1 (the pre-5.9 value); 0 for a task that can never be chosen (adj -1000). */
  badnessPages: number;
  /**
   * badness x 1000 / totalpages, when totalpages is known: the "score" of pre-4.6 kill messages and
   * /proc/PID/oom_score before 5.9. From 5.9 oom_score shows (1000 + this) x 2 / 3 (fs/proc/base.c proc_oom_score).
   */
  score?: number;
  isVictim: boolean;
}

export interface OomKillAnalysis {
  report: OomReport;
  /** Pages the badness is relative to, and where that number came from. */
  totalPages?: number;
  totalPagesFrom?: 'memcg limit' | 'RAM + swap';
  /** All candidates, highest badness first. */
  candidates: OomCandidate[];
  /** 1-based rank of the victim among the candidates (1 when the kernel agreed with the ranking). */
  victimRank?: number;
  /** The next candidate after the victim: how close it came (its badness / the victim's). */
  runnerUp?: { candidate: OomCandidate; ratioToVictim: number };
  cause: OomCause;
}

/** Page-table pages of a row: pgtables_bytes / PAGE_SIZE (4.15+, integer division as oom_badness does) or nr_ptes + nr_pmds (older). */
function pgtablePages(t: OomTask, page: number): number {
  if (t.pgtablesBytes !== undefined) return Math.floor(t.pgtablesBytes / page);
  return (t.nrPtes ?? 0) + (t.nrPmds ?? 0);
}

function oomTotalPages(r: OomReport): { pages: number; from: 'memcg limit' | 'RAM + swap' } | undefined {
  const page = r.pageSizeBytes;
  if (r.constraint === 'CONSTRAINT_MEMCG') {
    const lim = r.memcg?.memory?.limitBytes;
    return lim ? { pages: Math.floor(lim / page), from: 'memcg limit' } : undefined;
  }
  const ram = r.memInfo?.ramBytes;
  if (ram === undefined) return undefined;
  return { pages: Math.floor((ram + (r.memInfo?.swapTotalBytes ?? 0)) / page), from: 'RAM + swap' };
}

/** oom_badness() of 5.9+ in pages: signed; undefined for a task that can never be chosen (adj -1000). */
function signedBadnessPages(t: OomTask, page: number, totalPages: number | undefined): number | undefined {
  if (t.oomScoreAdj <= -1000) return undefined;
  const base = t.rssPages + (t.swapEntsPages ?? 0) + pgtablePages(t, page);
  const adj = totalPages === undefined ? 0 : t.oomScoreAdj * Math.floor(totalPages / 1000);
  return base + adj;
}

/** oom_badness() as kernels before 5.9 return it: at least 1; 0 for a task that can never be chosen. */
function badnessPages(t: OomTask, page: number, totalPages: number | undefined): number {
  const b = signedBadnessPages(t, page, totalPages);
  return b === undefined ? 0 : Math.max(1, b);
}

export function analyzeOomReport(r: OomReport, formatBytes: BytesFormatter = plainBytes): OomKillAnalysis {
  const page = r.pageSizeBytes;
  const total = oomTotalPages(r);
  const signed = new Map<OomCandidate, number>();
  const candidates: OomCandidate[] = (r.tasks ?? []).map((t) => {
    const b = badnessPages(t, page, total?.pages);
    const c: OomCandidate = {
      pid: t.pid,
      name: t.name,
      uid: t.uid,
      rssBytes: t.rssPages * page,
      oomScoreAdj: t.oomScoreAdj,
      badnessPages: b,
      isVictim: r.victim?.pid === t.pid,
    };
    if (t.swapEntsPages !== undefined) c.swapBytes = t.swapEntsPages * page;
    const pt = t.pgtablesBytes ?? (t.nrPtes !== undefined ? pgtablePages(t, page) * page : undefined);
    if (pt !== undefined) c.pgtablesBytes = pt;
    if (total && total.pages > 0) c.score = Math.round((b * 1000) / total.pages);
    signed.set(c, signedBadnessPages(t, page, total?.pages) ?? Number.MIN_SAFE_INTEGER);
    return c;
  });
  candidates.sort(
    (a, b) => b.badnessPages - a.badnessPages || signed.get(b)! - signed.get(a)! || Number(b.isVictim) - Number(a.isVictim) || a.pid - b.pid,
  );
  const vi = candidates.findIndex((c) => c.isVictim);
  const out: OomKillAnalysis = { report: r, candidates, cause: likelyCause(r, candidates, formatBytes) };
  if (total) {
    out.totalPages = total.pages;
    out.totalPagesFrom = total.from;
  }
  if (vi >= 0) {
    out.victimRank = vi + 1;
    const victim = candidates[vi];
    const next = candidates.find((c, i) => i !== vi && c.badnessPages > 0);
    if (next && victim.badnessPages > 0) out.runnerUp = { candidate: next, ratioToVictim: next.badnessPages / victim.badnessPages };
  }
  return out;
}
