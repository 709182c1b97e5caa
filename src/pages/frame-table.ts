/**
 * Every physical frame seen in a scan, numbered densely 0..frameCount-1 in order of first sight.
 *
 * PFN -> id goes through a two-level table: the PFN space is cut into chunks of 256 frames
 * (1 MiB of RAM with 4 KiB pages) and a chunk is made only when one of its frames is seen. A
 * chunk holds 256 slots (id + 1, 0 for none) followed by a 256-bit map of the slots in use, so
 * frames can be listed in PFN order without looking at empty slots. Chunks are views into slabs
 * of 512 (528 KiB), filled in the order chunks are made, so the memory touched is the chunks in
 * use, packed, however far apart their frames are. Memory is 1,056 bytes per touched chunk (about
 * 4 bytes per PFN of RAM at most, i.e. RAM/1024: 24 MiB for 24 GiB, usually far less: processes'
 * frames come in clusters) plus 16 bytes per distinct frame seen, so it follows what processes
 * map, not how big the machine is. Lookups are two array loads; a one-chunk cache makes runs of
 * nearby PFNs one load.
 *
 * Per frame: its PFN, how many page table entries of the scanned processes map it (`mapCount`,
 * comparable to kpagecount), and which scanned process mapped it (`owner`: the process index,
 * or -1 once a second process maps it).
 */
import { HI, LO, PM_HI_EXCLUSIVE, PM_HI_PFN_MASK, PM_HI_PRESENT, PM_HI_SWAP } from './pagemap.js';

export const CHUNK_SHIFT = 8;
/** Chunks below this number (PFNs below 2^28, 1 TiB of 4 KiB frames) sit in a flat array; others in a Map. */
const FLAT_CHUNKS = 1 << 20;

/** Per-process counters filled by ingestPagemap (indices). */
export const C_PRESENT = 0;
export const C_EXCLUSIVE = 1;
export const C_HIDDEN = 2;
export const C_SWAP = 3;

const lo = LO;
const hi = HI;
export const CHUNK_FRAMES = 1 << CHUNK_SHIFT;
/** Int32 words of a chunk's slot-in-use bitmap, stored after its slots. */
const CHUNK_BITMAP_WORDS = CHUNK_FRAMES >>> 5;
const CHUNK_WORDS = CHUNK_FRAMES + CHUNK_BITMAP_WORDS;
export const OWNER_SHARED = -1;
/** Chunks carved from one allocation (528 KiB), so a new chunk is a view, not a new buffer. */
const SLAB_CHUNKS = 512;

export class FrameTable {
  frameCount = 0;
  pfn = new Float64Array(1024);
  mapCount = new Uint32Array(1024);
  owner = new Int32Array(1024);
  private flat: (Int32Array | undefined)[] = [];
  private far = new Map<number, Int32Array>();
  private nChunks = 0;
  private slab = new ArrayBuffer(0);
  private slabBytes = 0;
  private lastChunkNo = -1;
  private lastChunk: Int32Array = new Int32Array(CHUNK_WORDS);

  constructor() {
    if (!primed) {
      primed = true;
      primeDecoder();
    }
  }

