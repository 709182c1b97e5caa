/**
 * Every physical frame seen in a scan, numbered densely 0..frameCount-1 in order of first sight.
 *
 * PFN -> id goes through a two-level table: the PFN space is cut into chunks of 4096 frames
 * (16 MiB of RAM with 4 KiB pages) and a chunk's Int32Array(4096) is allocated only when one of
 * its frames is seen. Memory is 16 KiB per touched chunk (at most 4 bytes per PFN of RAM, i.e.
 * RAM/1024: 24 MiB for 24 GiB, usually far less) plus 20 bytes per distinct frame seen, so it
 * follows what processes map, not how big the machine is. Lookups are two array loads; a
 * one-chunk cache makes runs of nearby PFNs (the common case) one load.
 *
 * Per frame: its PFN, how many page table entries of the scanned processes map it (`mapCount`,
 * comparable to kpagecount), and which scanned process mapped it (`owner`: the process index,
 * or -1 once a second process maps it).
 */
import { HI, LO, PM_HI_EXCLUSIVE, PM_HI_PFN_MASK, PM_HI_PRESENT, PM_HI_SWAP } from './pagemap.js';

export const CHUNK_SHIFT = 12;
/** Chunks below this number (PFNs below 2^32, 16 TiB of 4 KiB frames) sit in a flat array. */
const FLAT_CHUNKS = 1 << 20;

/** Per-process counters filled by ingestPagemap (indices). */
export const C_PRESENT = 0;
export const C_EXCLUSIVE = 1;
export const C_HIDDEN = 2;
export const C_SWAP = 3;

const lo = LO;
const hi = HI;
export const CHUNK_FRAMES = 1 << CHUNK_SHIFT;
export const OWNER_SHARED = -1;

export class FrameTable {
  frameCount = 0;
  pfn = new Float64Array(1024);
  mapCount = new Uint32Array(1024);
  owner = new Int32Array(1024);
  private flat: (Int32Array | undefined)[] = [];
  private far = new Map<number, Int32Array>();
  private nChunks = 0;
  private lastChunkNo = -1;
  private lastChunk: Int32Array = new Int32Array(0);

  /**
   * Decode `entries` pagemap entries (a Uint32Array view, two halves per entry) and count each
   * present page with a visible PFN as a mapping by `procIdx`. Frame ids go to out[n..]; the
   * caller guarantees room for `entries` more. Swap slots go to `swaps`. Returns the new n.
   * This is the scan's inner loop: one function, typed arrays only, no allocation per entry.
   */
  ingestPagemap(u32: Uint32Array, entries: number, procIdx: number, out: Uint32Array, n: number, counters: Float64Array, swaps: number[]): number {
    let present = 0;
    let exclusive = 0;
    let hidden = 0;
    let mapCount = this.mapCount;
    let owner = this.owner;
    let chunkNo = this.lastChunkNo;
    let chunk = this.lastChunk;
    for (let i = 0; i < entries; i++) {
      const h = u32[2 * i + hi];
      if ((h & PM_HI_PRESENT) === 0) {
        if ((h & PM_HI_SWAP) !== 0) {
          counters[C_SWAP]++;
          swaps.push((h & PM_HI_PFN_MASK) * 0x1_0000_0000 + u32[2 * i + lo]);
        }
        continue;
      }
      present++;
      if ((h & PM_HI_EXCLUSIVE) !== 0) exclusive++;
      const pfnHi = h & PM_HI_PFN_MASK;
      const l = u32[2 * i + lo];
      if (pfnHi !== 0) {
        out[n++] = this.map(pfnHi * 0x1_0000_0000 + l, procIdx);
        continue;
      }
      if (l === 0) {
        hidden++;
        continue;
      }
      const no = l >>> CHUNK_SHIFT;
      if (no !== chunkNo) {
        chunk = this.lastChunk = this.chunk(no, true)!;
        chunkNo = this.lastChunkNo = no;
      }
      const slot = l & (CHUNK_FRAMES - 1);
      const stored = chunk[slot];
      if (stored !== 0) {
        const id = stored - 1;
        mapCount[id]++;
        if (owner[id] !== procIdx) owner[id] = OWNER_SHARED;
        out[n++] = id;
      } else {
        out[n++] = this.map(l, procIdx);
        mapCount = this.mapCount;
        owner = this.owner;
      }
    }
    counters[C_PRESENT] += present;
    counters[C_EXCLUSIVE] += exclusive;
    counters[C_HIDDEN] += hidden;
    return n;
  }

