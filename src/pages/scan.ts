import { ProcError, type ProcErrorKind } from '../fs/errors.js';
import type { ProcFile, ProcRoot } from '../fs/proc-root.js';
import { C_EXCLUSIVE, C_HIDDEN, C_PRESENT, C_SWAP, FrameTable } from './frame-table.js';
import { readKpages } from './kpage.js';
import { PAGEMAP_ENTRY_BYTES } from './pagemap.js';

/** A mapping to read: the shape of a /proc/[pid]/maps entry (procfs/pid-maps.ts MapsEntry). */
export interface AddressRange {
  startAddr: bigint;
  endAddr: bigint;
  pathname?: string;
}

export interface ScanTarget {
  pid: number;
  /** The process's mappings; called once, just before its pagemap is read. */
  ranges: () => AddressRange[];
}

/** What pagemap said about one process. Page counts are base pages (pageSizeBytes each). */
export interface ProcFrames {
  pid: number;
  /** Frame id (FrameScan.table) of every present page with a visible PFN, in address order. */
  frames: Uint32Array;
  /** Present pages, with or without a visible PFN. */
  presentPages: number;
  /** Present pages whose PFN read as 0: no CAP_SYS_ADMIN (Linux 4.2+). */
  hiddenPfnPages: number;
  /** Pagemap bit 56: pages whose mapcount is 1 (the kernel's own "only here"). */
  exclusivePages: number;
  swapPages: number;
  /** Swap slot of each swapped page: offset * 32 + type (pagemap bits 0-54), for de-duplication. */
  swapSlots: Float64Array;
  /** Set when the process could not be read (it exited, or we may not look). */
  error?: ProcErrorKind;
}

export interface ScanOptions {
  pageSizeBytes?: number;
  /** Pagemap entries per read; default 65536 (512 KiB of entries, 256 MiB of address space). */
  batchEntries?: number;
  /** Read kpagecount/kpageflags (default: when PFNs are visible). */
  kpages?: boolean;
}

export interface FrameScan {
  pageSizeBytes: number;
  procs: ProcFrames[];
  table: FrameTable;
  /** kpagecount per frame id; undefined when /proc/kpagecount was not read. */
  kpageCount?: Uint32Array;
  /** kpageflags (bits 0-31) per frame id. */
  kpageFlags?: Uint32Array;
  /** True when at least one PFN was visible (root, CAP_SYS_ADMIN). */
  pfnsVisible: boolean;
  stats: { pagemapReads: number; pagemapBytes: number; kpageReads: number; scanMs: number; kpageMs: number; tableBytes: number };
}

const SKIP = new Set(['[vsyscall]']);

/**
 * Read the pagemap of every target over the ranges of its maps, then kpagecount and kpageflags
 * of every distinct frame found. Processes that exit or refuse us are kept with `error` set and
 * no frames; any other failure propagates.
 */
export function scanFrames(root: ProcRoot, targets: ScanTarget[], opts: ScanOptions = {}): FrameScan {
  const pageSizeBytes = opts.pageSizeBytes ?? 4096;
  const batch = opts.batchEntries ?? 65536;
  const buf = Buffer.from(new ArrayBuffer(batch * PAGEMAP_ENTRY_BYTES));
  const u32 = new Uint32Array(buf.buffer);
  const table = new FrameTable();
  const stats = { pagemapReads: 0, pagemapBytes: 0, kpageReads: 0, scanMs: 0, kpageMs: 0, tableBytes: 0 };
  const t0 = performance.now();
  let scratch = new Uint32Array(65536);
  const counters = new Float64Array(4);
  const procs: ProcFrames[] = [];
  let anyPfn = false;

  for (const target of targets) {
    const procIdx = procs.length;
    const pf: ProcFrames = {
      pid: target.pid, frames: new Uint32Array(0), presentPages: 0, hiddenPfnPages: 0, exclusivePages: 0, swapPages: 0, swapSlots: new Float64Array(0),
    };
    procs.push(pf);
    let file: ProcFile | undefined;
    let n = 0;
    const swaps: number[] = [];
    counters.fill(0);
    try {
      const ranges = target.ranges();
      file = root.openProc(`${target.pid}/pagemap`);
      for (const r of ranges) {
        if (r.pathname !== undefined && SKIP.has(r.pathname)) continue;
        let vpn = Number(r.startAddr / BigInt(pageSizeBytes));
        const endVpn = Number((r.endAddr + BigInt(pageSizeBytes - 1)) / BigInt(pageSizeBytes));
        while (vpn < endVpn) {
          const want = Math.min(batch, endVpn - vpn);
          const got = file.readAt(buf, 0, want * PAGEMAP_ENTRY_BYTES, vpn * PAGEMAP_ENTRY_BYTES);
          stats.pagemapReads++;
          stats.pagemapBytes += got;
          const entries = got >>> 3;
          if (entries === 0) break;
          if (n + entries > scratch.length) {
            const bigger = new Uint32Array(Math.max(scratch.length * 2, n + entries));
            bigger.set(scratch.subarray(0, n));
            scratch = bigger;
          }
          n = table.ingestPagemap(u32, entries, procIdx, scratch, n, counters, swaps);
          vpn += entries;
        }
      }
    } catch (e) {
      if (!(e instanceof ProcError) || !(e.kind === 'vanished' || e.kind === 'denied' || e.kind === 'absent')) throw e;
      pf.error = e.kind === 'absent' ? 'vanished' : e.kind;
    } finally {
      file?.close();
    }
    pf.presentPages = counters[C_PRESENT];
    pf.exclusivePages = counters[C_EXCLUSIVE];
    pf.hiddenPfnPages = counters[C_HIDDEN];
    pf.swapPages = counters[C_SWAP];
    pf.frames = scratch.slice(0, n);
    pf.swapSlots = Float64Array.from(swaps);
    if (n > 0) anyPfn = true;
  }
  table.trim();
  stats.scanMs = performance.now() - t0;

  const scan: FrameScan = { pageSizeBytes, procs, table, pfnsVisible: anyPfn, stats };
  if (anyPfn && opts.kpages !== false) {
    try {
      readAllKpages(root, scan);
    } catch (e) {
      // No kpagecount (CONFIG_PROC_PAGE_MONITOR off) or not readable: frames stay, counts unknown.
      if (!(e instanceof ProcError) || !(e.kind === 'denied' || e.kind === 'absent')) throw e;
    }
  }
  stats.tableBytes = table.memoryBytes() + (scan.kpageCount?.byteLength ?? 0) + (scan.kpageFlags?.byteLength ?? 0);
  return scan;
}

function readAllKpages(root: ProcRoot, scan: FrameScan): void {
  const t0 = performance.now();
  const { table } = scan;
  const ids = table.idsByPfn();
  const pfns = new Float64Array(ids.length);
  for (let k = 0; k < ids.length; k++) pfns[k] = table.pfn[ids[k]];
  const count = new Uint32Array(table.frameCount);
  const flags = new Uint32Array(table.frameCount);
  const countFile = root.openProc('kpagecount');
  try {
    const flagsFile = root.openProc('kpageflags');
    try {
      const { reads } = readKpages(countFile, flagsFile, pfns, (k, c, f) => {
        count[ids[k]] = c > 0xffffffff ? 0xffffffff : c;
        flags[ids[k]] = f;
      });
      scan.stats.kpageReads = reads;
    } finally {
      flagsFile.close();
    }
  } finally {
    countFile.close();
  }
  scan.kpageCount = count;
  scan.kpageFlags = flags;
  scan.stats.kpageMs = performance.now() - t0;
}
