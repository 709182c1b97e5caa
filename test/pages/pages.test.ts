import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { readPidMaps } from '../../src/procfs/pid-maps.js';
import { ParseError } from '../../src/fs/errors.js';
import { parsePidMaps } from '../../src/procfs/pid-maps.js';
import { FrameSets, KPF_ANON, KPF_SWAPBACKED, KPF_ZERO_PAGE, MapsRangeReader, decodePagemapEntry, scanFrames, splitU64 } from '../../src/pages/index.js';

/**
 * src/pages against a model: fake /proc trees hold binary pagemap, kpagecount and kpageflags
 * files laid out as the kernel lays them out (u64 per page at offset index * 8), and the
 * results of scanFrames + FrameSets are compared with a direct count over the model.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-pages-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PRESENT = 1n << 63n;
const SWAP = 1n << 62n;
const FILE = 1n << 61n;
const EXCLUSIVE = 1n << 56n;
const SOFT_DIRTY = 1n << 55n;
const BASE_VPN = 0x10000; // mappings start at 0x10000000

describe('decodePagemapEntry', () => {
  it('reads the bits of Documentation/admin-guide/mm/pagemap.rst', () => {
    const { lo, hi } = splitU64(PRESENT | EXCLUSIVE | 0x1234n);
    expect(decodePagemapEntry(lo, hi)).toMatchObject({ present: true, exclusive: true, file: false, swapped: false, pfn: 0x1234 });
    const big = splitU64(PRESENT | FILE | ((1n << 54n) | 5n));
    expect(decodePagemapEntry(big.lo, big.hi)).toMatchObject({ present: true, file: true, pfn: 2 ** 54 + 5 });
    const sw = splitU64(SWAP | (777n << 5n) | 3n);
    expect(decodePagemapEntry(sw.lo, sw.hi)).toMatchObject({ present: false, swapped: true, swapType: 3, swapOffset: 777 });
    expect(decodePagemapEntry(0, 0)).toMatchObject({ present: false, swapped: false });
  });
});

interface Model {
  /** Per process: one PFN per page (0 = not present), in address order. */
  procs: number[][];
  /** Mappings by processes outside the model, per PFN. */
  extra: Map<number, number>;
  kind: Map<number, 'anon' | 'file' | 'shmem' | 'zero'>;
}

let treeNo = 0;
/** Write a fake /proc for the model; each process has one mapping covering its pages. */
function writeTree(m: Model, hidePfns = false, softDirtyHoles = false): ProcRoot {
  const dir = path.join(tmp, `t${treeNo++}`);
  fs.mkdirSync(dir);
  const maxPfn = Math.max(1, ...m.procs.flat(), ...m.extra.keys());
  const count = Buffer.alloc((maxPfn + 1) * 8);
  const flags = Buffer.alloc((maxPfn + 1) * 8);
  m.procs.forEach((pages, i) => {
    const pid = 100 + i;
    fs.mkdirSync(path.join(dir, String(pid)));
    const start = BASE_VPN * 4096;
    const end = start + Math.max(1, pages.length) * 4096;
    fs.writeFileSync(path.join(dir, `${pid}/maps`), `${start.toString(16)}-${end.toString(16)} rw-p 00000000 00:00 0 \n`);
    const pm = Buffer.alloc((BASE_VPN + Math.max(1, pages.length)) * 8);
    pages.forEach((pfn, k) => {
      if (pfn === 0) {
        if (softDirtyHoles) pm.writeBigUInt64LE(SOFT_DIRTY, (BASE_VPN + k) * 8);
        return;
      }
      pm.writeBigUInt64LE(PRESENT | (hidePfns ? 0n : BigInt(pfn)), (BASE_VPN + k) * 8);
      if (m.kind.get(pfn) !== 'zero') count.writeBigUInt64LE(count.readBigUInt64LE(pfn * 8) + 1n, pfn * 8);
    });
    fs.writeFileSync(path.join(dir, `${pid}/pagemap`), pm);
  });
  for (const [pfn, n] of m.extra) count.writeBigUInt64LE(count.readBigUInt64LE(pfn * 8) + BigInt(n), pfn * 8);
  for (const [pfn, k] of m.kind) {
    const f = k === 'anon' ? 1 << KPF_ANON : k === 'shmem' ? 1 << KPF_SWAPBACKED : k === 'zero' ? 1 << KPF_ZERO_PAGE : 0;
    flags.writeBigUInt64LE(BigInt(f), pfn * 8);
  }
  fs.writeFileSync(path.join(dir, 'kpagecount'), count);
  fs.writeFileSync(path.join(dir, 'kpageflags'), flags);
  return new ProcRoot({ procDir: dir });
}

