import { describe, expect, it } from 'vitest';
import { buildLedger } from '../../src/analyze/ledger.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { virtioFeatureBit, VIRTIO_BALLOON_F_DEFLATE_ON_OOM } from '../../src/procfs/balloon.js';
import { ParseError } from '../../src/fs/errors.js';
import { readFixture } from '../helpers/fixtures.js';

const BASE = readFixture('host-6.18-fork-share/proc/meminfo');
const GiB = 1024 ** 3;

/** The 6.18 capture with a balloon of `kb` that took free pages (MemTotal kept) or, outside, MemTotal too. */
function withBalloon(kb: number, outsideMemTotal: boolean): string {
  return BASE.replace(/^Balloon:\s+\d+ kB$/m, `Balloon:        ${kb} kB`)
    .replace(/^MemFree:\s+(\d+) kB$/m, (_l, v: string) => `MemFree:        ${Number(v) - kb} kB`)
    .replace(/^MemTotal:\s+(\d+) kB$/m, (_l, v: string) => `MemTotal:       ${outsideMemTotal ? Number(v) - kb : Number(v)} kB`);
}

describe('buildLedger and the balloon', () => {
  const plain = buildLedger({ meminfo: parseMeminfo(BASE) });

  it('counts a deflate-on-OOM balloon inside MemTotal, leaving unexplained as it was', () => {
    const l = buildLedger({
      meminfo: parseMeminfo(withBalloon(4 * 1024 * 1024, false)),
      hidden: [{ what: 'virtio_balloon (balloon)', source: '/sys/bus/virtio/devices/virtio0/device' }],
    });
    expect(l.lines.find((x) => x.id === 'balloon')?.bytes).toBe(4 * GiB);
    expect(l.outside).toEqual([]);
    expect(l.unexplainedBytes).toBe(plain.unexplainedBytes);
  });

  it('reports a balloon that left MemTotal beside the ledger, not inside it', () => {
    const l = buildLedger({
      meminfo: parseMeminfo(withBalloon(4 * 1024 * 1024, true)),
      hidden: [{ what: 'virtio_balloon (balloon)', source: '/sys/bus/virtio/devices/virtio0/device', balloonOutsideMemTotal: true }],
    });
    expect(l.lines.find((x) => x.id === 'balloon')).toBeUndefined();
    expect(l.outside.map((x) => [x.id, x.bytes])).toEqual([['balloon', 4 * GiB]]);
    // Counted inside, it would have pushed unexplained 4 GiB below zero.
    expect(l.unexplainedBytes).toBe(plain.unexplainedBytes);
    expect(l.lines.reduce((s, x) => s + (x.bytes ?? 0), 0)).toBe(l.memTotalBytes);
  });
});

describe('virtioFeatureBit', () => {
  it('reads bit N as the Nth character, bit 0 first', () => {
    // virtio0 of the machine these captures come from: bits 1, 2, 5 and 7 set.
    const text = '0110010100000000000000000000000010000000000000000000000000000000\n';
    expect(virtioFeatureBit(text, VIRTIO_BALLOON_F_DEFLATE_ON_OOM, 'features')).toBe(true);
    expect(virtioFeatureBit(text, 0, 'features')).toBe(false);
    expect(virtioFeatureBit(text, 32, 'features')).toBe(true);
    expect(virtioFeatureBit('0100', 2, 'features')).toBe(false);
    expect(() => virtioFeatureBit('0x7', 2, 'features')).toThrow(ParseError);
  });
});

describe('buildLedger on lines a kernel may lack', () => {
  const without = (...names: string[]): string => names.reduce((t, n) => t.replace(new RegExp(`^${n}:.*\\n`, 'm'), ''), BASE);
  const line = (text: string, id: string) => buildLedger({ meminfo: parseMeminfo(text) }).lines.find((l) => l.id === id);

  it('leaves a hugetlb pool unknown, not 0, when the page size is missing', () => {
    const text = without('Hugetlb', 'Hugepagesize').replace(/^HugePages_Total:.*$/m, 'HugePages_Total:      10');
    expect(line(text, 'hugetlb')?.bytes).toBeUndefined();
    expect(line(text, 'hugetlb')?.details?.every((d) => d.bytes === undefined)).toBe(true);
  });

  it('keeps shared memory inside the page cache when there is no Shmem line (before 2.6.32)', () => {
    const l = buildLedger({ meminfo: parseMeminfo(without('Shmem')) });
    const cache = l.lines.find((x) => x.id === 'pageCache')!;
    expect(cache.bytes).toBe(597704 * 1024);
    expect(cache.source).toMatch(/^Cached /);
    expect(l.lines.find((x) => x.id === 'shmem')).toBeUndefined();
    expect(l.unknownLines).not.toContain('Shared memory and tmpfs');
    expect(l.lines.reduce((s, x) => s + (x.bytes ?? 0), 0)).toBe(l.memTotalBytes);
  });

  it('names the counter it used for vmalloc: stacks are taken out only when they fit inside it', () => {
    expect(line(BASE, 'vmalloc')).toMatchObject({ bytes: (15724 - 2896) * 1024, source: 'VmallocUsed - KernelStack' });
    const bigStacks = BASE.replace(/^KernelStack:.*$/m, 'KernelStack:       20000 kB');
    expect(line(bigStacks, 'vmalloc')).toMatchObject({ bytes: 15724 * 1024, source: 'VmallocUsed' });
    expect(line(without('KernelStack'), 'vmalloc')).toMatchObject({ bytes: 15724 * 1024, source: 'VmallocUsed' });
  });
});
