import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isMemoryStatCountKey,
  parseCgroupV2Bytes,
  parseCgroupV2Flag,
  parseCgroupV2Limit,
  parseCgroupV2MemoryEvents,
  parseCgroupV2MemoryStat,
  parseCgroupV2NumaStat,
  parseCgroupV2SwapEvents,
  readCgroupV2Memory,
} from '../../src/procfs/cgroup-v2.js';
import { parsePressure } from '../../src/procfs/pressure.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { ParseError } from '../../src/fs/errors.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture, type Fixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const cases = (kind: string) => fixturesOfKind(kind).map((f) => [f.rel, f] as const);
const TELEGRAF = path.join(SHARED_FIXTURES, 'influxdata-telegraf/plugins/inputs/cgroup/testdata');
const PCP004 = path.join(SHARED_FIXTURES, 'performancecopilot-pcp/qa/linux/cgroups-root-004');

describe('cgroup v2 single values', () => {
  for (const kind of ['memory.current-v2', 'memory.peak-v2', 'memory.swap.current-v2', 'memory.swap.peak-v2', 'memory.zswap.current-v2']) {
    it.each(cases(kind))(`${kind}: %s`, (_rel, f) => {
      const v = parseCgroupV2Bytes(readFixture(f), f.rel);
      expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
      // Charged in whole pages (all captures are 4 KiB-page x86_64 machines).
      expect(v % 4096).toBe(0);
    });
  }

  for (const kind of ['memory.min-v2', 'memory.low-v2', 'memory.high-v2', 'memory.max-v2', 'memory.swap.max-v2', 'memory.swap.high-v2', 'memory.zswap.max-v2']) {
    it.each(cases(kind))(`${kind}: %s`, (_rel, f) => {
      const text = readFixture(f);
      const v = parseCgroupV2Limit(text, f.rel);
      expect(v === Infinity).toBe(text.trim() === 'max');
      // The kernel stores limits in pages and prints pages * PAGE_SIZE. The elastic docker.zip
      // capture has memory.low "4" (and events low 10, high 3, max 2 under memory.max "max"): edited.
      if (v !== Infinity && !f.rel.includes('testdata/docker.zip/')) expect(v % 4096).toBe(0);
    });
  }

  it.each(cases('memory.oom.group-v2'))('memory.oom.group: %s', (_rel, f) => {
    expect(parseCgroupV2Flag(readFixture(f), f.rel)).toBe(readFixture(f).trim() === '1');
  });

  it('rejects what is not a value or a limit', () => {
    expect(() => parseCgroupV2Bytes('max\n')).toThrow(ParseError);
    expect(() => parseCgroupV2Bytes('')).toThrow(ParseError);
    expect(() => parseCgroupV2Bytes('1\n2\n')).toThrow(ParseError);
    expect(() => parseCgroupV2Limit('-1\n')).toThrow(ParseError);
    expect(() => parseCgroupV2Flag('2\n')).toThrow(ParseError);
    expect(parseCgroupV2Limit('max\n')).toBe(Infinity);
  });
});