function scanModel(root: ProcRoot, m: Model, batchEntries?: number, reuseBlockEntries?: number, ownMaps = false) {
  const targets = m.procs.map((_, i) => (ownMaps ? { pid: 100 + i } : { pid: 100 + i, ranges: () => readPidMaps(root, 100 + i) }));
  return scanFrames(root, targets, { batchEntries, reuseBlockEntries });
}

/** The same figures, counted directly from the model. */
function reference(m: Model, members: number[]) {
  const inSet = new Map<number, number>();
  const all = new Map<number, number>();
  const mappers = new Map<number, Set<number>>();
  m.procs.forEach((pages, i) => {
    for (const pfn of pages) {
      if (pfn === 0 || m.kind.get(pfn) === 'zero') continue;
      all.set(pfn, (all.get(pfn) ?? 0) + 1);
      if (!mappers.has(pfn)) mappers.set(pfn, new Set());
      mappers.get(pfn)!.add(i);
      if (members.includes(i)) inSet.set(pfn, (inSet.get(pfn) ?? 0) + 1);
    }
  });
  const kpc = (pfn: number) => all.get(pfn)! + (m.extra.get(pfn) ?? 0);
  let only = 0;
  let onlyAnon = 0;
  let sharedScanned = 0;
  let sharedUnscanned = 0;
  for (const [pfn, n] of inSet) {
    if (n < all.get(pfn)!) sharedScanned++;
    else if (kpc(pfn) > n) sharedUnscanned++;
    else {
      only++;
      if (m.kind.get(pfn) === 'anon') onlyAnon++;
    }
  }
  const perMember = members.map((i) => {
    const mine = new Set(m.procs[i].filter((p) => p !== 0 && m.kind.get(p) !== 'zero'));
    let priv = 0;
    let inSetShared = 0;
    for (const pfn of mine) {
      if ([...mappers.get(pfn)!].some((j) => j !== i && members.includes(j))) inSetShared++;
      else if ([...mappers.get(pfn)!].length === 1 && kpc(pfn) === m.procs[i].filter((p) => p === pfn).length) priv++;
    }
    return { distinct: mine.size, priv, inSetShared };
  });
  return { unique: inSet.size, only, onlyAnon, sharedScanned, sharedUnscanned, perMember };
}

const modelArb = fc
  .record({
    procs: fc.array(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 9000, max: 9010 })), { maxLength: 60 }), { minLength: 1, maxLength: 6 }),
    extraPfns: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }),
    kinds: fc.array(fc.constantFrom('anon', 'file', 'shmem', 'zero'), { minLength: 41, maxLength: 41 }),
  })
  .map(({ procs, extraPfns, kinds }) => {
    const kind = new Map<number, 'anon' | 'file' | 'shmem' | 'zero'>();
    for (const p of procs.flat()) if (p !== 0) kind.set(p, p >= 9000 ? 'anon' : (kinds[p] as 'anon'));
    const extra = new Map<number, number>();
    for (const p of extraPfns) if (kind.has(p) && kind.get(p) !== 'zero') extra.set(p, (extra.get(p) ?? 0) + 1);
    return { procs, extra, kind } as Model;
  });

/** Processes that are copies of the first with a few pages changed: forked children, whose runs of entries repeat. */
const forkedArb = fc
  .record({
    base: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 60 }),
    changes: fc.array(fc.array(fc.tuple(fc.nat(59), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }))), { maxLength: 3 }), { minLength: 1, maxLength: 5 }),
    kinds: fc.array(fc.constantFrom('anon', 'file', 'shmem', 'zero'), { minLength: 41, maxLength: 41 }),
    extraPfns: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 4 }),
  })
  .map(({ base, changes, kinds, extraPfns }) => {
    const procs = [base, ...changes.map((ch) => {
      const p = [...base];
      for (const [at, pfn] of ch) if (at < p.length) p[at] = pfn;
      return p;
    })];
    const kind = new Map<number, 'anon' | 'file' | 'shmem' | 'zero'>();
    for (const p of procs.flat()) if (p !== 0) kind.set(p, kinds[p] as 'anon');
    const extra = new Map<number, number>();
    for (const p of extraPfns) if (kind.has(p) && kind.get(p) !== 'zero') extra.set(p, (extra.get(p) ?? 0) + 1);
    return { procs, extra, kind } as Model;
  });

