import { ProcError, type ProcErrorKind } from '../fs/errors.js';
import type { ProcFile, ProcRoot } from '../fs/proc-root.js';
import { C_EXCLUSIVE, C_HIDDEN, C_PRESENT, C_SWAP, FrameTable } from './frame-table.js';
import { readKpageTable } from './kpage.js';
import { HI, PAGEMAP_ENTRY_BYTES, PM_HI_SOFT_DIRTY } from './pagemap.js';
import { MapsRangeReader } from './ranges.js';

/** A mapping to read: the shape of a /proc/[pid]/maps entry (procfs/pid-maps.ts MapsEntry). */
export interface AddressRange {
  startAddr: bigint;
  endAddr: bigint;
  pathname?: string;
}

export interface ScanTarget {
  pid: number;
  /**
   * The process's mappings; called once, just before its pagemap is read. Without it the scan
   * reads the ranges of /proc/PID/maps itself (pages/ranges.ts), without parsing whole entries.
   */
  ranges?: () => AddressRange[];
}

/** What pagemap said about one process. Page counts are base pages (pageSizeBytes each). */
export interface ProcFrames {
  pid: number;
  /** Frame id (FrameScan.table) of every present page with a visible PFN, in address order. */
  frames: Uint32Array;
  /**
   * `frames` as consecutive parts (views into the scan's id stores: a run another process mapped
   * identically is a view of that process's ids, not a copy). Read frames through these where
   * possible: `frames` itself is put together on first use.
   */
  frameParts?: Uint32Array[];
  /** frames.length: present pages with a visible PFN. */
  mappedPages?: number;
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
  /**
   * Longest run of pagemap entries kept for reuse (a power of two; default 512, 2 MiB of address
   * space with 4 KiB pages; 0: off). Reads are cut into runs at multiples of it. A run identical,
   * byte for byte, to the run another process had at the same address (fork children, pre-forked
   * workers) maps the same frames: its frame ids are shared with that process (ProcFrames.frameParts)
   * rather than decoded again, and a run that is all holes is skipped.
   */
  reuseBlockEntries?: number;
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
  stats: {
    pagemapReads: number;
    pagemapBytes: number;
    /** Pagemap entries found identical to a block already decoded (not decoded again). */
    reusedEntries: number;
    /** Pagemap entries in whole blocks with no page at all (not decoded one by one). */
    emptyEntries: number;
    kpageReads: number;
    scanMs: number;
    kpageMs: number;
    tableBytes: number;
  };
}

/** Read through a gap of up to this many unmapped pages between two mappings rather than issue another read. */
export const PAGEMAP_GAP = 32;
/** Cap on the bytes kept to recognise repeated blocks during one scan. */
const REUSE_MAX_BYTES = 32 * 1024 * 1024;
/** Runs shorter than this are decoded without looking for them among kept runs. */
const MIN_RUN = 32;
const SLAB_SHIFT = 8;
const SLAB_SLOTS = 1 << SLAB_SHIFT;
/** Frame ids per segment of the per-process frame lists (16 MiB). */
const SEGMENT_IDS = 1 << 22;

const SKIP = '[vsyscall]';

/** ProcFrames whose `frames` is joined from its parts when first asked for. */
class ScannedProc implements ProcFrames {
  presentPages = 0;
  hiddenPfnPages = 0;
  exclusivePages = 0;
  swapPages = 0;
  swapSlots = new Float64Array(0);
  error?: ProcErrorKind;
  frameParts: Uint32Array[] = [];
  mappedPages = 0;
  private joined: Uint32Array | undefined;
  constructor(readonly pid: number) {}
  get frames(): Uint32Array {
    if (this.joined === undefined) {
      const parts = this.frameParts;
      if (parts.length === 1) this.joined = parts[0];
      else {
        const all = new Uint32Array(this.mappedPages);
        let n = 0;
        for (const part of parts) {
          all.set(part, n);
          n += part.length;
        }
        this.joined = all;
      }
    }
    return this.joined;
  }
  set frames(ids: Uint32Array) {
    this.joined = ids;
    this.frameParts = [ids];
    this.mappedPages = ids.length;
  }
}

