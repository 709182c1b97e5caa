import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSysVm, readSysVm } from '../../src/procfs/sys-vm.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { procLikeText } from '../helpers/properties.js';

const hostRoot = () => new ProcRoot({ procDir: `${SHARED_FIXTURES}/host-6.18-fork-share/proc`, sysDir: null });

describe('sys-vm', () => {
  it.each(fixturesOfKind('sysctl-vm').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const name = path.basename(f.rel);
    const text = readFixture(f);
    const v = parseSysVm({ [name]: text }, path.dirname(f.rel));
    if (text.trim() === '' || ['drop_caches', 'compact_memory', 'stat_refresh'].includes(name)) {
      expect(v.raw[name]).toBeUndefined();
    } else {
      expect(String(v.raw[name]).replace(/,/g, ' ')).toBe(text.trim().replace(/\s+/g, ' '));
    }
  });

  it('reads the 6.18 directory exactly', () => {
    const v = readSysVm(hostRoot());
    expect(v.overcommitMemory).toBe(0);
    expect(v.overcommitRatioPct).toBe(50);
    expect(v.overcommitBytes).toBe(0);
    expect(v.minFreeBytes).toBe(67584 * 1024);
    expect(v.adminReserveBytes).toBe(8192 * 1024);
    expect(v.userReserveBytes).toBe(100407 * 1024);
    expect(v.swappiness).toBe(60);
    expect(v.watermarkScaleFactor).toBe(10);
    expect(v.watermarkBoostFactor).toBe(15000);
    expect(v.panicOnOom).toBe(0);
    expect(v.oomKillAllocatingTask).toBe(0);
    expect(v.nrHugepages).toBe(0);
    expect(v.pageCluster).toBe(3);
    expect(v.lowmemReserveRatio).toEqual([256, 256, 32, 0, 0]);
    expect(v.raw.numa_zonelist_order).toBe('Node');
    expect(v.raw.drop_caches).toBeUndefined();
    // 52 files, less the three write-only/trigger files.
    expect(Object.keys(v.raw)).toHaveLength(49);
  });

  it('reads the prometheus procfs directory', () => {
    const v = readSysVm(new ProcRoot({ procDir: `${SHARED_FIXTURES}/prometheus-procfs/testdata/fixtures.ttar/fixtures/proc`, sysDir: null }));
    expect(Object.keys(v.raw)).toHaveLength(17);
    expect(v.overcommitMemory).toBe(Number(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/sys/vm/overcommit_memory').trim()));
  });

  it('reads the live kernel, skipping write-only files', () => {
    const v = readSysVm(new ProcRoot());
    expect(v.raw.compact_memory).toBeUndefined();
    expect(v.overcommitMemory).toBe(Number(fs.readFileSync('/proc/sys/vm/overcommit_memory', 'utf8')));
    expect(v.minFreeBytes).toBe(Number(fs.readFileSync('/proc/sys/vm/min_free_kbytes', 'utf8')) * 1024);
  });

  it('rejects values the kernel cannot print', () => {
    expect(() => parseSysVm({ overcommit_memory: '3\n' })).toThrow(ParseError);
    expect(() => parseSysVm({ swappiness: 'sixty\n' })).toThrow(ParseError);
    expect(() => parseSysVm({ lowmem_reserve_ratio: 'a b\n' })).toThrow(ParseError);
    expect(parseSysVm({ some_future_knob: 'text value\n' }).raw.some_future_knob).toBe('text value');
  });

  it('throws only ParseError on arbitrary values', () => {
    fc.assert(
      fc.property(fc.constantFrom('overcommit_memory', 'min_free_kbytes', 'lowmem_reserve_ratio', 'numa_zonelist_order'), procLikeText(), (name, text) => {
        try {
          parseSysVm({ [name]: text });
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});
