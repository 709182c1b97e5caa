import type { ProcRoot } from '../fs/proc-root.js';
import type { ProcSample, Sample } from '../collect/sample.js';
import { exactFootprints } from '../analyze/footprint.js';
import { groupProcs, type GroupBy } from '../analyze/groups.js';
import type { PsRow } from './ps.js';

export interface ExactSummary {
  /** True when the numbers come from page frames; false when PFNs were hidden and PSS-based fallbacks are shown. */
  frames: boolean;
  reason?: string;
  scanMs: number;
  /** One sentence for the notes under the table. */
  note: string;
}

/**
 * `ps --exact`: fill the EXACT_FIELDS of each row (fields/process.ts). Sharing is judged against
 * every process of the sample, not only the rows shown, so the scan covers them all.
 */
export function addExactColumns(root: ProcRoot, sample: Sample, shown: ProcSample[], rows: PsRow[], totals: PsRow, by: GroupBy | undefined): ExactSummary {
  const all = sample.procs.filter((p) => !p.isKernelThread);
  const groups = by ? groupProcs(shown, by) : [];
  const userProcs = shown.filter((p) => !p.isKernelThread);
  const ex = exactFootprints(root, all, by ? [...groups, { key: '\0total', label: 'TOTAL', procs: userProcs }] : [], { pageSizeBytes: sample.header.caps.pageSizeBytes });
  const byKey = new Map(shown.map((p) => [p.key, p]));

  if (!by) {
    for (const r of rows) {
      const p = byKey.get(r.key);
      const exact = ex.procs.get(r.key)?.ussBytes;
      r.values.euss = ex.exact ? exact : p?.rollup ? p.rollup.privateCleanBytes + p.rollup.privateDirtyBytes : undefined;
    }
  } else {
    const exactGroups = new Map(ex.groups.map((g) => [g.key, g]));
    for (const r of [...rows, totals]) {
      const g = exactGroups.get(r === totals ? '\0total' : r.key);
      if (ex.exact && g && g.members > 0) {
        r.values.footprint = g.footprintBytes;
        r.values.frees = g.only?.anonBytes;
      } else {
        r.values.footprint = r.partial.includes('pss') ? undefined : r.values.pss;
        r.values.frees = r.partial.includes('uss') ? undefined : r.values.uss;
      }
    }
  }
  const note = ex.exact
    ? by
      ? `FOOTPRINT: distinct page frames each group maps (counted once however many members map them); FREES: anonymous frames only the group maps, what ending it gives back. From pagemap, kpagecount and kpageflags (scan ${Math.round(ex.scanMs)} ms).`
      : `EUSS: frames only this process maps, from pagemap and kpagecount (scan ${Math.round(ex.scanMs)} ms).`
    : `Exact figures unavailable (${ex.reason ?? 'page frames unreadable'}): ${by ? 'FOOTPRINT shows summed PSS and FREES summed USS' : 'EUSS shows USS from smaps_rollup'} instead.`;
  return { frames: ex.exact, reason: ex.reason, scanMs: ex.scanMs, note };
}
