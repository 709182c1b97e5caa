import type { SystemSample } from '../collect/system.js';

/**
 * The ledger: MemTotal split into lines that add up exactly, the last one being whatever no
 * counter claims. Every line names the kernel counter it comes from.
 *
 * The lines are chosen to be disjoint (Documentation/filesystems/proc.rst "meminfo";
 * mm/show_mem.c): Cached includes Shmem, so page cache is Cached - Shmem; Buffers and
 * SwapCached are separate from Cached; AnonPages excludes shmem; KernelStack pages are also
 * vmalloc pages when CONFIG_VMAP_STACK (x86_64 and arm64 defaults), so vmalloc excludes them.
 * MemTotal itself is RAM minus what firmware and the kernel image reserved at boot.
 */

export interface LedgerLine {
  id: string;
  label: string;
  /** undefined: this kernel does not report it (then it sits inside "unexplained"). */
  bytes: number | undefined;
  /** The counter(s), as the kernel names them. */
  source: string;
  /** A breakdown that is not added again (e.g. active/inactive, dirty). */
  details?: { label: string; bytes: number | undefined; source: string }[];
  note?: string;
}

export interface Ledger {
  memTotalBytes: number;
  lines: LedgerLine[];
  /** MemTotal minus every known line: memory no counter claims (may be slightly negative: counters are read at slightly different instants). */
  unexplainedBytes: number;
  /** Lines this kernel does not report, folded into "unexplained". */
  unknownLines: string[];
  /** Memory the guest gave up that MemTotal no longer includes (shown beside the ledger, not in it). */
  outside: LedgerLine[];
}

export function buildLedger(sys: SystemSample): Ledger {
  const m = sys.meminfo;
  const sub = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : Math.max(0, a - b));
  const lines: LedgerLine[] = [];
  const add = (l: LedgerLine): void => {
    lines.push(l);
  };

  add({ id: 'free', label: 'Free', bytes: m.memFreeBytes, source: 'MemFree' });
  // Shmem (2.6.32+) is part of Cached; a kernel without the line leaves it inside the page cache.
  const shmemKnown = m.shmemBytes !== undefined;
  add({
    id: 'pageCache', label: 'Page cache (files)', bytes: shmemKnown ? sub(m.cachedBytes, m.shmemBytes) : m.cachedBytes, source: shmemKnown ? 'Cached - Shmem' : 'Cached (shared memory included: no Shmem line)',
    details: [
      { label: 'active file', bytes: m.activeFileBytes, source: 'Active(file)' },
      { label: 'inactive file', bytes: m.inactiveFileBytes, source: 'Inactive(file)' },
      { label: 'dirty', bytes: m.dirtyBytes, source: 'Dirty' },
      { label: 'under writeback', bytes: m.writebackBytes, source: 'Writeback' },
      { label: 'mapped by processes', bytes: m.mappedBytes, source: 'Mapped (includes mapped shmem)' },
    ],
    note: 'reclaimable unless dirty, mapped and in use, or locked',
  });
  add({ id: 'buffers', label: 'Buffers (block device cache)', bytes: m.buffersBytes, source: 'Buffers' });
  add({
    id: 'swapCache', label: 'Swap cache', bytes: m.swapCachedBytes, source: 'SwapCached',
    // mm/memory.c do_swap_page(): a page read back from swap stays in the swap cache, mapped,
    // unless should_try_to_free_swap() frees its slot (swap half full, a write fault, mlock);
    // AnonPages counts it as well.
    note: 'pages both in RAM and in swap; those a process maps again are in AnonPages too, so this line can overlap it',
  });
  add({
    id: 'anon', label: 'Anonymous (process heap, stacks)', bytes: m.anonPagesBytes, source: 'AnonPages',
    details: [
      { label: 'in transparent huge pages', bytes: m.anonHugePagesBytes, source: 'AnonHugePages' },
      { label: 'mlocked (all kinds)', bytes: m.mlockedBytes, source: 'Mlocked' },
    ],
  });
  if (shmemKnown) {
    add({
      id: 'shmem', label: 'Shared memory and tmpfs', bytes: m.shmemBytes, source: 'Shmem',
      note: 'tmpfs files, SysV and POSIX shm, memfd, shared anonymous mappings, some GPU buffers',
    });
  }
  add({ id: 'slabReclaimable', label: 'Slab, reclaimable (dentries, inodes)', bytes: m.sReclaimableBytes, source: 'SReclaimable' });
  add({ id: 'slabUnreclaimable', label: 'Slab, unreclaimable', bytes: m.sUnreclaimBytes, source: 'SUnreclaim' });
  add({ id: 'kernelStack', label: 'Kernel stacks', bytes: m.kernelStackBytes, source: 'KernelStack', note: 'one per thread' });
  add({ id: 'pageTables', label: 'Page tables', bytes: m.pageTablesBytes, source: 'PageTables' });
  if (m.secPageTablesBytes !== undefined) add({ id: 'secPageTables', label: 'Secondary page tables (KVM, IOMMU)', bytes: m.secPageTablesBytes, source: 'SecPageTables' });
  add(vmallocLine(sys));
  add({ id: 'percpu', label: 'Per-CPU allocations', bytes: m.percpuBytes, source: 'Percpu' });
  add(hugetlbLine(sys));
  if (m.zswapBytes !== undefined) add({ id: 'zswap', label: 'zswap compressed pool', bytes: m.zswapBytes, source: 'Zswap', details: [{ label: 'uncompressed size held', bytes: m.zswappedBytes, source: 'Zswapped' }] });
  // A virtio balloon without DEFLATE_ON_OOM removes inflated pages from MemTotal: they are not
  // part of the total split here, so they are reported beside it, not subtracted.
  const balloonOutside = sys.hidden?.some((h) => h.balloonOutsideMemTotal) === true;
  const outside: LedgerLine[] = [];
  if (m.balloonBytes !== undefined) {
    const line: LedgerLine = { id: 'balloon', label: 'Balloon driver', bytes: m.balloonBytes, source: 'Balloon', note: 'pages the hypervisor took back from this guest' };
    if (balloonOutside) outside.push({ ...line, note: 'already removed from MemTotal (virtio_balloon without DEFLATE_ON_OOM)' });
    else add(line);
  }
  if (m.unacceptedBytes) add({ id: 'unaccepted', label: 'Not yet accepted (confidential VM)', bytes: m.unacceptedBytes, source: 'Unaccepted' });
  if (m.hardwareCorruptedBytes) add({ id: 'hwCorrupted', label: 'Hardware-corrupted (poisoned)', bytes: m.hardwareCorruptedBytes, source: 'HardwareCorrupted' });

  const known = lines.reduce((s, l) => s + (l.bytes ?? 0), 0);
  const unknownLines = lines.filter((l) => l.bytes === undefined).map((l) => l.label);
  const unexplainedBytes = m.memTotalBytes - known;
  lines.push({
    id: 'unexplained',
    label: 'Unexplained',
    bytes: unexplainedBytes,
    source: 'MemTotal - every line above',
    note: unknownLines.length ? `includes lines this kernel does not report: ${unknownLines.join(', ')}` : 'memory no kernel counter claims',
  });
  return { memTotalBytes: m.memTotalBytes, lines, unexplainedBytes, unknownLines, outside };
}

