import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseZoneinfo, readZoneinfo } from '../../src/procfs/zoneinfo.js';
import { parseVmstat } from '../../src/procfs/vmstat.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const HOST = 'host-6.18-fork-share/proc/zoneinfo';
const RHEL7 = 'performancecopilot-pcp/qa/linux/meminfo-root-002/proc/zoneinfo';

describe('parseZoneinfo', () => {
  it.each(fixturesOfKind('zoneinfo').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const z = parseZoneinfo(text, f.rel);
    expect(z.zones.length).toBe((text.match(/^Node \d+, zone/gm) ?? []).length);
    for (const zone of z.zones) {
      expect(zone.protectionPages?.length).toBeGreaterThan(0);
      if ((zone.managedPages ?? zone.presentPages ?? 0) > 0) {
        expect(zone.minPages).toBeLessThanOrEqual(zone.lowPages!);
        expect(zone.lowPages).toBeLessThanOrEqual(zone.highPages!);
        expect(zone.freePages).toBeLessThanOrEqual(zone.presentPages!);
        expect(zone.presentPages).toBeLessThanOrEqual(zone.spannedPages!);
      }
      // "pages free" and the zone's nr_free_pages counter are the same counter, read apart.
      if (zone.stats.nr_free_pages !== undefined) {
        expect(Math.abs(zone.stats.nr_free_pages - zone.freePages)).toBeLessThanOrEqual(Math.max(64, zone.freePages * 0.01));
      }
    }
  });

  it('reads the 6.18 capture exactly', () => {
    const z = parseZoneinfo(readFixture(HOST));
    expect(z.zones.map((x) => x.zone)).toEqual(['DMA', 'DMA32', 'Normal', 'Movable', 'Device']);
    const [dma, , normal, movable] = z.zones;
    expect(dma.protectionPages).toEqual([0, 3019, 11339, 11339, 11339]);
    expect(normal).toMatchObject({
      node: 0,
      freePages: 1837497,
      boostPages: 0,
      minPages: 12380,
      lowPages: 15475,
      highPages: 18570,
      promoPages: 21665,
      spannedPages: 5505024,
      presentPages: 5505024,
      managedPages: 2129920,
      cmaPages: 0,
      startPfn: 1048576,
      unreclaimable: false,
    });
    expect(movable).toMatchObject({ freePages: 0, managedPages: 0, stats: {} });
    expect(z.nodes).toHaveLength(1);
    expect(z.nodes[0].stats.nr_file_pages).toBe(152603);
    expect(z.nodes[0].stats.nr_kernel_file_pages).toBe(0);
  });

  it('per-node stats agree with /proc/vmstat of the same capture', () => {
    const z = parseZoneinfo(readFixture(HOST));
    const v = parseVmstat(readFixture('host-6.18-fork-share/proc/vmstat'));
    for (const k of ['nr_file_pages', 'nr_anon_pages', 'nr_shmem', 'workingset_refault_file']) {
      expect(z.nodes[0].stats[k]).toBe(v.raw[k]);
    }
  });

  it('reads a 3.10 NUMA capture: no per-node stats, all_unreclaimable, scanned', () => {
    const z = parseZoneinfo(readFixture(RHEL7));
    expect(z.nodes).toEqual([]);
    expect(z.zones.map((x) => `${x.node}:${x.zone}`)).toEqual(['0:DMA', '0:DMA32', '0:Normal', '1:Normal']);
    expect(z.zones[0]).toMatchObject({ freePages: 3830, minPages: 2, scannedPages: 0, managedPages: 3974, unreclaimable: false });
    expect(z.zones[0].stats.nr_alloc_batch).toBe(1);
    expect(z.zones[3].tail.inactive_ratio).toBe(24);
  });

  it('skips a value printed without a name (distro 4.x)', () => {
    const z = parseZoneinfo(readFixture('performancecopilot-pcp/qa/linux/meminfo-root-006/proc/zoneinfo'));
    expect(z.nodes[0].stats.nr_written).toBeGreaterThan(0);
  });

  it('reads through a ProcRoot', () => {
    const root = new ProcRoot({ procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc` });
    expect(readZoneinfo(root).zones).toHaveLength(5);
  });

  it('throws ParseError for a zone without "pages free" and for text before the first zone', () => {
    expect(() => parseZoneinfo('Node 0, zone Normal\n        min 3\n')).toThrow(ParseError);
    expect(() => parseZoneinfo('  pages free 3\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text, also inside a zone', () => {
    throwsOnlyParseError(parseZoneinfo);
    throwsOnlyParseError((t) => parseZoneinfo(`Node 0, zone   Normal\n  pages free     12\n${t}`));
  });

  it('does not depend on the order of zones', () => {
    const text = readFixture(HOST);
    const blocks = text.split(/(?=^Node \d+, zone)/m);
    const key = (t: string) => Object.fromEntries(parseZoneinfo(t).zones.map((z) => [z.zone, z]));
    const base = key(text);
    // The per-node block rides with the first zone; move zones after it only.
    fc.assert(
      fc.property(fc.shuffledSubarray(blocks.slice(1), { minLength: blocks.length - 1 }), (rest) => {
        expect(key([blocks[0], ...rest].map((b) => (b.endsWith('\n') ? b : `${b}\n`)).join(''))).toEqual(base);
      }),
      { numRuns: 20 },
    );
  });
});
