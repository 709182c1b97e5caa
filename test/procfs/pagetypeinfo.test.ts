import { describe, expect, it } from 'vitest';
import { parsePagetypeinfo, readPagetypeinfo } from '../../src/procfs/pagetypeinfo.js';
import { parseBuddyinfo } from '../../src/procfs/buddyinfo.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const HOST = 'host-6.18-fork-share/proc/pagetypeinfo';

describe('parsePagetypeinfo', () => {
  it.each(fixturesOfKind('pagetypeinfo').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const p = parsePagetypeinfo(readFixture(f), f.rel);
    expect(p.pagesPerBlock).toBe(2 ** p.pageBlockOrder);
    expect(p.free.length).toBeGreaterThan(0);
    expect(p.blocks.length).toBeGreaterThan(0);
  });

  it('reads the 6.18 capture exactly', () => {
    const p = parsePagetypeinfo(readFixture(HOST));
    expect(p.pageBlockOrder).toBe(9);
    expect(p.pagesPerBlock).toBe(512);
    expect(p.free).toHaveLength(15);
    expect(p.free.find((f) => f.zone === 'Normal' && f.type === 'Reclaimable')).toEqual({
      node: 0,
      zone: 'Normal',
      type: 'Reclaimable',
      freeBlocks: [448, 96, 1, 0, 0, 6, 12, 5, 1, 1, 0],
      cappedOrders: [],
    });
    expect(p.blocks[2]).toEqual({ node: 0, zone: 'Normal', blocks: { Unmovable: 76, Movable: 3964, Reclaimable: 120, HighAtomic: 0, Isolate: 0 } });
    expect(p.mixedBlocks).toBeUndefined();
  });

  it('sums over migrate types to buddyinfo of the same capture', () => {
    const p = parsePagetypeinfo(readFixture(HOST));
    const b = parseBuddyinfo(readFixture('host-6.18-fork-share/proc/buddyinfo'));
    for (const z of b.zones) {
      const sum = z.freeBlocks.map((_, k) => p.free.filter((f) => f.zone === z.zone).reduce((a, f) => a + f.freeBlocks[k], 0));
      expect(sum).toEqual(z.freeBlocks);
    }
  });

  it('keeps a ">100000" count as its lower bound and says so (5.4+)', () => {
    const text = readFixture(HOST).replace(/(type\s+Movable(?:\s+\d+){10})\s+1543 /, '$1 >100000 ');
    const f = parsePagetypeinfo(text).free.find((x) => x.zone === 'Normal' && x.type === 'Movable')!;
    expect(f.freeBlocks[10]).toBe(100000);
    expect(f.cappedOrders).toEqual([10]);
  });

  it('reads the CONFIG_PAGE_OWNER mixed-blocks table', () => {
    const text = `${readFixture(HOST)}\nNumber of mixed blocks    Unmovable      Movable  Reclaimable   HighAtomic      Isolate \nNode 0, zone   Normal            3            9            1            0            0 \n`;
    expect(parsePagetypeinfo(text).mixedBlocks).toEqual([{ node: 0, zone: 'Normal', blocks: { Unmovable: 3, Movable: 9, Reclaimable: 1, HighAtomic: 0, Isolate: 0 } }]);
  });

  it('reads through a ProcRoot', () => {
    const root = new ProcRoot({ procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc` });
    expect(readPagetypeinfo(root).blocks).toHaveLength(3);
  });

  it('throws ParseError without the header, and on a short blocks row', () => {
    expect(() => parsePagetypeinfo('Pages per block:  512\n')).toThrow(ParseError);
    const short = readFixture(HOST).replace(/(Node 0, zone\s+DMA\s+1\s+7)\s+0\s+0\s+0 /, '$1 ');
    expect(() => parsePagetypeinfo(short)).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePagetypeinfo);
    throwsOnlyParseError((t) => parsePagetypeinfo(`Page block order: 9\nPages per block:  512\n${t}`));
  });
});
