import type { Sample } from '../collect/sample.js';
import type { Meminfo } from '../procfs/meminfo.js';

/** Memory in use, and the meminfo formula it came from. */
export interface UsedMemory {
  bytes: number;
  formula: string;
}

/**
 * "Used" memory as procps 4 free(1) computes it: MemTotal - MemAvailable. Without MemAvailable
 * (before 3.14) procps 4 substitutes MemFree (library/meminfo.c), which would count every cached
 * page as used; this falls back to the procps 3.3 formula instead, which does not. Undefined
 * when a line that formula needs is missing.
 */
export function usedMemory(m: Meminfo): UsedMemory | undefined {
  if (m.memAvailableBytes !== undefined) return { bytes: m.memTotalBytes - m.memAvailableBytes, formula: 'MemTotal - MemAvailable' };
  const { memFreeBytes: free, buffersBytes: buffers, cachedBytes: cached, sReclaimableBytes: slab } = m;
  if (free === undefined || buffers === undefined || cached === undefined || slab === undefined) return undefined;
  return { bytes: m.memTotalBytes - free - buffers - cached - slab, formula: 'MemTotal - MemFree - Buffers - Cached - SReclaimable' };
}

export function usedBytes(m: Meminfo): number | undefined {
  return usedMemory(m)?.bytes;
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
  const u = usedMemory(sample.system.meminfo);
  if (u === undefined || rssSumBytes <= u.bytes) return undefined;
  const pss = pssSumBytes === undefined ? '' : `; summed PSS (${fmt(pssSumBytes)}) divides each shared page among its sharers, so it counts every page once`;
  return {
    rssSumBytes,
    pssSumBytes,
    usedBytes: u.bytes,
    sentence:
      `Summed RSS (${fmt(rssSumBytes)}) exceeds used memory (${fmt(u.bytes)}, ${u.formula}): ` +
      `a page shared by several processes (fork, shared libraries, shmem) counts in the RSS of each${pss}.`,
  };
}
