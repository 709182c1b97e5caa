import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { kvEntries, parseSize } from './kv.js';

/**
 * /proc/meminfo (Documentation/filesystems/proc.rst, "meminfo"; fs/proc/meminfo.c).
 *
 *   MemTotal:       24684092 kB
 *
 * Values are kB (KiB) in the file and bytes here; HugePages_* are page counts.
 * A line the kernel does not print on this version is `undefined`, never 0.
 * Kernels of the 2.4 era (and some vendor kernels, gopsutil #1002) prefix a
 * "total: used: free: ..." table with "Mem:" and "Swap:" rows in bytes: skipped.
 */

/** Kernel key -> property name. The property names carry their unit. */
const FIELDS = {
  MemTotal: 'memTotalBytes',
  MemFree: 'memFreeBytes',
  MemAvailable: 'memAvailableBytes', // 3.14+
  Buffers: 'buffersBytes',
  Cached: 'cachedBytes',
  SwapCached: 'swapCachedBytes',
  Active: 'activeBytes',
  Inactive: 'inactiveBytes',
  'Active(anon)': 'activeAnonBytes',
  'Inactive(anon)': 'inactiveAnonBytes',
  'Active(file)': 'activeFileBytes',
  'Inactive(file)': 'inactiveFileBytes',
  Unevictable: 'unevictableBytes',
  Mlocked: 'mlockedBytes',
  HighTotal: 'highTotalBytes',
  HighFree: 'highFreeBytes',
  LowTotal: 'lowTotalBytes',
  LowFree: 'lowFreeBytes',
  SwapTotal: 'swapTotalBytes',
  SwapFree: 'swapFreeBytes',
  Zswap: 'zswapBytes', // 5.19+: compressed size of the zswap pool
  Zswapped: 'zswappedBytes', // 5.19+: uncompressed size of what it holds
  Dirty: 'dirtyBytes',
  Writeback: 'writebackBytes',
  AnonPages: 'anonPagesBytes',
  Mapped: 'mappedBytes',
  Shmem: 'shmemBytes',
  KReclaimable: 'kReclaimableBytes', // 4.20+
  Slab: 'slabBytes',
  SReclaimable: 'sReclaimableBytes',
  SUnreclaim: 'sUnreclaimBytes',
  KernelStack: 'kernelStackBytes',
  ShadowCallStack: 'shadowCallStackBytes',
  PageTables: 'pageTablesBytes',
  SecPageTables: 'secPageTablesBytes', // 6.0+: KVM/IOMMU secondary page tables (commit ebc97a52b5d6)
  NFS_Unstable: 'nfsUnstableBytes',
  Bounce: 'bounceBytes',
  WritebackTmp: 'writebackTmpBytes',
  CommitLimit: 'commitLimitBytes',
  Committed_AS: 'committedAsBytes',
  VmallocTotal: 'vmallocTotalBytes',
  VmallocUsed: 'vmallocUsedBytes', // 0 on 4.4-5.2 (not computed), real again since 5.3
  VmallocChunk: 'vmallocChunkBytes',
  Percpu: 'percpuBytes', // 4.16+
  HardwareCorrupted: 'hardwareCorruptedBytes',
  AnonHugePages: 'anonHugePagesBytes',
  ShmemHugePages: 'shmemHugePagesBytes',
  ShmemPmdMapped: 'shmemPmdMappedBytes',
  FileHugePages: 'fileHugePagesBytes',
  FilePmdMapped: 'filePmdMappedBytes',
  CmaTotal: 'cmaTotalBytes',
  CmaFree: 'cmaFreeBytes',
  Unaccepted: 'unacceptedBytes', // 6.5+: memory not yet accepted by a confidential guest
  Balloon: 'balloonBytes', // 6.12+: pages held by a balloon driver (virtio, vmw, hv, xen ...)
  HugePages_Total: 'hugePagesTotal',
  HugePages_Free: 'hugePagesFree',
  HugePages_Rsvd: 'hugePagesRsvd',
  HugePages_Surp: 'hugePagesSurp',
  Hugepagesize: 'hugePageSizeBytes',
  Hugetlb: 'hugetlbBytes', // 4.16+: all hugetlb pools, every page size
  DirectMap4k: 'directMap4kBytes',
  DirectMap2M: 'directMap2MBytes',
  DirectMap4M: 'directMap4MBytes',
  DirectMap1G: 'directMap1GBytes',
} as const;

type FieldName = (typeof FIELDS)[keyof typeof FIELDS];

export type Meminfo = { [K in FieldName]?: number } & {
  memTotalBytes: number;
  /** Every numeric line as printed, in bytes (or count for unit-less lines): keys as in the file. */
  raw: Record<string, number>;
};

export function parseMeminfo(text: string, path = '/proc/meminfo'): Meminfo {
  const raw: Record<string, number> = {};
  const out: Record<string, unknown> = { raw };
  for (const e of kvEntries(text.replace(/^\s*total:.*\n(?:(?:Mem|Swap):.*\n)*/, ''), path)) {
    const bytes = parseSize(e, path);
    raw[e.key] = bytes;
    const name = (FIELDS as Record<string, string>)[e.key];
    if (name) out[name] = bytes;
  }
  if (out.memTotalBytes === undefined) throw new ParseError(path, 1, text.split('\n')[0] ?? '', 'MemTotal', 'missing');
  return out as Meminfo;
}

export function readMeminfo(root: ProcRoot): Meminfo {
  return parseMeminfo(root.readProc('meminfo'), root.procPath('meminfo'));
}
