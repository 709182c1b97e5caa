import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { collectSample } from '../../src/collect/collector.js';
import { compareSets, familyOf, measureSet } from '../../src/analyze/footprint-family.js';
import { exactFootprints } from '../../src/analyze/footprint.js';
import { describeInterval, describeSet } from '../../src/cli/share-render.js';
import { Family, buildFamily, canRunFamilies } from './share-family.js';

/**
 * Live: fork sharing and copy-on-write as the kernel does them, measured from page frames.
 * The family program maps its buffer with MADV_NOHUGEPAGE, so frames are 4 KiB pages whatever
 * the THP mode. Every process started here is killed by pid in finally blocks.
 */
const MiB = 1024 * 1024;
const root = new ProcRoot();
const all = () => collectSample(root, { rollup: false, oom: false }).procs;
let bin = '';
let dir = '';

describe.runIf(canRunFamilies())('share (live, root)', () => {
  beforeAll(() => ({ bin, dir } = buildFamily()));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The family's footprint, for a buffer of `mib` MiB and `children` sleeping children. */
  async function footprintOf(mib: number, children: number) {
    const fam = new Family(bin, mib, children);
    try {
      await fam.ready();
      const procs = all();
      const members = familyOf(procs, fam.parent);
      expect(members.map((m) => m.pid).sort((a, b) => a - b)).toEqual([fam.parent, ...fam.children].sort((a, b) => a - b));
      return measureSet(root, procs, members, 'family').report;
    } finally {
      await fam.stop();
    }
  }

  it('100 children sharing 100 MiB: ~10 GiB of summed RSS, ~100 MiB of RAM', async () => {
    const base = await footprintOf(0, 100);
    const r = await footprintOf(100, 100);
    expect(r.exact).toBe(true);
    expect(r.members).toHaveLength(101);
    // Every member shows the whole buffer in its RSS.
    expect(r.summedRssBytes!).toBeGreaterThan(101 * 100 * MiB);
    for (const m of r.members) expect(m.rssBytes!).toBeGreaterThan(100 * MiB);
    // Distinct frames: the buffer once, plus what a family without the buffer uses.
    const expected = base.group!.footprintBytes + 100 * MiB;
    expect(Math.abs(r.group!.footprintBytes - expected)).toBeLessThan(0.05 * expected);
    // The buffer is anonymous and only the family maps it: ending the family frees it.
    expect(r.group!.only!.anonBytes).toBeGreaterThan(100 * MiB);
    // Children copied nothing: their private frames are a few pages (stack, signal frame).
    for (const m of r.members.slice(1)) expect(m.privateBytes!).toBeLessThan(MiB);
    const sentence = describeSet(r);
    expect(sentence).toMatch(/^101 processes show (9\.\d+|10\.\d+) GiB of RSS but use \d+ MiB of RAM: 99% of what they map is shared\./);
  });

  it('3 children rewriting 100 MiB: footprint +300 MiB, RSS flat, growth pinned on the three', async () => {
    const fam = new Family(bin, 100, 3);
    try {
      await fam.ready();
      const procs1 = all();
      const members1 = familyOf(procs1, fam.parent);
      const before = measureSet(root, procs1, members1, 'family');
      for (const pid of fam.children) process.kill(pid, 'SIGUSR1');
      await fam.waitFor('copied', 3);
      const procs2 = all();
      const keys = new Set(members1.map((m) => m.key));
      const after = measureSet(root, procs2, procs2.filter((p) => keys.has(p.key)), 'family', 4096, true);
      const r = compareSets(before, after, 1);

      const growth = r.interval!.footprintGrowthBytes!;
      expect(Math.abs(growth - 300 * MiB)).toBeLessThan(0.05 * 300 * MiB);
      for (const m of r.members) {
        const old = before.report.members.find((b) => b.key === m.key)!;
        expect(Math.abs(m.rssBytes! - old.rssBytes!)).toBeLessThan(0.02 * old.rssBytes!);
      }
      for (const pid of fam.children) {
        const m = r.members.find((x) => x.pid === pid)!;
        expect(Math.abs(m.copiedBytes! - 100 * MiB)).toBeLessThan(5 * MiB);
        expect(m.privateBytes!).toBeGreaterThanOrEqual(m.copiedBytes!);
      }
      const parent = r.members.find((x) => x.pid === fam.parent)!;
      expect(parent.copiedBytes!).toBeLessThan(MiB);
      // After the copies the buffer's original frames are the parent's alone.
      expect(parent.privateBytes!).toBeGreaterThan(100 * MiB);
      expect(describeInterval(r)).toMatch(/^In 1 s the footprint grew by \+\d+ MiB while the summed RSS changed by [+-]/);
    } finally {
      await fam.stop();
    }
  });

  it('exact USS per process agrees with pagemap bit 56 for a process that maps nothing twice', async () => {
    const fam = new Family(bin, 20, 1);
    try {
      await fam.ready();
      const procs = all();
      const ex = exactFootprints(root, procs);
      expect(ex.exact).toBe(true);
      const parent = [...ex.procs.values()].find((p) => p.pid === fam.parent)!;
      const child = [...ex.procs.values()].find((p) => p.pid === fam.children[0])!;
      // The 20 MiB buffer is shared: in neither USS, in both resident sets.
      expect(parent.residentBytes).toBeGreaterThan(20 * MiB);
      expect(parent.sharedBytes).toBeGreaterThan(20 * MiB);
      expect(parent.ussBytes!).toBeLessThan(2 * MiB);
      expect(parent.ussBytes).toBe(parent.exclusiveBytes);
      expect(child.ussBytes).toBe(child.exclusiveBytes);
      // Distinct frames equal VmRSS when no zero page is mapped (status counts rmap'd pages).
      const st = procs.find((p) => p.pid === fam.parent)!.status!;
      expect(Math.abs(parent.residentBytes - st.vmRssBytes!)).toBeLessThanOrEqual(8 * 4096);
    } finally {
      await fam.stop();
    }
  });
});