  /**
   * Decode `entries` pagemap entries (an Int32Array view, two halves per entry, from entry
   * `first`) and count each present page with a visible PFN as a mapping by `procIdx`. Frame ids
   * go to out[n..]; the caller guarantees room for `entries` more. Swap slots go to `swaps`.
   * Returns the new n. This is the scan's inner loop: one function, typed arrays only, no call
   * or allocation per entry but for a frame seen for the first time.
   */
  ingestPagemap(i32: Int32Array, first: number, entries: number, procIdx: number, out: Uint32Array, n: number, counters: Float64Array, swaps: number[]): number {
    let present = 0;
    let exclusive = 0;
    let hidden = 0;
    let pfnOf = this.pfn;
    let mapCount = this.mapCount;
    let owner = this.owner;
    let frames = this.frameCount;
    let chunkNo = this.lastChunkNo;
    let chunk = this.lastChunk;
    const flat = this.flat;
    const end = 2 * (first + entries);
    for (let w = 2 * first; w < end; w += 2) {
      const h = i32[w + hi];
      // Bit 63 is the sign of the high half: not present (empty, or swapped) when clear.
      if (h >= 0) {
        if ((h & PM_HI_SWAP) !== 0) {
          counters[C_SWAP]++;
          swaps.push((h & PM_HI_PFN_MASK) * 0x1_0000_0000 + (i32[w + lo] >>> 0));
        }
        continue;
      }
      present++;
      exclusive += (h >>> 24) & 1;
      const l = i32[w + lo];
      if ((h & PM_HI_PFN_MASK) !== 0 || l < 0) {
        // PFN of 2^31 or more (8 TiB of RAM and up): the general path.
        this.frameCount = frames;
        out[n++] = this.map((h & PM_HI_PFN_MASK) * 0x1_0000_0000 + (l >>> 0), procIdx);
        frames = this.frameCount;
        pfnOf = this.pfn;
        mapCount = this.mapCount;
        owner = this.owner;
        chunkNo = this.lastChunkNo;
        chunk = this.lastChunk;
        continue;
      }
      if (l === 0) {
        hidden++;
        continue;
      }
      const no = l >>> CHUNK_SHIFT;
      if (no !== chunkNo) {
        const c = no < flat.length ? flat[no] : undefined;
        chunk = c !== undefined ? c : this.chunkFor(no);
        chunkNo = no;
      }
      const slot = l & (CHUNK_FRAMES - 1);
      const id = chunk[slot] - 1;
      if (id >= 0) {
        mapCount[id]++;
        if (owner[id] !== procIdx) owner[id] = OWNER_SHARED;
        out[n++] = id;
      } else {
        // First sight of this frame: what add() does, without the call.
        if (frames === pfnOf.length) {
          this.grow();
          pfnOf = this.pfn;
          mapCount = this.mapCount;
          owner = this.owner;
        }
        chunk[slot] = frames + 1;
        chunk[CHUNK_FRAMES + (slot >>> 5)] |= 1 << (slot & 31);
        pfnOf[frames] = l;
        mapCount[frames] = 1;
        owner[frames] = procIdx;
        out[n++] = frames++;
      }
    }
    this.frameCount = frames;
    this.lastChunkNo = chunkNo;
    this.lastChunk = chunk;
    counters[C_PRESENT] += present;
    counters[C_EXCLUSIVE] += exclusive;
    counters[C_HIDDEN] += hidden;
    return n;
  }

  /** Count one mapping of `pfn` by process `procIdx`; returns the frame id. */
  map(pfn: number, procIdx: number): number {
    const chunkNo = pfn < 0x1_0000_0000 ? pfn >>> CHUNK_SHIFT : Math.floor(pfn / CHUNK_FRAMES);
    const chunk = chunkNo === this.lastChunkNo ? this.lastChunk : this.chunkFor(chunkNo);
    const slot = pfn - chunkNo * CHUNK_FRAMES;
    const stored = chunk[slot];
    if (stored !== 0) {
      const id = stored - 1;
      this.mapCount[id]++;
      if (this.owner[id] !== procIdx) this.owner[id] = OWNER_SHARED;
      return id;
    }
    return this.add(pfn, chunk, slot, procIdx);
  }

  /**
   * Add `count` more mappings of each frame in ids[start..end) (ids already in the table, mapped
   * again by the same page table entries of another process); `shared` marks them shared.
   */
  addMappings(ids: Uint32Array, start: number, end: number, count: number, shared: boolean): void {
    const mapCount = this.mapCount;
    const owner = this.owner;
    for (let k = start; k < end; k++) {
      const id = ids[k];
      mapCount[id] += count;
      if (shared) owner[id] = OWNER_SHARED;
    }
  }

  private add(pfn: number, chunk: Int32Array, slot: number, procIdx: number): number {
    const id = this.frameCount++;
    if (id === this.pfn.length) this.grow();
    chunk[slot] = id + 1;
    chunk[CHUNK_FRAMES + (slot >>> 5)] |= 1 << (slot & 31);
    this.pfn[id] = pfn;
    this.mapCount[id] = 1;
    this.owner[id] = procIdx;
    return id;
  }

