import type { Sample } from '../collect/sample.js';
import { groupProcs, type GroupBy } from './groups.js';

/**
 * The ledger seen from the owners' side: what processes hold, and the cross-checks between
 * the per-process view (smaps) and the kernel's global counters (meminfo).
 */
export interface OwnerTotals {
  processCount: number;
  /** Processes whose smaps_rollup we could read. */
  withPssCount: number;
  rssSumBytes: number;
  pssSumBytes?: number;
  pssAnonSumBytes?: number;
  pssFileSumBytes?: number;
  pssShmemSumBytes?: number;
  swapPssSumBytes?: number;
  topOwners: { label: string; processCount: number; pssBytes: number; rssBytes: number }[];
  /** Families (process trees) where RSS most exceeds PSS: the biggest sharers. */
  topSharers: { label: string; processCount: number; rssBytes: number; pssBytes: number }[];
  crossCheck: CrossCheck;
}

export interface CrossCheck {
  /** AnonPages + Mapped + Shmem: what the kernel says processes could be mapping at most. */
  kernelMappableBytes?: number;
  /** Shmem minus the shmem PSS of every process: tmpfs files, memfd nobody maps, SysV segments with no attach. */
  shmemUnmappedBytes?: number;
  /** Page cache (Cached - Shmem) minus the file PSS of every process: cache of files no process maps. */
  pageCacheUnmappedBytes?: number;
  /** AnonPages minus anonymous PSS: anonymous memory of processes we could not read. */
  anonNotInPssBytes?: number;
}

export function ownerTotals(sample: Sample, by: GroupBy = 'program', top = 8): OwnerTotals {
  const procs = sample.procs.filter((p) => !p.isKernelThread);
  const withPss = procs.filter((p) => p.rollup);
  const sumOf = (f: (r: NonNullable<(typeof procs)[number]['rollup']>) => number | undefined): number | undefined => {
    if (withPss.length === 0) return undefined;
    let s = 0;
    for (const p of withPss) {
      const v = f(p.rollup!);
      if (v === undefined) return undefined;
      s += v;
    }
    return s;
  };
  const ps = sample.header.caps.pageSizeBytes;
  const rssOf = (p: (typeof procs)[number]): number => p.status?.vmRssBytes ?? p.stat.rssPages * ps;
  const pssAnon = sumOf((r) => r.pssAnonBytes);
  const pssFile = sumOf((r) => r.pssFileBytes);
  const pssShmem = sumOf((r) => r.pssShmemBytes);

  const groupSums = (g: GroupBy) =>
    groupProcs(procs, g).map((grp) => ({
      label: grp.label,
      processCount: grp.procs.length,
      pssBytes: grp.procs.reduce((s, p) => s + (p.rollup?.pssBytes ?? 0), 0),
      rssBytes: grp.procs.reduce((s, p) => s + rssOf(p), 0),
    }));
  const m = sample.system.meminfo;
  const complete = withPss.length === procs.length;
  const diff = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a - b);
  return {
    processCount: procs.length,
    withPssCount: withPss.length,
    rssSumBytes: procs.reduce((s, p) => s + rssOf(p), 0),
    pssSumBytes: sumOf((r) => r.pssBytes),
    pssAnonSumBytes: pssAnon,
    pssFileSumBytes: pssFile,
    pssShmemSumBytes: pssShmem,
    swapPssSumBytes: sumOf((r) => r.swapPssBytes),
    topOwners: groupSums(by).sort((a, b) => b.pssBytes - a.pssBytes).slice(0, top),
    topSharers: groupSums('tree')
      .filter((g) => g.rssBytes > g.pssBytes)
      .sort((a, b) => b.rssBytes - b.pssBytes - (a.rssBytes - a.pssBytes))
      .slice(0, 5),
    crossCheck: {
      kernelMappableBytes: m.anonPagesBytes !== undefined && m.mappedBytes !== undefined && m.shmemBytes !== undefined ? m.anonPagesBytes + m.mappedBytes + m.shmemBytes : undefined,
      // Only meaningful when every process was read: otherwise the unread ones look unmapped.
      shmemUnmappedBytes: complete ? diff(m.shmemBytes, pssShmem) : undefined,
      pageCacheUnmappedBytes: complete && m.cachedBytes !== undefined ? diff(m.cachedBytes - (m.shmemBytes ?? 0), pssFile) : undefined,
      anonNotInPssBytes: diff(m.anonPagesBytes, pssAnon),
    },
  };
}
