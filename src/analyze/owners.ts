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
  /** Largest groups by PSS: `pssBytes` sums the `readableCount` members whose smaps_rollup was read, `rssBytes` every member. */
  topOwners: { label: string; processCount: number; readableCount: number; pssBytes: number; rssBytes: number }[];
  /** Families (process trees) where RSS most exceeds PSS: the biggest sharers. */
  topSharers: { label: string; processCount: number; rssBytes: number; pssBytes: number }[];
  crossCheck: CrossCheck;
}

export interface CrossCheck {
  /** AnonPages + Mapped + Shmem: what the kernel says processes could be mapping at most. */
  kernelMappableBytes?: number;
  /** Shmem minus the shmem PSS of every process (RssShmem for unreadable ones): tmpfs files, memfd nobody maps, SysV segments with no attach. */
  shmemUnmappedBytes?: number;
  /** Page cache (Cached - Shmem) minus the file PSS of every process (RssFile for unreadable ones): cache of files no process maps. */
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
    groupProcs(procs, g).map((grp) => {
      const readable = grp.procs.filter((p) => p.rollup);
      return {
        label: grp.label,
        processCount: grp.procs.length,
        readableCount: readable.length,
        pssBytes: readable.reduce((s, p) => s + p.rollup!.pssBytes, 0),
        rssBytes: grp.procs.reduce((s, p) => s + rssOf(p), 0),
        /** RSS of the processes whose PSS is known: the only RSS comparable with pssBytes. */
        readableRssBytes: readable.reduce((s, p) => s + rssOf(p), 0),
      };
    });
  const m = sample.system.meminfo;
  // Processes whose smaps_rollup could not be read (pid 1 in some sandboxes, even for root) count
  // with their whole RssShmem / RssFile from status (4.5+): at least their share, so what is left
  // is a lower bound of what no process maps. Without those fields the check is unknown.
  const unread = procs.filter((p) => !p.rollup);
  const unreadSum = (f: (p: (typeof procs)[number]) => number | undefined): number | undefined => {
    let s = 0;
    for (const p of unread) {
      const v = f(p);
      if (v === undefined) return undefined;
      s += v;
    }
    return s;
  };
  const add = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a + b);
  const mappedShmem = add(pssShmem, unreadSum((p) => p.status?.rssShmemBytes));
  const mappedFile = add(pssFile, unreadSum((p) => p.status?.rssFileBytes));
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
    // A group none of whose processes could be read has no PSS: it owns nothing we know of.
    topOwners: groupSums(by)
      .filter((g) => g.readableCount > 0)
      .sort((a, b) => b.pssBytes - a.pssBytes)
      .slice(0, top)
      .map(({ label, processCount, readableCount, pssBytes, rssBytes }) => ({ label, processCount, readableCount, pssBytes, rssBytes })),
    // Sharing within a family needs two members; a lone process whose RSS exceeds its PSS only
    // shares libraries with others. Unreadable members have no PSS, so their RSS is left out.
    topSharers: groupSums('tree')
      .filter((g) => g.readableCount > 1 && g.readableRssBytes > g.pssBytes)
      .sort((a, b) => b.readableRssBytes - b.pssBytes - (a.readableRssBytes - a.pssBytes))
      .slice(0, 5)
      .map((g) => ({ label: g.label, processCount: g.readableCount, rssBytes: g.readableRssBytes, pssBytes: g.pssBytes })),
    crossCheck: {
      kernelMappableBytes: m.anonPagesBytes !== undefined && m.mappedBytes !== undefined && m.shmemBytes !== undefined ? m.anonPagesBytes + m.mappedBytes + m.shmemBytes : undefined,
      shmemUnmappedBytes: diff(m.shmemBytes, mappedShmem),
      pageCacheUnmappedBytes: diff(diff(m.cachedBytes, m.shmemBytes), mappedFile),
      anonNotInPssBytes: diff(m.anonPagesBytes, pssAnon),
    },
  };
}
