import { OWNER_SHARED } from './frame-table.js';
import { addFrame, emptyBreakdown, isZeroPage, KPF_ANON, type FrameBreakdown } from './kpage.js';
import type { FrameScan, ProcFrames } from './scan.js';

/**
 * Exact sharing arithmetic over one FrameScan, for any set of scanned processes.
 *
 * For a frame mapped by the set: `inSet` = page table entries of set members that map it,
 * `scanned` = entries of all scanned processes (FrameTable.mapCount), `kpc` = /proc/kpagecount,
 * the entries of every process on the machine. Then inSet < scanned: shared with a scanned
 * process outside the set; inSet == scanned < kpc: shared with a process we did not scan
 * (exited, or not readable); inSet == scanned == kpc: mapped by the set alone.
 * All figures count distinct frames (pages), never bytes; callers multiply by pageSizeBytes.
 */
export interface SetFootprint {
  /** Set members that could be read. */
  members: number;
  /** Page table entries with a visible frame, summed over members (what summed RSS counts). */
  mappedPages: number;
  /** Distinct frames mapped by the set: its physical footprint. Excludes the zero page. */
  unique: FrameBreakdown;
  /**
   * Frames no process outside the set maps: what ending the set unmaps. Its anon part is freed;
   * its file part stays in the page cache (clean, reclaimable); its shmem part stays as long as
   * the shmem object lives (a tmpfs file, a SysV segment, a memfd someone still holds).
   * Undefined without kpagecount.
   */
  only?: FrameBreakdown;
  /** Distinct frames also mapped by scanned processes outside the set. */
  sharedScannedFrames: number;
  /** Distinct frames mapped only by the set among scanned processes, but by others too (kpagecount says so). */
  sharedUnscannedFrames?: number;
  /** Entries pointing at the shared zero page (KPF_ZERO_PAGE): read-only, owned by no one, cost nothing. */
  zeroPageMappings: number;
  /** Distinct frames with kpagecount 0 that are not the zero page: PFN maps such as [vvar], not rmap-counted. */
  unaccountedFrames: number;
  /** Swapped-out pages, summed over members, and distinct swap slots among them. */
  swapPages: number;
  uniqueSwapSlots: number;
  /** Pagemap bit 56 summed over members: pages whose mapcount is 1. */
  exclusivePages: number;
}

/** One member of a measured set, split three ways: shared inside the set, shared outside, private. */
export interface MemberSplit {
  procIdx: number;
  mappedPages: number;
  distinctFrames: number;
  /** Frames another member of the set maps too (for a fork family: parent and siblings). */
  sharedInSetFrames: number;
  /** Frames no other member maps, but a process outside the set does. */
  sharedOutsideFrames: number;
  /** Frames every mapping of which is this process's: the exact USS. Undefined without kpagecount. */
  privateFrames?: number;
  privateAnonFrames?: number;
  /** PFNs of the private frames, when asked for (to tell new copies from old frames). */
  privatePfns?: Float64Array;
}

export interface SharedWith {
  procIdx: number;
  /** Distinct frames of the set this outside process maps. */
  frames: number;
}

/** Scratch space sized to the scan's frames, reused across many sets. */
export class FrameSets {
  private stamp: Uint32Array;
  private seen: Uint32Array;
  private inSet: Uint32Array;
  private setOwner: Int32Array;
  private distinct: Uint32Array;
  private distinctCount = 0;
  private gen = 0;
  private tick = 0;
  private lastMembers: number[] = [];

  constructor(readonly scan: FrameScan) {
    const m = scan.table.frameCount;
    this.stamp = new Uint32Array(m);
    this.seen = new Uint32Array(m);
    this.inSet = new Uint32Array(m);
    this.setOwner = new Int32Array(m);
    this.distinct = new Uint32Array(m);
  }

  /** A fresh mark for `seen` (marks are 32-bit: all are cleared when they run out). */
  private nextTick(): number {
    if (this.tick === 0xffffffff) {
      this.tick = 0;
      this.seen.fill(0);
    }
    return ++this.tick;
  }

  /** Footprint of the processes at these indices of scan.procs. */
  measure(members: number[]): SetFootprint {
    const { procs, table } = this.scan;
    const kpc = this.scan.kpageCount;
    const flags = this.scan.kpageFlags;
    if (this.gen === 0xffffffff) {
      this.gen = 0;
      this.stamp.fill(0);
    }
    const g = ++this.gen;
    this.lastMembers = members;
    let nd = 0;
    const out: SetFootprint = {
      members: 0, mappedPages: 0, unique: emptyBreakdown(), sharedScannedFrames: 0, zeroPageMappings: 0, unaccountedFrames: 0,
      swapPages: 0, uniqueSwapSlots: 0, exclusivePages: 0,
    };
    const swaps: number[] = [];
    for (const m of members) {
      const p = procs[m];
      if (p.error) continue;
      out.members++;
      out.mappedPages += mappedOf(p);
      out.swapPages += p.swapPages;
      out.exclusivePages += p.exclusivePages;
      for (const s of p.swapSlots) swaps.push(s);
      for (const fr of partsOf(p)) {
        for (let i = 0; i < fr.length; i++) {
          const id = fr[i];
          if (this.stamp[id] !== g) {
            this.stamp[id] = g;
            this.inSet[id] = 1;
            this.setOwner[id] = m;
            this.distinct[nd++] = id;
          } else {
            this.inSet[id]++;
            if (this.setOwner[id] !== m) this.setOwner[id] = OWNER_SHARED;
          }
        }
      }
    }
    this.distinctCount = nd;
    if (kpc) {
      out.only = emptyBreakdown();
      out.sharedUnscannedFrames = 0;
    }
    for (let k = 0; k < nd; k++) {
      const id = this.distinct[k];
      const f = flags ? flags[id] : 0;
      if (kpc && kpc[id] === 0) {
        if (isZeroPage(f)) out.zeroPageMappings += this.inSet[id];
        else out.unaccountedFrames++;
        continue;
      }
      addFrame(out.unique, f);
      const scanned = table.mapCount[id];
      if (this.inSet[id] < scanned) out.sharedScannedFrames++;
      else if (kpc && kpc[id] > scanned) out.sharedUnscannedFrames!++;
      else if (out.only) addFrame(out.only, f);
    }
    swaps.sort((a, b) => a - b);
    for (let i = 0; i < swaps.length; i++) if (i === 0 || swaps[i] !== swaps[i - 1]) out.uniqueSwapSlots++;
    return out;
  }