/**
 * vmalloc RAM without the kernel stacks already counted in KernelStack. With /proc/vmallocinfo
 * (root) the stacks are the areas allocated by alloc_thread_stack_node; without it, VmallocUsed
 * (pages, 5.3+; 0 on 4.4-5.2 where it was not computed) minus KernelStack when the latter fits.
 */
function vmallocLine(sys: SystemSample): LedgerLine {
  const m = sys.meminfo;
  const vi = sys.vmallocinfo;
  if (vi) {
    let stacks = 0;
    for (const [caller, t] of Object.entries(vi.byCaller)) if (/alloc_thread_stack/.test(caller)) stacks += t.ramBytes;
    return {
      id: 'vmalloc', label: 'vmalloc (modules, BPF, drivers)', bytes: Math.max(0, vi.ramBytes - stacks), source: 'vmallocinfo pages= - stacks',
      details: [{ label: 'VmallocUsed, with stacks', bytes: m.vmallocUsedBytes, source: 'VmallocUsed' }],
      note: 'thread stacks (alloc_thread_stack_node in /proc/vmallocinfo) are already in KernelStack',
    };
  }
  const used = m.vmallocUsedBytes;
  const label = 'vmalloc (modules, BPF, drivers)';
  if (used === undefined || used === 0) return { id: 'vmalloc', label, bytes: undefined, source: 'VmallocUsed', note: 'VmallocUsed is 0 (not computed on 4.4-5.2) and /proc/vmallocinfo needs root' };
  const stacks = m.kernelStackBytes;
  if (stacks === undefined) {
    return { id: 'vmalloc', label, bytes: used, source: 'VmallocUsed', note: 'no KernelStack line: thread stacks may be inside; run as root for the split from /proc/vmallocinfo' };
  }
  // Stacks larger than all of vmalloc cannot be inside it: no CONFIG_VMAP_STACK, nothing to take out.
  if (stacks > used) {
    return { id: 'vmalloc', label, bytes: used, source: 'VmallocUsed', note: 'thread stacks are not vmalloc pages here; run as root for the split from /proc/vmallocinfo' };
  }
  return {
    id: 'vmalloc', label, bytes: used - stacks, source: 'VmallocUsed - KernelStack',
    note: 'assumes CONFIG_VMAP_STACK; run as root for the exact split from /proc/vmallocinfo',
  };
}

/** Every hugetlb pool (Hugetlb:, 4.16+, all sizes) or the default pool alone on older kernels. */
function hugetlbLine(sys: SystemSample): LedgerLine {
  const m = sys.meminfo;
  const { hugePagesTotal: totalPages, hugePagesFree: freePages, hugePagesRsvd: rsvdPages, hugePageSizeBytes: size } = m;
  const times = (pages: number | undefined): number | undefined => (pages === undefined || size === undefined ? undefined : pages * size);
  const total = m.hugetlbBytes ?? times(totalPages);
  const details = totalPages
    ? [
        { label: 'in use (default size)', bytes: times(freePages === undefined ? undefined : totalPages - freePages), source: '(HugePages_Total - _Free) x size' },
        { label: 'reserved, not yet faulted', bytes: times(rsvdPages), source: 'HugePages_Rsvd x size' },
        { label: 'free and unreserved', bytes: times(freePages === undefined || rsvdPages === undefined ? undefined : freePages - rsvdPages), source: '(HugePages_Free - _Rsvd) x size' },
      ]
    : undefined;
  return { id: 'hugetlb', label: 'HugeTLB pools', bytes: total, source: m.hugetlbBytes !== undefined ? 'Hugetlb' : 'HugePages_Total x Hugepagesize', details, note: 'set aside at boot or by vm.nr_hugepages; unusable for anything else' };
}
