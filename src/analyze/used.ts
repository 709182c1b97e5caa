import type { Meminfo } from '../procfs/meminfo.js';

/**
 * "Used" as each popular tool computes it, side by side, from the same meminfo.
 * - free (procps-ng 4.x, proc/sysinfo.c): total - available.
 * - htop 3 (linux/LinuxMachine.c): total - free - buffers - cache, where cache = Cached + SReclaimable - Shmem.
 * - btop (linux/btop_collect.cpp): total - available.
 * - container runtimes (docker stats, cAdvisor working set): usage - inactive file; for the
 *   whole machine usage is total - free.
 */
export interface UsedView {
  tool: string;
  bytes: number | undefined;
  formula: string;
}

export function usedViews(m: Meminfo): UsedView[] {
  const t = m.memTotalBytes;
  const free = m.memFreeBytes;
  const avail = m.memAvailableBytes;
  const cache = m.cachedBytes === undefined ? undefined : m.cachedBytes + (m.sReclaimableBytes ?? 0) - (m.shmemBytes ?? 0);
  const htop = free === undefined || cache === undefined ? undefined : t - free - (m.buffersBytes ?? 0) - cache;
  const runtime = free === undefined || m.inactiveFileBytes === undefined ? undefined : t - free - m.inactiveFileBytes;
  return [
    { tool: 'free (procps 4)', bytes: avail === undefined ? undefined : t - avail, formula: 'MemTotal - MemAvailable' },
    { tool: 'htop 3', bytes: htop, formula: 'MemTotal - MemFree - Buffers - (Cached + SReclaimable - Shmem)' },
    { tool: 'btop', bytes: avail === undefined ? undefined : t - avail, formula: 'MemTotal - MemAvailable' },
    { tool: 'container runtime (working set)', bytes: runtime, formula: '(MemTotal - MemFree) - Inactive(file)' },
  ];
}

/** One sentence on why the views differ here. */
export function usedSentence(m: Meminfo, views: UsedView[], fmt: (n: number) => string): string {
  const [free, htop, , runtime] = views;
  if (free.bytes === undefined || htop.bytes === undefined || runtime.bytes === undefined) {
    return 'This kernel lacks MemAvailable (3.14+), so tools that rely on it cannot agree with the others.';
  }
  const parts = [
    `free and btop count as used everything the kernel could not hand out without swapping (${fmt(free.bytes)})`,
    `htop subtracts all page cache and reclaimable slab, but keeps shmem as used (${fmt(htop.bytes)})`,
    `a container runtime keeps active page cache as used, since it is the working set (${fmt(runtime.bytes)})`,
  ];
  return `They differ in what they call reclaimable: ${parts.join('; ')}.`;
}