  /**
   * The chunk numbered `no`, created if new. A chunk of the flat array becomes the one-chunk
   * cache; one past it (PFNs of 2^28 and more) does not, so the cached number stays a small integer.
   */
  private chunkFor(no: number): Int32Array {
    let c = no < FLAT_CHUNKS ? this.flat[no] : this.far.get(no);
    if (c === undefined) {
      const slot = this.nChunks % SLAB_CHUNKS;
      if (slot === 0) {
        this.slab = new ArrayBuffer(SLAB_CHUNKS * CHUNK_WORDS * 4);
        this.slabBytes += this.slab.byteLength;
      }
      c = new Int32Array(this.slab, slot * CHUNK_WORDS * 4, CHUNK_WORDS);
      if (no < FLAT_CHUNKS) {
        if (this.flat.length <= no) this.flat = this.flat.concat(new Array<undefined>(Math.max(no + 1, 2 * this.flat.length) - this.flat.length).fill(undefined));
        this.flat[no] = c;
      } else this.far.set(no, c);
      this.nChunks++;
    }
    if (no < FLAT_CHUNKS) {
      this.lastChunkNo = no;
      this.lastChunk = c;
    }
    return c;
  }

  private chunkIfAny(no: number): Int32Array | undefined {
    return no < FLAT_CHUNKS ? this.flat[no] : this.far.get(no);
  }

  /** Frame id of `pfn`, or -1 if no scanned process maps it. */
  idOf(pfn: number): number {
    const no = Math.floor(pfn / CHUNK_FRAMES);
    const c = this.chunkIfAny(no);
    return c === undefined ? -1 : c[pfn - no * CHUNK_FRAMES] - 1;
  }

  /** Frame ids in ascending PFN order (walks the slot bitmaps of touched chunks; no sort). */
  idsByPfn(): Uint32Array {
    const out = new Uint32Array(this.frameCount);
    let k = 0;
    const chunks: Int32Array[] = [];
    for (let no = 0; no < this.flat.length; no++) {
      const c = this.flat[no];
      if (c !== undefined) chunks.push(c);
    }
    for (const no of [...this.far.keys()].sort((a, b) => a - b)) chunks.push(this.far.get(no)!);
    for (const c of chunks) {
      for (let w = 0; w < CHUNK_BITMAP_WORDS; w++) {
        let bits = c[CHUNK_FRAMES + w];
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits & -bits);
          bits &= bits - 1;
          out[k++] = c[(w << 5) + b] - 1;
        }
      }
    }
    return out;
  }

  /** Bytes held by the table itself (chunks, the flat chunk index and per-frame arrays). */
  memoryBytes(): number {
    return this.slabBytes + this.flat.length * 8 + this.pfn.byteLength + this.mapCount.byteLength + this.owner.byteLength;
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

let primed = false;

/**
 * Run ingestPagemap on a scratch table over entries of every kind it tells apart (new and known
 * frame, same and other process, hole, swap, hidden PFN, PFN of 2^32 and more, chunk changes),
 * enough times for V8 to queue it for optimization: it is then compiled on another thread while
 * the scan's first reads run, with type feedback for every branch, so no kind of entry seen later
 * throws the code away.
 */
function primeDecoder(): void {
  const t = new FrameTable();
  // More distinct frames than the table starts with room for, so that it grows as well.
  const entries = 2048;
  const i32 = new Int32Array(2 * entries);
  for (let k = 0; k < entries; k++) {
    let l = 0x1000 + 3 * k;
    let h = PM_HI_PRESENT | (k & 1 ? PM_HI_EXCLUSIVE : 0);
    if (k % 61 === 0) h = l = 0;
    else if (k % 127 === 0) (h = PM_HI_SWAP), (l = k << 5);
    else if (k % 251 === 0) l = 0;
    else if (k % 509 === 0) h |= 1;
    i32[2 * k + lo] = l;
    i32[2 * k + hi] = h;
  }
  const out = new Uint32Array(entries);
  const counters = new Float64Array(4);
  const swaps: number[] = [];
  // A second table takes the paths of a table's first frames (its first chunk, its first
  // growth) again, now that they record feedback.
  // Slices of 64 entries: a call per slice, as the scan calls it, and no loop long enough to be
  // compiled on its own (on-stack replacement) as well.
  for (const table of [t, new FrameTable()]) {
    for (let k = 0; k < 4; k++) {
      for (let e = 0; e < entries; e += 64) table.ingestPagemap(i32, e, 64, k & 1, out, 0, counters, swaps);
      swaps.length = 0;
    }
  }
}
