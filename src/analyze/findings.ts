import type { ProcSample, Sample } from '../collect/sample.js';
import type { Finding } from '../shared/finding.js';
import type { Ledger } from './ledger.js';
import type { OwnerTotals } from './owners.js';
import { THRESHOLDS as T } from './thresholds.js';
import { usedMemory } from './totals.js';

export interface FindingContext {
  sample: Sample;
  ledger: Ledger;
  owners: OwnerTotals;
  /** Formats bytes for sentences (human or exact). */
  fmt: (n: number) => string;
}

/** A rule: returns a finding when its condition holds, else undefined. */
type Rule = (c: FindingContext) => Finding | undefined;

const pct = (a: number, b: number): string => `${((a / b) * 100).toFixed(1)}%`;

/** A process's swap and the line it came from: SwapPss (shared pages divided) when smaps_rollup was read, else VmSwap. */
function procSwap(p: ProcSample): { bytes: number; source: string } | undefined {
  if (p.rollup?.swapPssBytes !== undefined) return { bytes: p.rollup.swapPssBytes, source: 'SwapPss' };
  if (p.status?.vmSwapBytes !== undefined) return { bytes: p.status.vmSwapBytes, source: 'VmSwap' };
  return undefined;
}

export const RULES: Record<string, Rule> = {
  'rss-exceeds-used': ({ sample, owners, fmt }) => {
    const u = usedMemory(sample.system.meminfo);
    if (u === undefined || owners.rssSumBytes <= u.bytes * T.rssOverUsedFactor) return undefined;
    const used = u.bytes;
    // Summed PSS covers only the processes whose smaps_rollup could be read.
    const pssOver = owners.withPssCount < owners.processCount ? ` over the ${owners.withPssCount} of ${owners.processCount} processes whose smaps_rollup could be read` : '';
    const fams = owners.topSharers.slice(0, 3).map((f) => `${f.label} (${f.processCount} processes, RSS ${fmt(f.rssBytes)}, PSS ${fmt(f.pssBytes)})`);
    return {
      id: 'rss-exceeds-used', severity: 'info',
      title: `Summed RSS (${fmt(owners.rssSumBytes)}) is ${(owners.rssSumBytes / used).toFixed(1)}x the memory in use (${fmt(used)}, ${u.formula})`,
      numbers: { rssSumBytes: owners.rssSumBytes, usedBytes: used, ...(owners.pssSumBytes !== undefined ? { pssSumBytes: owners.pssSumBytes } : {}) },
      explanation: `RSS counts every page a process maps, so a page shared by N processes (after fork, or a shared library) is counted N times. ` +
        (fams.length ? `The families sharing most: ${fams.join('; ')}.` : '') + (owners.pssSumBytes !== undefined ? ` Summed PSS, which divides shared pages among their sharers, is ${fmt(owners.pssSumBytes)}${pssOver}.` : ''),
      action: 'Judge processes by PSS or USS (memledger ps), and fork families by their exact footprint (memledger share --tree PID).',
    };
  },
  'cache-reclaimable': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    if (m.memAvailableBytes === undefined || m.memFreeBytes === undefined) return undefined;
    const gap = m.memAvailableBytes - m.memFreeBytes;
    if (gap < m.memTotalBytes * T.cacheReclaimableShare) return undefined;
    return {
      id: 'cache-reclaimable', severity: 'info',
      title: `${fmt(m.memAvailableBytes)} is available although only ${fmt(m.memFreeBytes)} is free`,
      numbers: { memFreeBytes: m.memFreeBytes, memAvailableBytes: m.memAvailableBytes },
      explanation: 'Linux keeps file data in the page cache while nothing else needs the RAM; the kernel drops clean cache on demand. MemAvailable estimates what can be had without swapping.',
      action: 'Nothing to do: read MemAvailable, not MemFree. Dropping caches only makes later reads slower.',
    };
  },
  'slab-large': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    const { sReclaimableBytes: reclaimable, sUnreclaimBytes: unreclaimable } = m;
    if (reclaimable === undefined || unreclaimable === undefined) return undefined;
    const slab = reclaimable + unreclaimable;
    if (slab < m.memTotalBytes * T.slabShare) return undefined;
    const top = sample.system.slabinfo?.caches.slice().sort((a, b) => b.slabBytes - a.slabBytes).slice(0, 5).map((c) => `${c.name} ${fmt(c.slabBytes)}`);
    return {
      id: 'slab-large', severity: 'notice',
      title: `Kernel slab (SReclaimable + SUnreclaim) holds ${fmt(slab)} (${pct(slab, m.memTotalBytes)} of RAM), ${fmt(reclaimable)} of it reclaimable`,
      numbers: { slabBytes: slab, sReclaimableBytes: reclaimable, sUnreclaimBytes: unreclaimable },
      explanation: `Slab caches hold kernel objects: dentries and inodes (reclaimable when memory is short), network buffers, and driver data (not reclaimable). ${top ? `Largest caches: ${top.join(', ')}.` : 'Run as root to see which caches (/proc/slabinfo).'}`,
      action: 'Reclaimable slab (dentry, inode) shrinks under pressure by itself. Growing unreclaimable slab points at a kernel or driver leak: watch it over time (slabtop, memledger record).',
    };
  },
  'pagetables-large': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    if (m.pageTablesBytes === undefined || m.pageTablesBytes < m.memTotalBytes * T.pageTablesShare) return undefined;
    const top = sample.procs.flatMap((p) => (p.status?.vmPteBytes ? [{ p, pte: p.status.vmPteBytes }] : [])).sort((a, b) => b.pte - a.pte).slice(0, 5);
    return {
      id: 'pagetables-large', severity: 'notice',
      title: `Page tables take ${fmt(m.pageTablesBytes)} (${pct(m.pageTablesBytes, m.memTotalBytes)} of RAM)`,
      numbers: { pageTablesBytes: m.pageTablesBytes },
      explanation: `Each process that maps memory needs page tables for it: 8 bytes per 4 KiB page, per process, so many processes mapping the same large shared memory pay for it many times. Largest (status VmPTE): ${top.map(({ p, pte }) => `${p.comm} [${p.pid}] ${fmt(pte)}`).join(', ') || 'unknown'}.`,
      action: 'Use huge pages for large shared mappings (hugetlbfs or THP for shmem), or fewer processes mapping the same memory.',
    };
  },
  'unexplained-large': ({ ledger, sample, fmt }) => {
    const u = ledger.unexplainedBytes;
    if (u < T.unexplainedMinBytes || u < ledger.memTotalBytes * T.unexplainedShare) return undefined;
    const balloon = sample.system.meminfo.balloonBytes;
    // A holder that says it holds nothing (an empty zram device) is not a likely holder.
    const holders = (sample.system.hidden ?? []).filter((h) => h.bytes !== 0).map((h) => {
      const held = h.bytes !== undefined ? `, ${fmt(h.bytes)}` : / \(balloon\)$/.test(h.what) && balloon !== undefined ? `, meminfo Balloon: ${fmt(balloon)}` : '';
      return `${h.what}${held} [${sysRelative(h.source)}]`;
    });
    // 6.12+ counts pages on the kernel's balloon list (virtio_balloon, vmw_balloon) in "Balloon:";
    // when that line exists and is nearly empty, those balloons are not where the memory went.
    const balloonEmpty = balloon !== undefined && balloon < u / 10;
    return {
      id: 'unexplained-large', severity: 'warning',
      title: `${fmt(u)} (${pct(u, ledger.memTotalBytes)} of RAM) is used but claimed by no kernel counter`,
      numbers: { unexplainedBytes: u, memTotalBytes: ledger.memTotalBytes, ...(balloon !== undefined ? { balloonBytes: balloon } : {}) },
      explanation: 'Memory taken straight from the page allocator appears in no meminfo line: balloon drivers (virtio_balloon, vmw_balloon, hv_balloon, xen) on kernels before 6.12, ' +
        'GPU and other drivers calling alloc_pages, pipe buffers, and socket data queued but not yet read (page fragments; only their headers are slab). ' +
        (holders.length ? `Likely holders on this machine: ${holders.join('; ')}.` : 'No balloon device, memory device or GPU driver was found on this machine.') +
        (balloonEmpty ? ` This kernel reports balloon pages (Balloon: ${fmt(balloon)}), so an inflated virtio or VMware balloon does not explain it.` : ''),
      action: balloonEmpty
        ? 'Look for queued data: `ss -x -m` and `ss -t -m` (large send or receive queues), processes with many pipes; then drivers, by comparing before and after unloading one, or trace page allocations (the kmem:mm_page_alloc tracepoint).'
        : 'On a VM, ask whether the hypervisor inflated the balloon. Otherwise look for queued socket data (`ss -m`) and pipes, compare before and after unloading a suspect driver, or trace page allocations (the kmem:mm_page_alloc tracepoint).',
    };
  },
  'hugetlb-idle': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    // hugetlb_report_meminfo() prints HugePages_Total, _Free, _Rsvd and Hugepagesize together.
    if (!m.hugePagesTotal || !m.hugePageSizeBytes || m.hugePagesFree === undefined || m.hugePagesRsvd === undefined) return undefined;
    const idle = (m.hugePagesFree - m.hugePagesRsvd) * m.hugePageSizeBytes;
    if (idle < m.memTotalBytes * T.hugetlbIdleShare) return undefined;
    return {
      id: 'hugetlb-idle', severity: 'notice',
      title: `${fmt(idle)} of huge pages are set aside and neither used nor reserved (HugePages_Free - HugePages_Rsvd)`,
      numbers: { idleHugetlbBytes: idle, hugePagesTotal: m.hugePagesTotal, hugePagesFree: m.hugePagesFree, hugePagesRsvd: m.hugePagesRsvd },
      explanation: 'HugeTLB pages are taken out of general use when the pool is sized (vm.nr_hugepages or the kernel command line); until a program maps them they serve nothing else.',
      action: 'Lower vm.nr_hugepages to what the application maps, or start the application that should use them.',
    };
  },
  'shmem-unowned': ({ owners, ledger, fmt }) => {
    const u = owners.crossCheck.shmemUnmappedBytes;
    if (u === undefined || u < T.shmemUnownedMinBytes || u < ledger.memTotalBytes * T.shmemUnownedShare) return undefined;
    return {
      id: 'shmem-unowned', severity: 'notice',
      title: `${fmt(u)} of shared memory is mapped by no process`,
      numbers: { shmemUnmappedBytes: u },
      explanation: 'Shmem pages that no process maps are files in tmpfs (/dev/shm, /run, /tmp on tmpfs), SysV segments nobody attaches, or memfd and deleted files still open. They stay in RAM (or swap) until deleted, whatever processes exit.',
      action: 'Look for large files with `du -sh /dev/shm /run /tmp` on tmpfs mounts and `ipcs -m`; delete what is not needed.',
    };
  },
  'swap-used': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    if (!m.swapTotalBytes || m.swapFreeBytes === undefined) return undefined;
    const used = m.swapTotalBytes - m.swapFreeBytes;
    if (used < m.swapTotalBytes * T.swapUsedShare) return undefined;
    const top = sample.procs.flatMap((p) => {
      const swap = procSwap(p);
      return swap && swap.bytes > 0 ? [{ p, swap }] : [];
    }).sort((a, b) => b.swap.bytes - a.swap.bytes).slice(0, 5);
    return {
      id: 'swap-used', severity: 'notice',
      title: `${fmt(used)} of swap in use (${pct(used, m.swapTotalBytes)}, SwapTotal - SwapFree)`,
      numbers: { swapUsedBytes: used, swapTotalBytes: m.swapTotalBytes },
      explanation: `Pages were written to swap when RAM was short. Swapped pages cost nothing until touched again. Largest holders: ${top.map(({ p, swap }) => `${p.comm} [${p.pid}] ${fmt(swap.bytes)} (${swap.source})`).join(', ') || 'none among readable processes (shmem or tmpfs pages may be swapped)'}.`,
      action: 'Check whether swap-in is happening now (memledger swap): swapped-out idle memory is fine; constant swap-in means the working set does not fit.',
    };
  },
  'commit-near-limit': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    const mode = sample.system.overcommitMemory;
    // Only strict mode enforces CommitLimit. In modes 0 and 1 an idle machine without swap
    // (CommitLimit = RAM / 2) passes it with a few runtimes that reserve address space.
    if (mode !== 2) return undefined;
    if (!m.commitLimitBytes || m.committedAsBytes === undefined || m.committedAsBytes < m.commitLimitBytes * T.commitShare) return undefined;
    return {
      id: 'commit-near-limit', severity: 'warning',
      title: `Committed memory ${fmt(m.committedAsBytes)} is ${pct(m.committedAsBytes, m.commitLimitBytes)} of CommitLimit ${fmt(m.commitLimitBytes)}`,
      numbers: { committedAsBytes: m.committedAsBytes, commitLimitBytes: m.commitLimitBytes, overcommitMemory: mode },
      explanation: 'With vm.overcommit_memory=2 the kernel refuses any allocation or fork that would push Committed_AS past CommitLimit: "Cannot allocate memory" with RAM still free.',
      action: 'See memledger commit for who holds the commit charge and whether a fork would fail.',
    };
  },
  'compression-poor': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    if (!m.zswapBytes || !m.zswappedBytes) return undefined;
    const ratio = m.zswappedBytes / m.zswapBytes;
    if (ratio >= T.compressionMinRatio) return undefined;
    return {
      id: 'compression-poor', severity: 'notice',
      title: `zswap compresses only ${ratio.toFixed(2)}:1 (${fmt(m.zswappedBytes)} held in ${fmt(m.zswapBytes)})`,
      numbers: { zswapBytes: m.zswapBytes, zswappedBytes: m.zswappedBytes },
      explanation: 'Pages that compress badly cost CPU and save little RAM.',
      action: 'Consider a stronger compressor (zstd) or letting such pages go to disk swap.',
    };
  },
  'ksm-savings': ({ sample, fmt }) => {
    const k = sample.system.ksm;
    if (!k || k.savedBytes === undefined || k.savedBytes < T.ksmMinSavedBytes) return undefined;
    return {
      id: 'ksm-savings', severity: 'info',
      title: `KSM merges identical pages and saves about ${fmt(k.savedBytes)}`,
      numbers: { ksmSavedBytes: k.savedBytes },
      explanation: 'Kernel samepage merging keeps one copy of identical anonymous pages (pages_sharing counts the copies it avoided). PSS and USS of the processes involved already reflect the sharing.',
      action: 'Nothing to do; a write to a merged page copies it again (copy-on-write), so savings can shrink suddenly.',
    };
  },
  'thp-bloat': ({ sample, fmt }) => {
    const m = sample.system.meminfo;
    if (!m.anonHugePagesBytes || !m.anonPagesBytes || sample.system.thpEnabled !== 'always') return undefined;
    if (m.anonHugePagesBytes < T.thpMinBytes || m.anonHugePagesBytes < m.anonPagesBytes * T.thpAnonShare) return undefined;
    return {
      id: 'thp-bloat', severity: 'info',
      title: `${fmt(m.anonHugePagesBytes)} of anonymous memory is in transparent huge pages (THP: always)`,
      numbers: { anonHugePagesBytes: m.anonHugePagesBytes, anonPagesBytes: m.anonPagesBytes },
      explanation: 'With THP set to always, a process touching one byte of a 2 MiB aligned range may get a whole 2 MiB page: sparse heaps grow in RSS.',
      action: 'If RSS grew after enabling THP, set /sys/kernel/mm/transparent_hugepage/enabled to madvise.',
    };
  },
};

/** "/x/trees/t/sys/bus/virtio/..." -> "/sys/bus/virtio/...": where the file is on the machine, whatever root it was read under. */
function sysRelative(p: string): string {
  const m = /^.*(\/(?:sys|proc)\/(?:bus|module|devices|kernel|class|block|modules)(?:\/.*)?)$/.exec(p);
  return m ? m[1] : p;
}

const SEVERITY_ORDER = { critical: 0, warning: 1, notice: 2, info: 3 } as const;

export function evaluateFindings(c: FindingContext): Finding[] {
  const out: Finding[] = [];
  for (const rule of Object.values(RULES)) {
    const f = rule(c);
    if (f) out.push(f);
  }
  return out.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
