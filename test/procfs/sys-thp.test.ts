import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSysThp, readSysThp } from '../../src/procfs/sys-thp.js';
import { parseSysChoice } from '../../src/procfs/sys-dir.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

describe('sys-thp', () => {
  it.each(fixturesOfKind('thp').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const name = path.basename(f.rel);
    const text = readFixture(f);
    const t = parseSysThp({ [name]: text });
    if (text.includes('[')) expect(t.choices[name].options.join(' ')).toBe(text.trim().replace(/[[\]]/g, ''));
    else expect(t.numbers[name]).toBe(Number(text));
  });

  it('reads the 6.18 directory exactly', () => {
    const t = readSysThp(new ProcRoot({ procDir: '/nonexistent', sysDir: `${SHARED_FIXTURES}/host-6.18-fork-share/sys` }));
    expect(t).toMatchObject({ enabled: 'madvise', defrag: 'madvise', shmemEnabled: 'never', useZeroPage: true, hpagePmdSizeBytes: 2 * 1024 * 1024 });
    expect(t.choices.enabled.options).toEqual(['always', 'madvise', 'never']);
    expect(t.choices.defrag.options).toEqual(['always', 'defer', 'defer+madvise', 'madvise', 'never']);
    expect(t.numbers.shrink_underused).toBe(1);
    expect(t.khugepaged).toEqual({});
    expect(t.sizes).toEqual([]);
  });

  it('reads the live tree: khugepaged and the mTHP sizes', () => {
    const live = readSysThp(new ProcRoot());
    const enabled = fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    expect(live.enabled).toBe(/\[(\S+)\]/.exec(enabled)![1]);
    expect(live.khugepaged.pages_to_scan).toBe(Number(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan', 'utf8')));
    const dirs = fs.readdirSync('/sys/kernel/mm/transparent_hugepage').filter((d) => /^hugepages-\d+kB$/.test(d));
    expect(live.sizes).toHaveLength(dirs.length);
    for (const s of live.sizes) {
      // Anonymous mTHP needs order >= 2: the 8 KiB (order-1) directory has only shmem_enabled.
      const dir = `/sys/kernel/mm/transparent_hugepage/hugepages-${s.sizeBytes / 1024}kB`;
      expect(s.enabled === undefined).toBe(!fs.existsSync(`${dir}/enabled`));
      if (s.enabled !== undefined) expect(['always', 'inherit', 'madvise', 'never']).toContain(s.enabled);
      if (fs.existsSync(`${dir}/stats`)) expect(Object.keys(s.stats).sort()).toEqual(fs.readdirSync(`${dir}/stats`).sort());
    }
  });

  it('parses mTHP paths', () => {
    const t = parseSysThp({
      'hugepages-64kB/enabled': 'always inherit madvise [never]\n',
      'hugepages-64kB/stats/anon_fault_alloc': '12\n',
      'hugepages-2048kB/enabled': 'always [inherit] madvise never\n',
      'khugepaged/pages_collapsed': '3\n',
    });
    expect(t.sizes).toEqual([
      { sizeBytes: 65536, enabled: 'never', stats: { anon_fault_alloc: 12 } },
      { sizeBytes: 2097152, enabled: 'inherit', stats: {} },
    ]);
    expect(t.khugepaged.pages_collapsed).toBe(3);
  });

  it('throws ParseError without exactly one selection', () => {
    expect(() => parseSysThp({ enabled: 'always madvise never\n' })).toThrow(ParseError);
    expect(() => parseSysChoice('[always] [never]', 'x')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError((t) => parseSysThp({ enabled: t }));
    throwsOnlyParseError((t) => parseSysThp({ 'khugepaged/full_scans': t }));
  });
});
