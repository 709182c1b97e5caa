import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseVmallocinfo, readVmallocinfo } from '../../src/procfs/vmallocinfo.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const HOST = 'host-6.18-fork-share/proc/vmallocinfo';
const ANDROID = 'aosp-libmeminfo/testdata1/vmallocinfo';

describe('parseVmallocinfo', () => {
  it.each(fixturesOfKind('vmallocinfo').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const v = parseVmallocinfo(text, f.rel);
    expect(v.areas.length).toBe(text.split('\n').filter((l) => l.trim()).length);
    const pagesInText = [...text.matchAll(/ pages=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(v.ramBytes).toBe(pagesInText * 4096);
    const kinds = Object.values(v.byKind);
    expect(kinds.reduce((a, t) => a + t.count, 0)).toBe(v.areas.length);
    expect(Object.values(v.byCaller).reduce((a, t) => a + t.ramBytes, 0)).toBe(v.ramBytes);
    for (const a of v.areas) {
      if (a.pages !== undefined) expect(a.pages * 4096).toBeLessThanOrEqual(a.sizeBytes);
      if (a.kind === 'ioremap' || a.kind === 'unpurged') expect(a.ramBytes).toBe(0);
    }
  });

  it('reads the 6.18 capture exactly', () => {
    const v = parseVmallocinfo(readFixture(HOST));
    expect(v.addressesHidden).toBe(false);
    expect(v.areas[0]).toMatchObject({ sizeBytes: 20480, callerSymbol: 'irq_init_percpu_irqstack', kind: 'vmap', ramBytes: 0 });
    expect(v.areas[1]).toMatchObject({ kind: 'ioremap', phys: '0x00000000000a0000', sizeBytes: 8192 });
    expect(v.areas[3]).toMatchObject({ caller: 'kernel_clone+0x94/0x3e0', pages: 4, kind: 'vmalloc', nodePages: { 0: 4 }, ramBytes: 16384 });
    expect(v.byKind.unpurged).toMatchObject({ count: 794, ramBytes: 0 });
    expect(v.byCaller.htab_map_alloc.ramBytes).toBeGreaterThan(0);
    const vpages = v.areas.filter((a) => a.flags.includes('vpages'));
    expect(vpages.length).toBe(3);
  });

  it('matches meminfo VmallocUsed: (5.3+) of the same capture within 1%', () => {
    const v = parseVmallocinfo(readFixture(HOST));
    const m = parseMeminfo(readFixture('host-6.18-fork-share/proc/meminfo'));
    expect(Math.abs(v.ramBytes - m.vmallocUsedBytes!)).toBeLessThan(m.vmallocUsedBytes! * 0.01);
  });

  it('reads the kptr_restrict capture: zero addresses, module callers', () => {
    const v = parseVmallocinfo(readFixture(ANDROID));
    expect(v.addressesHidden).toBe(true);
    const wlan = v.areas.find((a) => a.module === 'wlan' && a.kind === 'user');
    expect(wlan).toMatchObject({ callerSymbol: 'qdf_mem_alloc_consistent_debug', caller: 'qdf_mem_alloc_consistent_debug+0xd4/0x148 [wlan]' });
    expect(v.byKind.ioremap.count).toBe(777);
    // A 4 MiB area whose page array was itself vmalloc'ed (vpages), and that 8 KiB array (pages=2).
    expect(v.byCaller.disksize_store).toMatchObject({ count: 2, ramBytes: (1024 + 2) * 4096, sizeBytes: 4198400 + 12288 });
  });

  it('reads through a ProcRoot', () => {
    const root = new ProcRoot({ procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc` });
    expect(readVmallocinfo(root).areas.length).toBe(1119);
  });

  it('throws ParseError on a line without a range and size', () => {
    expect(() => parseVmallocinfo('vmalloc pages=3\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parseVmallocinfo);
  });

  it('has the same totals whatever the line order', () => {
    const text = readFixture(HOST);
    const base = parseVmallocinfo(text);
    fc.assert(
      fc.property(shuffledLines(text), (t) => {
        const v = parseVmallocinfo(t);
        expect(v.byKind).toEqual(base.byKind);
        expect(v.byCaller).toEqual(base.byCaller);
      }),
      { numRuns: 20 },
    );
  });
});
