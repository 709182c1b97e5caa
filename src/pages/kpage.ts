import type { ProcFile } from '../fs/proc-root.js';
import { LO } from './pagemap.js';

/**
 * /proc/kpagecount and /proc/kpageflags: one u64 per physical frame, indexed by PFN
 * (fs/proc/page.c kpagecount_read, kpageflags_read, stable_page_flags; root only, mode 0400).
 *
 * kpagecount is the frame's mapcount: how many page table entries map it, over every process
 * of the machine: folio_precise_page_mapcount(), per page plus the folio's PMD mappings for a
 * THP (kernels built with CONFIG_NO_PAGE_MAPCOUNT report a per-page average for large folios
 * instead; this machine's config decides which). The shared zero page and PFN-mapped memory (VM_PFNMAP, [vvar]) are
 * not rmap-counted and read 0. kpageflags bits are include/uapi/linux/kernel-page-flags.h.
 */
export const KPF_DIRTY = 4;
export const KPF_MMAP = 11;
export const KPF_ANON = 12;
export const KPF_SWAPCACHE = 13;
export const KPF_SWAPBACKED = 14;
export const KPF_COMPOUND_HEAD = 15;
export const KPF_COMPOUND_TAIL = 16;
/** hugetlbfs page. */
export const KPF_HUGE = 17;
export const KPF_NOPAGE = 20;
export const KPF_KSM = 21;
/** Part of a transparent huge page (any large anon/file folio since 6.x, not only PMD-sized). */
export const KPF_THP = 22;
export const KPF_ZERO_PAGE = 24;

/** Frame counts by kind; every field counts distinct 4 KiB frames (pages, not bytes). */
export interface FrameBreakdown {
  frames: number;
  /** KPF_ANON: private anonymous memory, including KSM and copy-on-write copies. */
  anonFrames: number;
  /** Not anon and not swap-backed: page cache of regular files. */
  fileFrames: number;
  /** Not anon but KPF_SWAPBACKED: shmem, tmpfs, memfd, SysV shm, MAP_SHARED|MAP_ANONYMOUS. */
  shmemFrames: number;
  dirtyFrames: number;
  ksmFrames: number;
  /** KPF_THP (head or tail of a transparent huge page). */
  thpFrames: number;
  /** KPF_HUGE: hugetlbfs pages. */
  hugetlbFrames: number;
}

export function emptyBreakdown(): FrameBreakdown {
  return { frames: 0, anonFrames: 0, fileFrames: 0, shmemFrames: 0, dirtyFrames: 0, ksmFrames: 0, thpFrames: 0, hugetlbFrames: 0 };
}

/** Add one frame with low-32 kpageflags `f` to a breakdown. */
export function addFrame(b: FrameBreakdown, f: number): void {
  b.frames++;
  if (f & (1 << KPF_ANON)) b.anonFrames++;
  else if (f & (1 << KPF_SWAPBACKED)) b.shmemFrames++;
  else b.fileFrames++;
  if (f & (1 << KPF_DIRTY)) b.dirtyFrames++;
  if (f & (1 << KPF_KSM)) b.ksmFrames++;
  if (f & (1 << KPF_THP)) b.thpFrames++;
  if (f & (1 << KPF_HUGE)) b.hugetlbFrames++;
}

/** True for the shared zero page (4 KiB or huge): mapped everywhere, owned by no one. */
export function isZeroPage(f: number): boolean {
  return (f & (1 << KPF_ZERO_PAGE)) !== 0;
}

/** Most u64 entries one read of kpagecount/kpageflags returns (512 KiB). */
export const KPAGE_BATCH = 65536;
/**
 * Read through a gap of up to this many frames rather than issue another read. Reading a frame
 * costs the kernel about a tenth of what a read call costs (kpagecount and kpageflags look up
 * the page of every PFN asked for), so runs are cut at gaps of more than a few frames.
 */
export const KPAGE_GAP = 8;

/**
 * Read kpagecount and kpageflags for ascending PFNs, in runs of nearby frames (one positioned
 * read per run and file, never a read per frame). Calls `store(i, count, flagsLo32)` for each
 * input index i. Values past the last online frame read as zero (the kernel stops at max_pfn).
 */
export function readKpages(
  countFile: ProcFile,
  flagsFile: ProcFile,
  sortedPfns: Float64Array,
  store: (i: number, count: number, flags: number) => void,
): { reads: number } {
  const bytes = KPAGE_BATCH * 8;
  const cbuf = Buffer.from(new ArrayBuffer(bytes));
  const fbuf = Buffer.from(new ArrayBuffer(bytes));
  const c32 = new Uint32Array(cbuf.buffer);
  const f32 = new Uint32Array(fbuf.buffer);
  const lo = LO;
  let reads = 0;
  let i = 0;
  const n = sortedPfns.length;
  while (i < n) {
    const first = sortedPfns[i];
    let j = i + 1;
    while (j < n && sortedPfns[j] - sortedPfns[j - 1] <= KPAGE_GAP && sortedPfns[j] - first < KPAGE_BATCH) j++;
    const len = (sortedPfns[j - 1] - first + 1) * 8;
    const gotC = fullRead(countFile, cbuf, len, first * 8);
    const gotF = fullRead(flagsFile, fbuf, len, first * 8);
    reads += 2;
    for (let k = i; k < j; k++) {
      const off = sortedPfns[k] - first;
      const w = off * 2 + lo;
      const count = off * 8 < gotC ? c32[w] + (lo === 0 ? c32[w + 1] : c32[w - 1]) * 0x1_0000_0000 : 0;
      store(k, count, off * 8 < gotF ? f32[w] : 0);
    }
    i = j;
  }
  return { reads };
}

/**
 * readKpages for the frames of a table: `ids` in ascending PFN order, `pfnOf[id]` their PFNs.
 * Fills count[id] (kpagecount, capped at 2^32 - 1) and flags[id] (kpageflags bits 0-31).
 * Returns the number of reads.
 */
export function readKpageTable(
  countFile: ProcFile,
  flagsFile: ProcFile,
  ids: Uint32Array,
  pfnOf: Float64Array,
  count: Uint32Array,
  flags: Uint32Array,
): number {
  const bytes = KPAGE_BATCH * 8;
  const cbuf = Buffer.from(new ArrayBuffer(bytes));
  const fbuf = Buffer.from(new ArrayBuffer(bytes));
  const c32 = new Uint32Array(cbuf.buffer);
  const f32 = new Uint32Array(fbuf.buffer);
  const lo = LO;
  const hi = 1 - LO;
  let reads = 0;
  let i = 0;
  const n = ids.length;
  while (i < n) {
    const first = pfnOf[ids[i]];
    let prev = first;
    let j = i + 1;
    for (; j < n; j++) {
      const p = pfnOf[ids[j]];
      if (p - prev > KPAGE_GAP || p - first >= KPAGE_BATCH) break;
      prev = p;
    }
    const len = (prev - first + 1) * 8;
    const gotC = fullRead(countFile, cbuf, len, first * 8);
    const gotF = fullRead(flagsFile, fbuf, len, first * 8);
    reads += 2;
    for (let k = i; k < j; k++) {
      const id = ids[k];
      const off = pfnOf[id] - first;
      const w = off * 2;
      count[id] = off * 8 < gotC ? (c32[w + hi] !== 0 ? 0xffffffff : c32[w + lo]) : 0;
      flags[id] = off * 8 < gotF ? f32[w + lo] : 0;
    }
    i = j;
  }
  return reads;
}

function fullRead(file: ProcFile, buf: Buffer, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const r = file.readAt(buf, got, len - got, pos + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}