  /** Split each member of the set last passed to measure(). */
  splitMembers(withPfns = false): MemberSplit[] {
    const { procs, table } = this.scan;
    const kpc = this.scan.kpageCount;
    const flags = this.scan.kpageFlags;
    const g = this.gen;
    const out: MemberSplit[] = [];
    for (const m of this.lastMembers) {
      const p = procs[m];
      const t = this.nextTick();
      const s: MemberSplit = { procIdx: m, mappedPages: mappedOf(p), distinctFrames: 0, sharedInSetFrames: 0, sharedOutsideFrames: 0 };
      if (kpc) s.privateFrames = s.privateAnonFrames = 0;
      const pfns: number[] = [];
      for (const fr of partsOf(p)) for (let i = 0; i < fr.length; i++) {
        const id = fr[i];
        if (this.seen[id] === t || this.stamp[id] !== g) continue;
        this.seen[id] = t;
        if (kpc && kpc[id] === 0) continue;
        s.distinctFrames++;
        if (this.setOwner[id] === OWNER_SHARED) s.sharedInSetFrames++;
        else if (this.inSet[id] < table.mapCount[id] || (kpc && kpc[id] > table.mapCount[id])) s.sharedOutsideFrames++;
        else if (kpc) {
          s.privateFrames!++;
          if (flags && flags[id] & (1 << KPF_ANON)) s.privateAnonFrames!++;
          if (withPfns) pfns.push(table.pfn[id]);
        }
      }
      if (withPfns) s.privatePfns = Float64Array.from(pfns);
      out.push(s);
    }
    return out;
  }

  /**
   * Each scanned process as a set of its own: element i is what measure([i]) then
   * splitMembers(withPfns)[0] give, in one pass over each process's frames (a frame is this
   * process's alone among those scanned when the table's owner says so). Leaves the last measured
   * set as it was. A process that could not be read gets no frames.
   */
  splitEach(withPfns = false): MemberSplit[] {
    const { procs, table } = this.scan;
    const kpc = this.scan.kpageCount;
    const flags = this.scan.kpageFlags;
    const mapCount = table.mapCount;
    const owner = table.owner;
    const anon = 1 << KPF_ANON;
    const seen = this.seen;
    const out: MemberSplit[] = [];
    for (let m = 0; m < procs.length; m++) {
      const p = procs[m];
      const t = this.nextTick();
      let distinct = 0;
      let shared = 0;
      let priv = 0;
      let privAnon = 0;
      const pfns: number[] = [];
      if (!p.error) {
        for (const fr of partsOf(p)) for (let i = 0; i < fr.length; i++) {
          const id = fr[i];
          if (seen[id] === t) continue;
          seen[id] = t;
          if (kpc !== undefined) {
            const c = kpc[id];
            if (c === 0) continue;
            distinct++;
            if (owner[id] !== m || c > mapCount[id]) shared++;
            else {
              priv++;
              if (flags !== undefined && (flags[id] & anon) !== 0) privAnon++;
              if (withPfns) pfns.push(table.pfn[id]);
            }
          } else {
            distinct++;
            if (owner[id] !== m) shared++;
          }
        }
      }
      const s: MemberSplit = { procIdx: m, mappedPages: mappedOf(p), distinctFrames: distinct, sharedInSetFrames: 0, sharedOutsideFrames: shared };
      if (kpc) {
        s.privateFrames = priv;
        s.privateAnonFrames = privAnon;
      }
      if (withPfns) s.privatePfns = Float64Array.from(pfns);
      out.push(s);
    }
    return out;
  }

  /** Outside processes that map frames of the set last measured, most frames first. */
  sharedWith(): SharedWith[] {
    const { procs } = this.scan;
    const kpc = this.scan.kpageCount;
    const g = this.gen;
    const members = new Set(this.lastMembers);
    const out: SharedWith[] = [];
    for (let m = 0; m < procs.length; m++) {
      if (members.has(m)) continue;
      const t = this.nextTick();
      let n = 0;
      for (const fr of partsOf(procs[m])) for (let i = 0; i < fr.length; i++) {
        const id = fr[i];
        if (this.stamp[id] === g && this.seen[id] !== t && !(kpc && kpc[id] === 0)) {
          this.seen[id] = t;
          n++;
        }
      }
      if (n > 0) out.push({ procIdx: m, frames: n });
    }
    return out.sort((a, b) => b.frames - a.frames);
  }

  /** Distinct frames of the last measured set (ids into scan.table), valid until the next measure(). */
  lastDistinct(): Uint32Array {
    return this.distinct.subarray(0, this.distinctCount);
  }
}

/** A process's frame ids as consecutive parts (one part when the scan gave no parts). */
function partsOf(p: ProcFrames): Uint32Array[] {
  return p.frameParts ?? [p.frames];
}

function mappedOf(p: ProcFrames): number {
  return p.mappedPages ?? p.frames.length;
}
