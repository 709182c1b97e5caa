import type { Sample } from '../collect/sample.js';
import type { Meminfo } from '../procfs/meminfo.js';

/**
 * "Used" memory as procps 4 free(1) computes it: MemTotal - MemAvailable. On kernels without
 * MemAvailable (before 3.14), procps falls back to MemTotal - MemFree - Buffers - Cached - SReclaimable.
 */
export function usedBytes(m: Meminfo): number | undefined {
  if (m.memAvailableBytes !== undefined) return m.memTotalBytes - m.memAvailableBytes;
  if (m.memFreeBytes === undefined) return undefined;
  return m.memTotalBytes - m.memFreeBytes - (m.buffersBytes ?? 0) - (m.cachedBytes ?? 0) - (m.sReclaimableBytes ?? 0);
}

export interface RssOverUsed {
  rssSumBytes: number;
  pssSumBytes?: number;
  usedBytes: number;
  sentence: string;
}

/**
 * When summed RSS exceeds used memory, say why: RSS counts a shared page in every process
 * that maps it (fork, shared libraries, shmem). PSS divides each page among its sharers.
 */
export function rssOverUsed(sample: Sample, rssSumBytes: number, pssSumBytes: number | undefined, fmt: (n: number) => string): RssOverUsed | undefined {
  const used = usedBytes(sample.system.meminfo);
  if (used === undefined || rssSumBytes <= used) return undefined;
  const pss = pssSumBytes === undefined ? '' : `; summed PSS (${fmt(pssSumBytes)}) divides each shared page among its sharers, so it counts every page once`;
  return {
    rssSumBytes,
    pssSumBytes,
    usedBytes: used,
    sentence:
      `Summed RSS (${fmt(rssSumBytes)}) exceeds used memory (${fmt(used)}, MemTotal - MemAvailable): ` +
      `a page shared by several processes (fork, shared libraries, shmem) counts in the RSS of each${pss}.`,
  };
}