/** A decoded run of pagemap entries, kept to recognise the same run in another process. */
interface Run {
  /** Where its raw entries and frame ids are kept (RunStore). */
  slot: number;
  entries: number;
  frames: number;
  present: number;
  exclusive: number;
  hidden: number;
  procIdx: number;
  /** Times another read found it again; their mappings are added to the table at the end. */
  again: number;
  shared: boolean;
}

/** Raw entries and frame ids of kept runs, in slots of one block each, a slab of slots at a time. */
class RunStore {
  raw: Buffer[] = [];
  ids: Uint32Array[] = [];
  slots = 0;
  constructor(
    readonly block: number,
    readonly maxSlots: number,
  ) {}
  /** A new slot, or -1 when the store is full. */
  take(): number {
    if (this.slots === this.maxSlots) return -1;
    if ((this.slots & (SLAB_SLOTS - 1)) === 0) {
      this.raw.push(Buffer.alloc(SLAB_SLOTS * this.block * PAGEMAP_ENTRY_BYTES));
      this.ids.push(new Uint32Array(SLAB_SLOTS * this.block));
    }
    return this.slots++;
  }
}

/**
 * Frame ids of all processes, one after another, in segments of at least SEGMENT_IDS: a process
 * that outgrows its segment moves, with what it has so far, to a new one, so growing copies
 * only that process's ids and every process's frames stay one contiguous view.
 */
class FrameIds {
  ids = new Uint32Array(SEGMENT_IDS);
  n = 0;
  /** Where the current process's ids start in `ids`. */
  start = 0;
  /** Make room for `more` ids of the current process. */
  room(more: number): void {
    if (this.n + more <= this.ids.length) return;
    const mine = this.n - this.start;
    const seg = new Uint32Array(Math.max(SEGMENT_IDS, 2 * (mine + more)));
    seg.set(this.ids.subarray(this.start, this.n));
    this.ids = seg;
    this.start = 0;
    this.n = mine;
  }
  /** Start the next process. */
  next(): void {
    this.start = this.n;
  }
  /** The current process's ids. */
  current(): Uint32Array {
    return this.ids.subarray(this.start, this.n);
  }
}

/**
 * Read the pagemap of every target over the ranges of its maps, then kpagecount and kpageflags
 * of every distinct frame found. Processes that exit or refuse us are kept with `error` set and
 * no frames; any other failure propagates.
 */
