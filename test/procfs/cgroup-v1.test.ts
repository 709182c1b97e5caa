import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  parseCgroupV1KmemSlabinfo,
  parseCgroupV1Limit,
  parseCgroupV1MemoryStat,
  parseCgroupV1NumaStat,
  parseCgroupV1OomControl,
  parseCgroupV1Value,
  readCgroupV1Memory,
} from '../../src/procfs/cgroup-v1.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { ParseError } from '../../src/fs/errors.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const cases = (kind: string) => fixturesOfKind(kind).map((f) => [f.rel, f] as const);

/**
 * Page counters charge whole pages, so usage and limits are multiples of 4 KiB, except in the
 * elastic docker.zip capture, whose kmem usages (10, 40, 50, 70 bytes), memory.low "4" and
 * round v2 event counts no kernel prints: hand-edited test data.
 */
const pageGranular = (rel: string) => !rel.includes('elastic-agent-system-metrics/metric/system/cgroup/testdata/docker.zip/');

describe('cgroup v1 single-value files', () => {
  it.each(cases('memory.limit_in_bytes-v1'))('memory.limit_in_bytes: %s', (_rel, f) => {
    const text = readFixture(f).trim();
    const v = parseCgroupV1Limit(readFixture(f), f.rel);
    // The three spellings of "unlimited" across 2.6.32, 3.x and 3.19+ all read as Infinity.
    const unlimited = ['9223372036854771712', '9223372036854775807', '18446744073709551615'].includes(text);
    expect(v === Infinity).toBe(unlimited);
    if (!unlimited) expect(v).toBe(Number(text));
  });

  it.each(cases('memory.usage_in_bytes-v1'))('memory.usage_in_bytes: %s', (_rel, f) => {
    const v = parseCgroupV1Value(readFixture(f), f.rel);
    expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
    expect(v % 4096).toBe(0);
  });

  it.each(cases('cgroup-v1-memory-file'))('cgroup-v1-memory-file: %s', (_rel, f) => {
    const name = path.basename(f.rel);
    const text = readFixture(f);
    if (f.notes.includes('empty file')) {
      expect(text).toBe('');
      expect(() => parseCgroupV1Value(text, f.rel)).toThrow(ParseError);
      return;
    }
    const v = name.endsWith('limit_in_bytes') ? parseCgroupV1Limit(text, f.rel) : parseCgroupV1Value(text, f.rel);
    if (name.endsWith('limit_in_bytes')) expect(v === Infinity || v % 4096 === 0 || !pageGranular(f.rel)).toBe(true);
    else if (/usage_in_bytes$/.test(name)) expect(v % 4096 === 0 || !pageGranular(f.rel)).toBe(true);
    else if (name === 'memory.swappiness') expect(v).toBeLessThanOrEqual(200);
    else if (name === 'memory.use_hierarchy') expect([0, 1]).toContain(v);
    else expect(v).toBeGreaterThanOrEqual(0);
  });

  it('reads the docker kmem.tcp limit, which is not unlimited by the 2^62 rule', () => {
    const f = 'elastic-agent-system-metrics/metric/system/cgroup/testdata/docker.zip/docker/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes';
    expect(parseCgroupV1Limit(readFixture(f))).toBe(2251799813685247);
  });
});

describe('parseCgroupV1MemoryStat', () => {
  it.each(cases('memory.stat-v1'))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const s = parseCgroupV1MemoryStat(text, f.rel);
    expect(Object.keys(s.raw)).toHaveLength(text.split('\n').filter((l) => l.trim()).length);
    expect(s.cacheBytes).toBeGreaterThanOrEqual(0);
    expect(s.rssBytes).toBeGreaterThanOrEqual(0);
    // total_X counts this cgroup and its descendants: never below the cgroup's own X.
    for (const [k, v] of Object.entries(s.local)) if (s.hierarchical[k] !== undefined) expect(s.hierarchical[k]).toBeGreaterThanOrEqual(v);
    expect(s.hierarchicalMemoryLimitBytes).toBeDefined();
  });

  it('reads the amzn2 pod exactly', () => {
    const s = parseCgroupV1MemoryStat(readFixture(fixturesOfKind('memory.stat-v1').find((f) => f.rel.includes('amzn2'))!));
    expect(s.hierarchicalMemoryLimitBytes).toBe(2147483648);
    expect(s.rssBytes).toBe(s.raw.rss);
    expect(s.hierarchical.rss).toBe(s.raw.total_rss);
  });

  it('reads RHEL6 2.6.32 without shmem, dirty or rss_huge', () => {
    const s = parseCgroupV1MemoryStat(readFixture('performancecopilot-pcp/qa/linux/cgroups-root-001/cgroup/memory/libvirt/lxc/memory.stat'));
    expect(s.shmemBytes).toBeUndefined();
    expect(s.rssHugeBytes).toBeUndefined();
    expect(s.hierarchicalMemoryLimitBytes).toBe(Infinity);
    expect(s.hierarchicalMemswLimitBytes).toBe(Infinity);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError((t) => parseCgroupV1MemoryStat(t));
    throwsOnlyParseError((t) => parseCgroupV1OomControl(t));
    throwsOnlyParseError((t) => parseCgroupV1NumaStat(t));
    throwsOnlyParseError((t) => parseCgroupV1Limit(t));
    throwsOnlyParseError((t) => parseCgroupV1KmemSlabinfo(t));
  });

  it('is unchanged by shuffled lines and unknown keys', () => {
    const text = readFixture('performancecopilot-pcp/qa/linux/cgroups-root-003/sys/fs/cgroup/memory/memory.stat');
    const { raw: _r, ...base } = parseCgroupV1MemoryStat(text);
    fc.assert(
      fc.property(shuffledLines(text, ['future_key 5']), (t) => {
        const { raw: _r2, local, ...rest } = parseCgroupV1MemoryStat(t);
        delete local.future_key;
        expect({ ...rest, local }).toEqual(base);
      }),
      { numRuns: 50 },
    );
  });
});

