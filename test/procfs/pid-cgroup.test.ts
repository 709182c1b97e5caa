import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { memoryCgroupV1Path, parsePidCgroup, readPidCgroup, unifiedCgroupPath } from '../../src/procfs/pid-cgroup.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

describe('parsePidCgroup', () => {
  const fixtures = [...fixturesOfKind('proc-pid-cgroup'), ...fixturesOfKind('cgroup')];

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const entries = parsePidCgroup(text, f.rel);
    expect(entries.length).toBe(text.split('\n').filter((l) => l.trim()).length);
    for (const e of entries) {
      expect(e.path.startsWith('/')).toBe(true);
      // Only the unified hierarchy has id 0 and no controllers.
      expect(e.hierarchyId === 0).toBe(e.controllers.length === 0);
    }
    // A controller is bound to one v1 hierarchy at most.
    const all = entries.flatMap((e) => e.controllers);
    expect(new Set(all).size).toBe(all.length);
  });

  it('reads the 6.18 hybrid capture exactly', () => {
    const entries = parsePidCgroup(readFixture('host-6.18-fork-share/proc/17226/cgroup'));
    expect(entries.length).toBe(10);
    expect(entries[0]).toEqual({ hierarchyId: 9, controllers: ['name=systemd'], path: '/' });
    expect(entries[5]).toEqual({ hierarchyId: 4, controllers: ['memory'], path: '/process_api/38bda80c56536b8bc16a044d7fca71a7' });
    expect(entries[9]).toEqual({ hierarchyId: 0, controllers: [], path: '/' });
    expect(memoryCgroupV1Path(entries)).toBe('/process_api/38bda80c56536b8bc16a044d7fca71a7');
    expect(unifiedCgroupPath(entries)).toBe('/');
  });

  it('finds the memory hierarchy among co-mounted v1 controllers', () => {
    const entries = parsePidCgroup('3:perf_event,blkio,net_cls,freezer,devices,memory,cpuacct,cpu,cpuset:/lxc/web\n2:name=systemd:/user/1000.user/1.session\n');
    expect(memoryCgroupV1Path(entries)).toBe('/lxc/web');
    expect(unifiedCgroupPath(entries)).toBeUndefined();
    expect(entries[1].controllers).toEqual(['name=systemd']);
  });

  it('reads v1-only, v2-only and hybrid processes', () => {
    const dir = 'elastic-agent-system-metrics/metric/system/cgroup/testdata/docker.zip/docker/proc';
    const v2 = parsePidCgroup(readFixture(`${dir}/312/cgroup`));
    expect(unifiedCgroupPath(v2)).toBe('/system.slice/docker-1c8fa019edd4b9d4b2856f4932c55929c5c118c808ed5faee9a135ca6e84b039.scope');
    expect(memoryCgroupV1Path(v2)).toBeUndefined();
    const v1 = parsePidCgroup(readFixture(`${dir}/1/cgroup`));
    expect(memoryCgroupV1Path(v1)).toBe('/docker/123');
    expect(unifiedCgroupPath(v1)).toBeUndefined();
    const hybrid = parsePidCgroup(readFixture('host-6.18-fork-share/proc/17226/cgroup'));
    expect(memoryCgroupV1Path(hybrid)).toBeDefined();
    expect(unifiedCgroupPath(hybrid)).toBeDefined();
  });

  it('keeps colons in the path and reads an empty file as no entries', () => {
    expect(parsePidCgroup('0::/a:b/c\n')[0].path).toBe('/a:b/c');
    expect(parsePidCgroup('')).toEqual([]);
  });

  it('reads this process', () => {
    const entries = readPidCgroup(new ProcRoot(), process.pid);
    expect(entries.length).toBeGreaterThan(0);
  });

  it('throws ParseError on a line without three fields', () => {
    expect(() => parsePidCgroup('memory:/x\n')).toThrow(ParseError);
    expect(() => parsePidCgroup('x:memory:/x\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidCgroup);
  });

  it('gives the same memory and unified paths whatever the line order', () => {
    const text = readFixture('host-6.18-fork-share/proc/17226/cgroup');
    const base = parsePidCgroup(text);
    fc.assert(
      fc.property(shuffledLines(text), (t) => {
        const e = parsePidCgroup(t);
        expect(memoryCgroupV1Path(e)).toBe(memoryCgroupV1Path(base));
        expect(unifiedCgroupPath(e)).toBe(unifiedCgroupPath(base));
      }),
      { numRuns: 30 },
    );
  });
});