/** Check a scan's figures for a set against the direct count, and splitEach against measure + splitMembers. */
function checkAgainstReference(scan: ReturnType<typeof scanFrames>, m: Model, members: number[]) {
  const fp = new FrameSets(scan).measure(members);
  const ref = reference(m, members);
  expect(fp.unique.frames).toBe(ref.unique);
  expect(fp.only!.frames).toBe(ref.only);
  expect(fp.only!.anonFrames).toBe(ref.onlyAnon);
  expect(fp.sharedScannedFrames).toBe(ref.sharedScanned);
  expect(fp.sharedUnscannedFrames).toBe(ref.sharedUnscanned);
  expect(fp.mappedPages).toBe(members.reduce((a, i) => a + m.procs[i].filter((p) => p !== 0).length, 0));
  scan.procs.forEach((p, i) => expect(p.presentPages).toBe(m.procs[i].filter((x) => x !== 0).length));
  const sets = new FrameSets(scan);
  const each = sets.splitEach(true);
  m.procs.forEach((_, i) => {
    sets.measure([i]);
    expect(each[i]).toEqual(sets.splitMembers(true)[0]);
  });
}

describe('scanFrames + FrameSets', () => {
  it('match a direct count when runs of entries repeat across processes (forks), any run and read size', () => {
    fc.assert(
      fc.property(
        forkedArb,
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 1, max: 70 }),
        fc.constantFrom(0, 1, 2, 4, 8, 16, 512),
        fc.boolean(),
        fc.boolean(),
        (m, pick, batch, block, softDirty, ownMaps) => {
          const root = writeTree(m, false, softDirty);
          const scan = scanModel(root, m, batch, block, ownMaps);
          fc.pre(scan.pfnsVisible);
          checkAgainstReference(scan, m, m.procs.map((_, i) => i).filter((i) => pick[i]));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('decodes a repeated run once and copies it after', () => {
    const page = Array.from({ length: 64 }, (_, k) => (k % 5 === 0 ? 0 : k + 1));
    const m: Model = { procs: [page, page, page], extra: new Map(), kind: new Map(page.filter((p) => p !== 0).map((p) => [p, 'anon'])) };
    const scan = scanModel(writeTree(m), m, undefined, 16, true);
    // The mapping starts block-aligned: 4 runs of 16 per process, each kept by the first and copied by the others.
    expect(scan.stats.reusedEntries).toBe(2 * 64);
    checkAgainstReference(scan, m, [0, 1]);
    expect(scan.table.mapCount.every((c) => c === 3)).toBe(true);
  });


  it('gives every process its own frames, in address order, when a repeated run changes in between', () => {
    const page = Array.from({ length: 64 }, (_, k) => (k % 5 === 0 ? 0 : k + 1));
    const changed = page.map((p, k) => (k === 20 ? 70 : p));
    const m: Model = { procs: [page, changed, page, changed], extra: new Map(), kind: new Map([...page, 70].filter((p) => p !== 0).map((p) => [p, 'anon'])) };
    const scan = scanModel(writeTree(m), m, undefined, 16, true);
    expect(scan.stats.reusedEntries).toBeGreaterThan(0);
    scan.procs.forEach((p, i) => {
      const want = m.procs[i].filter((x) => x !== 0);
      expect(p.mappedPages).toBe(want.length);
      expect(p.frameParts!.reduce((a, part) => a + part.length, 0)).toBe(want.length);
      expect(Array.from(p.frames, (id) => scan.table.pfn[id])).toEqual(want);
    });
    checkAgainstReference(scan, m, [0, 1, 2, 3]);
    checkAgainstReference(scan, m, [1, 2]);
  });

  it('match a direct count for any processes, any subset, any read size', () => {
    fc.assert(
      fc.property(modelArb, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.integer({ min: 1, max: 70 }), (m, pick, batch) => {
        const root = writeTree(m);
        const scan = scanModel(root, m, batch);
        // A model with no present page at all has nothing to count (no frames, no kpagecount read).
        fc.pre(scan.pfnsVisible);
        const members = m.procs.map((_, i) => i).filter((i) => pick[i]);
        const fp = new FrameSets(scan).measure(members);
        const ref = reference(m, members);
        expect(fp.unique.frames).toBe(ref.unique);
        expect(fp.only!.frames).toBe(ref.only);
        expect(fp.only!.anonFrames).toBe(ref.onlyAnon);
        expect(fp.sharedScannedFrames).toBe(ref.sharedScanned);
        expect(fp.sharedUnscannedFrames).toBe(ref.sharedUnscanned);
        expect(fp.mappedPages).toBe(members.reduce((a, i) => a + m.procs[i].filter((p) => p !== 0).length, 0));
        const sets = new FrameSets(scan);
        sets.measure(members);
        const split = sets.splitMembers();
        split.forEach((s, k) => {
          expect(s.distinctFrames).toBe(ref.perMember[k].distinct);
          expect(s.privateFrames).toBe(ref.perMember[k].priv);
          expect(s.sharedInSetFrames).toBe(ref.perMember[k].inSetShared);
          expect(s.sharedInSetFrames + s.sharedOutsideFrames + s.privateFrames!).toBe(s.distinctFrames);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('reports hidden PFNs instead of inventing frames', () => {
    const m: Model = { procs: [[1, 2, 3]], extra: new Map(), kind: new Map([[1, 'anon'], [2, 'anon'], [3, 'file']]) };
    const scan = scanModel(writeTree(m, true), m);
    expect(scan.pfnsVisible).toBe(false);
    expect(scan.kpageCount).toBeUndefined();
    expect(scan.procs[0]).toMatchObject({ presentPages: 3, hiddenPfnPages: 3 });
    expect(scan.procs[0].frames).toHaveLength(0);
  });

  it('keeps a process that vanished, with an error and no frames', () => {
    const m: Model = { procs: [[5, 6]], extra: new Map(), kind: new Map([[5, 'anon'], [6, 'anon']]) };
    const root = writeTree(m);
    const scan = scanFrames(root, [{ pid: 100, ranges: () => readPidMaps(root, 100) }, { pid: 4242, ranges: () => readPidMaps(root, 4242) }]);
    expect(scan.procs[1].error).toBe('vanished');
    expect(new FrameSets(scan).measure([0, 1])).toMatchObject({ members: 1, unique: { frames: 2 } });
  });

  it('names who shares the set frames, most first', () => {
    const m: Model = { procs: [[1, 2, 3], [1, 2], [3], [7]], extra: new Map(), kind: new Map([[1, 'file'], [2, 'file'], [3, 'anon'], [7, 'anon']]) };
    const sets = new FrameSets(scanModel(writeTree(m), m));
    sets.measure([0]);
    expect(sets.sharedWith()).toEqual([{ procIdx: 1, frames: 2 }, { procIdx: 2, frames: 1 }]);
  });
});

describe('MapsRangeReader', () => {
  const lines = [
    '55a4fcbc0000-55a4fcbc1000 r--p 00000000 fe:00 26723                      /usr/bin/python3.11',
    '7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ',
    '7f0000021000-7f0004000000 ---p 00000000 00:00 0',
    '7f0004000000-7f0004001001\trw-s\t00000000\t00:01\t5\t/memfd:a name with spaces (deleted)',
    '7ffd1c2a1000-7ffd1c2c2000 rw-p 00000000 00:00 0                          [stack]',
    '7ffd1c2c2000-7ffd1c2c3000 r--p 00000000 00:00 0                          /x/[vsyscall]',
    'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
    'fffffffff000-fffffffff000 r--p 00000000 00:00 0',
  ];
  const text = `${lines.join('\n')}\n`;

  it('reads the ranges the full parser reads, in pages, without [vsyscall]', () => {
    const reader = new MapsRangeReader(new ProcRoot({ procDir: tmp }));
    for (const page of [4096, 16384, 65536]) {
      const buf = Buffer.from(text);
      const { vpns, count } = reader.parse(buf, buf.length, page, 'maps');
      const want = parsePidMaps(text)
        .filter((e) => e.pathname !== '[vsyscall]')
        .flatMap((e) => [Number(e.startAddr / BigInt(page)), Number((e.endAddr + BigInt(page) - 1n) / BigInt(page))]);
      expect(Array.from(vpns.subarray(0, 2 * count))).toEqual(want);
    }
  });

  it('rejects what the full parser rejects', () => {
    const reader = new MapsRangeReader(new ProcRoot({ procDir: tmp }));
    for (const bad of ['hello', '1000-2000', '2000-1000 r--p 00000000 00:00 0', '1000-2000 r--p 00000000', 'zz-2000 r--p 00000000 00:00 0']) {
      const buf = Buffer.from(`1000-2000 r--p 00000000 00:00 0\n${bad}\n`);
      expect(() => parsePidMaps(buf.toString())).toThrow(ParseError);
      expect(() => reader.parse(buf, buf.length, 4096, 'maps')).toThrow(ParseError);
    }
  });

  it('reads a maps file longer than its buffer', () => {
    const dir = path.join(tmp, 'bigmaps');
    fs.mkdirSync(path.join(dir, '7'), { recursive: true });
    const many = Array.from({ length: 3000 }, (_, k) => `${(0x10000 + 2 * k).toString(16)}000-${(0x10001 + 2 * k).toString(16)}000 r--p 00000000 00:00 0                          /lib/x${k}.so`);
    fs.writeFileSync(path.join(dir, '7/maps'), `${many.join('\n')}\n`);
    const { vpns, count } = new MapsRangeReader(new ProcRoot({ procDir: dir })).read(7, 4096);
    expect(count).toBe(3000);
    expect([vpns[0], vpns[1], vpns[2 * 2999], vpns[2 * 2999 + 1]]).toEqual([0x10000, 0x10001, 0x10000 + 2 * 2999, 0x10001 + 2 * 2999]);
  });
});
