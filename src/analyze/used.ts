import type { Meminfo } from '../procfs/meminfo.js';

/**
 * "Used" as each popular tool computes it, side by side, from the same meminfo.
 * - free (procps-ng 4.x, proc/sysinfo.c): total - available.
 * - htop 3 (linux/LinuxMachine.c, MemoryMeter.c): its meter prints used + shared, where
 *   used = total - free - Cached - SReclaimable - Buffers and shared = Shmem; that is
 *   total - free - buffers - cache with cache = Cached + SReclaimable - Shmem. htop reads a
 *   missing Buffers, SReclaimable or Shmem line as 0, and so does this view.
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
    { tool: 'container working set', bytes: runtime, formula: '(MemTotal - MemFree) - Inactive(file)' },
  ];
}

/** One sentence on why the views differ here: the lowest and highest, and what one counts that the other does not. */
export function usedSentence(m: Meminfo, views: UsedView[], fmt: (n: number) => string): string {
  const [free, htop, , runtime] = views;
  if (free.bytes === undefined || htop.bytes === undefined || runtime.bytes === undefined) {
    return 'This kernel lacks MemAvailable (3.14+), so tools that rely on it cannot agree with the others.';
  }
  const known = [free, htop, runtime] as (UsedView & { bytes: number })[];
  const lo = known.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const hi = known.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const name = (v: UsedView): string => (v === free ? 'free and btop' : v === htop ? 'htop' : 'a container runtime');
  const span = `They range from ${fmt(lo.bytes)} (${name(lo)}) to ${fmt(hi.bytes)} (${name(hi)})`;
  if (hi.bytes - lo.bytes < m.memTotalBytes * 0.01) return `${span}: they agree here, since little is cached or reclaimable.`;
  // What the working-set view keeps as used: the active page cache and all reclaimable slab.
  const items = [
    { what: 'active page cache', bytes: m.activeFileBytes },
    { what: 'reclaimable slab', bytes: m.sReclaimableBytes },
  ].sort((a, b) => (b.bytes ?? -1) - (a.bytes ?? -1)).map((i) => `${i.what} (${i.bytes === undefined ? 'size unknown' : fmt(i.bytes)})`).join(' and ');
  const because =
    hi === runtime && lo === htop ? `the working set counts ${items} as used, htop counts neither`
    : hi === runtime ? `the working set counts ${items} as used, while MemAvailable expects to reclaim most of them`
    : hi === free && lo === htop ? 'MemAvailable keeps back the kernel\'s watermark reserve and the share of page cache and reclaimable slab it does not expect to reclaim, while htop treats all of them as free'
    : hi === free ? 'MemAvailable keeps back the kernel\'s watermark reserve, while the working set leaves out all inactive page cache'
    : 'htop keeps shmem as used and subtracts every page of cache and reclaimable slab';
  return `${span}: ${because}.`;
}