describe('parseCgroupV2MemoryStat', () => {
  it.each(cases('memory.stat-v2'))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const s = parseCgroupV2MemoryStat(text, f.rel);
    const lines = text.split('\n').filter((l) => l.trim());
    expect(Object.keys(s.raw)).toHaveLength(lines.length);
    // bytes and counts split raw without overlap or loss.
    expect(Object.keys(s.bytes).length + Object.keys(s.counts).length).toBe(lines.length);
    expect(s.anonBytes).toBeGreaterThanOrEqual(0);
    expect(s.fileBytes).toBeGreaterThanOrEqual(0);
    if (s.raw.pgfault !== undefined) expect(s.counts.pgfault).toBe(s.raw.pgfault);
    // The LRU lists are page-granular byte counts.
    for (const k of ['inactive_anon', 'active_anon', 'inactive_file', 'active_file']) expect(s.bytes[k] % 4096).toBe(0);
  });

  it('reads the telegraf 6.x capture exactly', () => {
    const s = parseCgroupV2MemoryStat(readFixture('influxdata-telegraf/plugins/inputs/cgroup/testdata/v2/memory.stat'));
    expect(s.anonBytes).toBe(2471755776);
    expect(s.kernelBytes).toBe(2065149952);
    expect(s.secPageTablesBytes).toBe(0);
    expect(s.percpuBytes).toBe(3528);
    expect(s.slabBytes).toBe(2037641160);
    expect(s.counts.pgfault).toBe(1973187551);
    expect(s.counts.workingset_refault_file).toBe(629356);
    expect(s.counts.thp_fault_alloc).toBe(13);
    expect(s.bytes.pgfault).toBeUndefined();
  });

  it('leaves keys an older kernel lacks undefined', () => {
    const s = parseCgroupV2MemoryStat(readFixture('facebookincubator-oomd/src/oomd/fixtures/cgroup/system.slice/memory.stat'));
    expect(s.kernelBytes).toBeUndefined();
    expect(s.zswapBytes).toBeUndefined();
    expect(s.anonBytes).toBe(1294168064);
  });

  it('classifies count keys', () => {
    for (const k of ['pgfault', 'pgmajfault', 'pgscan_kswapd', 'workingset_refault_anon', 'thp_fault_alloc', 'zswpout', 'total_pgfault']) expect(isMemoryStatCountKey(k)).toBe(true);
    for (const k of ['anon', 'pagetables', 'percpu', 'file_thp', 'zswap', 'zswapped', 'slab', 'total_rss']) expect(isMemoryStatCountKey(k)).toBe(false);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError((t) => parseCgroupV2MemoryStat(t));
    throwsOnlyParseError((t) => parseCgroupV2MemoryEvents(t));
    throwsOnlyParseError((t) => parseCgroupV2SwapEvents(t));
    throwsOnlyParseError((t) => parseCgroupV2NumaStat(t));
    throwsOnlyParseError((t) => parseCgroupV2Limit(t));
    throwsOnlyParseError((t) => parseCgroupV2Bytes(t));
    throwsOnlyParseError((t) => parseCgroupV2Flag(t));
  });

  it('is unchanged by shuffled lines and unknown keys', () => {
    const text = readFixture('elastic-agent-system-metrics/metric/system/cgroup/testdata/docker2.zip/docker2/sys/fs/cgroup/user.slice/user-1000.slice/session-520.scope/memory.stat');
    const { raw: _r, bytes: _b, counts: _c, ...base } = parseCgroupV2MemoryStat(text);
    fc.assert(
      fc.property(shuffledLines(text, ['future_counter 42', 'pgfuture_event 7']), (t) => {
        const { raw, bytes: _b2, counts: _c2, ...rest } = parseCgroupV2MemoryStat(t);
        expect(rest).toEqual(base);
        expect(Object.keys(raw).length).toBeGreaterThan(0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('memory.events, memory.swap.events, memory.numa_stat, memory.pressure', () => {
  for (const kind of ['memory.events-v2', 'memory.events.local-v2']) {
    it.each(cases(kind))(`${kind}: %s`, (_rel, f) => {
      const e = parseCgroupV2MemoryEvents(readFixture(f), f.rel);
      for (const k of ['low', 'high', 'max', 'oom', 'oomKill'] as const) expect(e[k]).toBeGreaterThanOrEqual(0);
      expect(e.oomGroupKill === undefined).toBe(!/oom_group_kill/.test(readFixture(f)));
    });
  }

  it('reads the nonzero events of the elastic docker capture', () => {
    const e = parseCgroupV2MemoryEvents(
      readFixture('elastic-agent-system-metrics/metric/system/cgroup/testdata/docker.zip/docker/sys/fs/cgroup/system.slice/docker-1c8fa019edd4b9d4b2856f4932c55929c5c118c808ed5faee9a135ca6e84b039.scope/memory.events'),
    );
    expect(e).toMatchObject({ low: 10, high: 3, max: 2, oom: 1, oomKill: 1 });
    expect(e.oomGroupKill).toBeUndefined();
  });

  it('is unchanged by shuffled event lines', () => {
    const text = 'low 10\nhigh 3\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n';
    const { raw: _r, ...base } = parseCgroupV2MemoryEvents(text);
    fc.assert(
      fc.property(shuffledLines(text, ['sock_throttled 4']), (t) => {
        const { raw: _r2, ...rest } = parseCgroupV2MemoryEvents(t);
        expect(rest).toEqual(base);
      }),
      { numRuns: 50 },
    );
  });

  it.each(cases('memory.swap.events-v2'))('memory.swap.events: %s', (_rel, f) => {
    const e = parseCgroupV2SwapEvents(readFixture(f), f.rel);
    expect(e.max).toBeGreaterThanOrEqual(0);
    expect(e.fail).toBeGreaterThanOrEqual(0);
  });

  it.each(cases('memory.numa_stat-v2'))('memory.numa_stat: %s', (_rel, f) => {
    const n = parseCgroupV2NumaStat(readFixture(f), f.rel);
    const stat = parseCgroupV2MemoryStat(readFixture(path.join(path.dirname(f.rel), 'memory.stat')));
    // Per-node anon and file add up to memory.stat's (read a moment apart: within 1%).
    for (const k of ['anon', 'file']) {
      const sum = Object.values(n[k]).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - stat.raw[k])).toBeLessThanOrEqual(stat.raw[k] * 0.01);
    }
  });

  it('reads two NUMA nodes exactly and rejects the v1 syntax', () => {
    const n = parseCgroupV2NumaStat(readFixture('influxdata-telegraf/plugins/inputs/cgroup/testdata/v2/memory.numa_stat'));
    expect(n.anon).toEqual({ 0: 1330585600, 1: 1141161984 });
    expect(n.workingset_refault_file).toEqual({ 0: 346752, 1: 282604 });
    expect(() => parseCgroupV2NumaStat('total=3609 N0=3609\n')).toThrow(ParseError);
  });

  it.each(cases('memory.pressure-v2'))('memory.pressure: %s', (_rel, f) => {
    const p = parsePressure(readFixture(f), f.rel);
    expect(p.full).toBeDefined();
    expect(p.full!.totalUs).toBeLessThanOrEqual(p.some.totalUs);
  });

  it.each(cases('memory.reclaim-v2'))('memory.reclaim is write-only, never read: %s', (_rel, f) => {
    expect(readFixture(f)).toBe('');
  });
});

describe('readCgroupV2Memory', () => {
  it('reads the telegraf 6.x cgroup directory', () => {
    const root = new ProcRoot({ procDir: TELEGRAF, sysDir: TELEGRAF });
    const m = readCgroupV2Memory(root, 'v2');
    expect(m.gaps).toEqual([]);
    expect(m.memoryCurrentBytes).toBe(13071106048);
    expect(m.memoryPeakBytes).toBe(87302021120);
    expect(m.memoryMaxBytes).toBe(103079215104);
    expect(m.memoryHighBytes).toBe(Infinity);
    expect(m.memoryLowBytes).toBe(0);
    expect(m.swapMaxBytes).toBe(0);
    expect(m.oomGroup).toBe(true);
    expect(m.events?.oomGroupKill).toBe(0);
    expect(m.swapEvents).toMatchObject({ high: 0, max: 0, fail: 0 });
    expect(m.numaStat?.anon[1]).toBe(1141161984);
    expect(m.pressure?.some.totalUs).toBe(250773);
    expect(m.zswapCurrentBytes).toBeUndefined();
    expect(m.swapPeakBytes).toBeUndefined();
  });

  const root004 = new ProcRoot({ procDir: path.join(PCP004, 'proc'), sysDir: path.join(PCP004, 'sys') });
  const dirs004 = [...new Set(fixturesOfKind('memory.current-v2').filter((f) => f.rel.includes('cgroups-root-004/')).map((f: Fixture) => path.dirname(f.rel)))];

  it('reads all 223 cgroups of the pcp 5.2+ tree without a gap', () => {
    expect(dirs004).toHaveLength(223);
    for (const d of dirs004) {
      const rel = path.relative(path.join(PCP004, 'sys'), path.join(SHARED_FIXTURES, d));
      const m = readCgroupV2Memory(root004, rel);
      expect(m.gaps).toEqual([]);
      expect(m.memoryCurrentBytes).toBeDefined();
      expect(m.stat?.anonBytes).toBeDefined();
      // A cgroup's own events never exceed its hierarchical ones.
      for (const k of ['low', 'high', 'max', 'oom', 'oomKill'] as const) expect(m.eventsLocal![k]!).toBeLessThanOrEqual(m.events![k]!);
      expect(m.memoryPeakBytes).toBeUndefined(); // 5.19+
    }
  });

  it('reads the root cgroup, which has no memory.current or limits there', () => {
    const m = readCgroupV2Memory(root004, 'fs/cgroup');
    expect(m.memoryCurrentBytes).toBeUndefined();
    expect(m.memoryMaxBytes).toBeUndefined();
    expect(m.stat).toBeUndefined();
    expect(m.pressure).toBeDefined();
    expect(m.gaps).toEqual([]);
  });
});