describe('memory.oom_control, memory.numa_stat, memory.kmem.slabinfo', () => {
  it.each(cases('memory.oom_control-v1'))('memory.oom_control: %s', (_rel, f) => {
    const o = parseCgroupV1OomControl(readFixture(f), f.rel);
    expect(o.oomKillDisable).toBe(false);
    expect(o.underOom).toBe(false);
    expect(o.oomKill === undefined).toBe(!readFixture(f).includes('oom_kill '));
  });

  it('needs oom_kill_disable and under_oom', () => {
    expect(() => parseCgroupV1OomControl('oom_kill 3\n')).toThrow(ParseError);
    expect(parseCgroupV1OomControl('oom_kill_disable 1\nunder_oom 1\noom_kill 3\n')).toMatchObject({ oomKillDisable: true, underOom: true, oomKill: 3 });
  });

  it.each(cases('memory.numa_stat-v1'))('memory.numa_stat: %s', (_rel, f) => {
    const n = parseCgroupV1NumaStat(readFixture(f), f.rel);
    for (const k of ['total', 'file', 'anon', 'unevictable']) {
      const sum = Object.values(n[k].nodePages).reduce((a, b) => a + b, 0);
      // total= and the N<i>= columns are summed separately by the kernel: within 1%.
      expect(Math.abs(sum - n[k].totalPages)).toBeLessThanOrEqual(Math.max(1, n[k].totalPages * 0.01));
    }
    expect(n.total.totalPages).toBe(n.file.totalPages + n.anon.totalPages + n.unevictable.totalPages);
  });

  it.each(cases('memory.kmem.slabinfo-v1'))('memory.kmem.slabinfo: %s', (_rel, f) => {
    const text = readFixture(f);
    const s = parseCgroupV1KmemSlabinfo(text, f.rel);
    // Empty when kmem accounting is inactive: nothing printed, undefined.
    if (text.trim() === '') return expect(s).toBeUndefined();
    expect(s?.version).toBe('2.1');
    const cacheLines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#') && !l.startsWith('slabinfo'));
    expect(s?.caches.map((c) => c.name)).toEqual(cacheLines.map((l) => l.split(/\s+/)[0]));
    for (const c of s!.caches) expect(c.activeObjs).toBeLessThanOrEqual(c.numObjs);
  });
});

describe('readCgroupV1Memory', () => {
  it('reads the pcp docker scope exactly', () => {
    const base = path.join(SHARED_FIXTURES, 'performancecopilot-pcp/qa/linux/cgroups-root-003');
    const root = new ProcRoot({ procDir: path.join(base, 'proc'), sysDir: path.join(base, 'sys') });
    const rel = 'fs/cgroup/memory/system.slice/docker-f4d3b90bea1585f216da780c97cc4675827296e1c90fdc957fb2ea0c1db85a6a.scope';
    const m = readCgroupV1Memory(root, rel);
    expect(m.gaps).toEqual([]);
    expect(m.memory.usageBytes).toBe(7364608);
    expect(m.memory.limitBytes).toBe(Infinity);
    expect(m.memsw.limitBytes).toBe(Infinity);
    expect(m.useHierarchy).toBe(true);
    expect(m.stat?.hierarchicalMemoryLimitBytes).toBe(Infinity);
    expect(m.oomControl?.oomKill).toBeUndefined();
    expect(m.kmemSlabinfo).toBeUndefined();
    expect(m.numaStat?.total.totalPages).toBe(1798);
  });
});

const V1 = '/sys/fs/cgroup/memory';
const live = fs.existsSync(`${V1}/memory.usage_in_bytes`) && process.getuid?.() === 0;

describe.skipIf(!live)('readCgroupV1Memory on the live kernel', () => {
  it('sees a limit and a child charged to a new memory cgroup', async () => {
    const name = `memledger-test-v1-${process.pid}`;
    const dir = `${V1}/${name}`;
    fs.mkdirSync(dir);
    const child = spawn('python3', ['-c', 'import sys,time\nsys.stdin.readline()\nb=b"x"*(32<<20)\nprint("ok",flush=True)\ntime.sleep(60)'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      fs.writeFileSync(`${dir}/memory.limit_in_bytes`, String(256 << 20));
      fs.writeFileSync(`${dir}/cgroup.procs`, String(child.pid));
      const ready = new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ok') && resolve()));
      child.stdin!.write('go\n');
      await ready;
      const m = readCgroupV1Memory(new ProcRoot(), `fs/cgroup/memory/${name}`);
      expect(m.gaps).toEqual([]);
      expect(m.memory.limitBytes).toBe(256 << 20);
      expect(m.memory.usageBytes).toBeGreaterThanOrEqual(32 << 20);
      expect(m.memory.maxUsageBytes).toBeGreaterThanOrEqual(m.memory.usageBytes!);
      expect(m.stat?.rssBytes).toBeGreaterThanOrEqual(32 << 20);
      expect(m.stat?.hierarchicalMemoryLimitBytes).toBe(256 << 20);
      expect(m.oomControl?.oomKill).toBe(0); // 4.13+
      expect(m.memsw.limitBytes === undefined || m.memsw.limitBytes === Infinity).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(dir);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    expect(fs.existsSync(dir)).toBe(false);
  });
});