  /** Count one mapping of `pfn` by process `procIdx`; returns the frame id. */
  map(pfn: number, procIdx: number): number {
    const chunkNo = pfn < 0x1_0000_0000 ? pfn >>> CHUNK_SHIFT : Math.floor(pfn / CHUNK_FRAMES);
    let chunk = this.lastChunk;
    if (chunkNo !== this.lastChunkNo) {
      chunk = this.lastChunk = this.chunk(chunkNo, true)!;
      this.lastChunkNo = chunkNo;
    }
    const slot = pfn - chunkNo * CHUNK_FRAMES;
    const stored = chunk[slot];
    if (stored !== 0) {
      const id = stored - 1;
      this.mapCount[id]++;
      if (this.owner[id] !== procIdx) this.owner[id] = OWNER_SHARED;
      return id;
    }
    const id = this.frameCount++;
    if (id === this.pfn.length) this.grow();
    chunk[slot] = id + 1;
    this.pfn[id] = pfn;
    this.mapCount[id] = 1;
    this.owner[id] = procIdx;
    return id;
  }

  private chunk(no: number, create: boolean): Int32Array | undefined {
    let c = no < FLAT_CHUNKS ? this.flat[no] : this.far.get(no);
    if (c === undefined && create) {
      c = new Int32Array(CHUNK_FRAMES);
      if (no < FLAT_CHUNKS) {
        while (this.flat.length < no) this.flat.push(undefined);
        this.flat[no] = c;
      } else this.far.set(no, c);
      this.nChunks++;
    }
    return c;
  }

  /** Frame id of `pfn`, or -1 if no scanned process maps it. */
  idOf(pfn: number): number {
    const no = Math.floor(pfn / CHUNK_FRAMES);
    const c = this.chunk(no, false);
    return c === undefined ? -1 : c[pfn - no * CHUNK_FRAMES] - 1;
  }

  /** Frame ids in ascending PFN order (walks touched chunks in order; no sort of frames). */
  idsByPfn(): Uint32Array {
    const out = new Uint32Array(this.frameCount);
    let k = 0;
    const walk = (c: Int32Array | undefined): void => {
      if (c) for (let s = 0; s < CHUNK_FRAMES; s++) if (c[s] !== 0) out[k++] = c[s] - 1;
    };
    for (let no = 0; no < this.flat.length; no++) walk(this.flat[no]);
    for (const no of [...this.far.keys()].sort((a, b) => a - b)) walk(this.far.get(no));
    return out;
  }

  /** Bytes held by the table itself (chunks, the flat chunk index and per-frame arrays). */
  memoryBytes(): number {
    return this.nChunks * CHUNK_FRAMES * 4 + this.flat.length * 8 + this.pfn.byteLength + this.mapCount.byteLength + this.owner.byteLength;
  }

  /** Touched chunks: each stands for CHUNK_FRAMES frames of physical address space. */
  get chunkCount(): number {
    return this.nChunks;
  }

  /** Shrink per-frame arrays to frameCount (after a scan). */
  trim(): void {
    this.pfn = this.pfn.slice(0, this.frameCount);
    this.mapCount = this.mapCount.slice(0, this.frameCount);
    this.owner = this.owner.slice(0, this.frameCount);
  }

  private grow(): void {
    const n = this.pfn.length * 2;
    const pfn = new Float64Array(n);
    pfn.set(this.pfn);
    const mc = new Uint32Array(n);
    mc.set(this.mapCount);
    const ow = new Int32Array(n);
    ow.set(this.owner);
    this.pfn = pfn;
    this.mapCount = mc;
    this.owner = ow;
  }
}