export function scanFrames(root: ProcRoot, targets: ScanTarget[], opts: ScanOptions = {}): FrameScan {
  const pageSizeBytes = opts.pageSizeBytes ?? 4096;
  const batch = Math.max(1, opts.batchEntries ?? 65536);
  const block = opts.reuseBlockEntries ?? 512;
  if (block !== 0 && !(block >= 1 && Number.isInteger(Math.log2(block)))) throw new RangeError(`reuseBlockEntries ${block} is not a power of two`);
  const blockBytes = block * PAGEMAP_ENTRY_BYTES;
  const minRun = block === 0 ? Infinity : Math.min(MIN_RUN, block);
  // The two ways pagemap says "no page": 0, or only the soft-dirty bit (a VM_SOFTDIRTY mapping).
  const holes = Buffer.alloc(blockBytes);
  const softDirtyHoles = Buffer.alloc(blockBytes);
  const sd32 = new Int32Array(softDirtyHoles.buffer, softDirtyHoles.byteOffset, 2 * block);
  for (let k = 0; k < block; k++) sd32[2 * k + HI] = PM_HI_SOFT_DIRTY;
  const buf = Buffer.from(new ArrayBuffer(batch * PAGEMAP_ENTRY_BYTES));
  const i32 = new Int32Array(buf.buffer);
  const table = new FrameTable();
  const stats = { pagemapReads: 0, pagemapBytes: 0, reusedEntries: 0, emptyEntries: 0, kpageReads: 0, scanMs: 0, kpageMs: 0, tableBytes: 0 };
  const t0 = performance.now();
  const store = new FrameIds();
  const counters = new Float64Array(4);
  const procs: ProcFrames[] = [];
  /** Kept runs by first virtual page. */
  const runs = new Map<number, Run>();
  const kept = new RunStore(Math.max(block, 1), block === 0 ? 0 : Math.floor(REUSE_MAX_BYTES / (block * (PAGEMAP_ENTRY_BYTES + 4))));
  const maps = new MapsRangeReader(root);
  let given = new Float64Array(256);
  const swaps: number[] = [];

  /**
   * The current process's frame ids as parts, three numbers each: where (-1: its own ids in
   * `store`, from store.start; else a slab of `kept`), start, end.
   */
  const parts: number[] = [];
  const addPart = (src: number, start: number, end: number): void => {
    const np = parts.length;
    if (np !== 0 && parts[np - 3] === src && parts[np - 1] === start) parts[np - 1] = end;
    else parts.push(src, start, end);
  };

  /** Decode entries [first, first + count) of the read buffer for process procIdx. */
  const decode = (first: number, count: number, procIdx: number): void => {
    const n0 = store.n;
    store.n = table.ingestPagemap(i32, first | 0, count | 0, procIdx, store.ids, n0, counters, swaps);
    if (store.n !== n0) addPart(-1, n0 - store.start, store.n - store.start);
  };

  /**
   * Entries [first, first + count) of the read buffer, virtual pages from `vpn`: skipped if they
   * hold no page, copied from a kept run if identical to it, else decoded (and kept).
   */
  const decodeRun = (first: number, count: number, vpn: number, procIdx: number): void => {
    if (count < minRun) {
      decode(first, count, procIdx);
      return;
    }
    const at = first * PAGEMAP_ENTRY_BYTES;
    const end = at + count * PAGEMAP_ENTRY_BYTES;
    // Nothing mapped here (a reservation, a hole not yet touched): nothing to count.
    if (i32[2 * first + HI] >= 0 && (buf.compare(holes, 0, end - at, at, end) === 0 || buf.compare(softDirtyHoles, 0, end - at, at, end) === 0)) {
      stats.emptyEntries += count;
      return;
    }
    const known = runs.get(vpn);
    if (known !== undefined && known.entries === count) {
      const slab = known.slot >>> SLAB_SHIFT;
      const off = (known.slot & (SLAB_SLOTS - 1)) * block;
      const rawOff = off * PAGEMAP_ENTRY_BYTES;
      if (buf.compare(kept.raw[slab], rawOff, rawOff + (end - at), at, end) === 0) {
        addPart(slab, off, off + known.frames);
        counters[C_PRESENT] += known.present;
        counters[C_EXCLUSIVE] += known.exclusive;
        counters[C_HIDDEN] += known.hidden;
        known.again++;
        if (known.procIdx !== procIdx) known.shared = true;
        stats.reusedEntries += count;
        return;
      }
    }
    const n0 = store.n;
    const present0 = counters[C_PRESENT];
    const exclusive0 = counters[C_EXCLUSIVE];
    const hidden0 = counters[C_HIDDEN];
    const swap0 = counters[C_SWAP];
    decode(first, count, procIdx);
    const frames = store.n - n0;
    // Worth keeping: a run with many frames and no swap entry (whose slots are per process).
    if (frames < count >>> 4 || frames === 0 || counters[C_SWAP] !== swap0) return;
    // A kept run is never overwritten: processes already read may hold parts of its ids.
    if (known !== undefined) settle(known);
    const slot = kept.take();
    if (slot < 0) return;
    const run: Run = { slot, entries: 0, frames: 0, present: 0, exclusive: 0, hidden: 0, procIdx, again: 0, shared: false };
    runs.set(vpn, run);
    run.entries = count;
    run.frames = frames;
    run.present = counters[C_PRESENT] - present0;
    run.exclusive = counters[C_EXCLUSIVE] - exclusive0;
    run.hidden = counters[C_HIDDEN] - hidden0;
    run.procIdx = procIdx;
    run.shared = false;
    const slab = run.slot >>> SLAB_SHIFT;
    const off = (run.slot & (SLAB_SLOTS - 1)) * block;
    buf.copy(kept.raw[slab], off * PAGEMAP_ENTRY_BYTES, at, end);
    kept.ids[slab].set(store.ids.subarray(n0, store.n), off);
  };

  const settle = (r: Run): void => {
    if (r.again > 0) {
      const slab = r.slot >>> SLAB_SHIFT;
      const off = (r.slot & (SLAB_SLOTS - 1)) * block;
      table.addMappings(kept.ids[slab], off, off + r.frames, r.again, r.shared);
    }
    r.again = 0;
  };

  /** Read pagemap for virtual pages [vpn, endVpn). */
  const readRange = (file: ProcFile, vpn: number, endVpn: number, procIdx: number): void => {
    while (vpn < endVpn) {
      let want = Math.min(batch, endVpn - vpn);
      // A read that stops short of the range ends on a block boundary, so no block is cut in two.
      if (block !== 0 && want === batch && want > block) want -= (vpn + want) % block;
      const got = file.readAt(buf, 0, want * PAGEMAP_ENTRY_BYTES, vpn * PAGEMAP_ENTRY_BYTES);
      stats.pagemapReads++;
      stats.pagemapBytes += got;
      const entries = got >>> 3;
      if (entries === 0) return;
      store.room(entries);
      if (block !== 0 && entries > block) {
        const head = (block - (vpn % block)) % block;
        decodeRun(0, head, vpn, procIdx);
        let e = head;
        for (; e + block <= entries; e += block) decodeRun(e, block, vpn + e, procIdx);
        decodeRun(e, entries - e, vpn + e, procIdx);
      } else decodeRun(0, entries, vpn, procIdx);
      vpn += entries;
    }
  };

  for (const target of targets) {
    const procIdx = procs.length;
    const pf = new ScannedProc(target.pid);
    procs.push(pf);
    store.next();
    parts.length = 0;
    let file: ProcFile | undefined;
    swaps.length = 0;
    counters.fill(0);
    try {
      let vpns: Float64Array;
      let count: number;
      if (target.ranges === undefined) ({ vpns, count } = maps.read(target.pid, pageSizeBytes));
      else {
        const ranges = target.ranges();
        if (given.length < 2 * ranges.length) given = new Float64Array(2 * ranges.length);
        const page = BigInt(pageSizeBytes);
        count = 0;
        for (const r of ranges) {
          if (r.pathname === SKIP) continue;
          given[2 * count] = Number(r.startAddr / page);
          given[2 * count + 1] = Number((r.endAddr + page - 1n) / page);
          count++;
        }
        vpns = given;
      }
      file = root.openProc(`${target.pid}/pagemap`);
      // Mappings that touch, or nearly, are read together.
      let k = 0;
      while (k < count) {
        const start = vpns[2 * k];
        let end = vpns[2 * k + 1];
        k++;
        while (k < count && vpns[2 * k] >= end && vpns[2 * k] - end <= PAGEMAP_GAP) {
          end = Math.max(end, vpns[2 * k + 1]);
          k++;
        }
        readRange(file, start, end, procIdx);
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
    pf.swapSlots = Float64Array.from(swaps);
    const own = store.current();
    let mapped = 0;
    for (let k = 0; k < parts.length; k += 3) {
      const src = parts[k];
      const part = (src < 0 ? own : kept.ids[src]).subarray(parts[k + 1], parts[k + 2]);
      pf.frameParts.push(part);
      mapped += part.length;
    }
    pf.mappedPages = mapped;
  }
  for (const r of runs.values()) settle(r);
  runs.clear();
  const anyPfn = table.frameCount > 0;
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
  const count = new Uint32Array(table.frameCount);
  const flags = new Uint32Array(table.frameCount);
  const countFile = root.openProc('kpagecount');
  try {
    const flagsFile = root.openProc('kpageflags');
    try {
      scan.stats.kpageReads = readKpageTable(countFile, flagsFile, ids, table.pfn, count, flags);
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
