import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseMountinfo, parseMounts, unmangle } from '../../src/procfs/pid-mountinfo.js';
import { parseProcCgroups } from '../../src/procfs/cgroups.js';
import { cgroupDirOf, cgroupMounts, memoryHierarchies, readMemoryHierarchies, walkCgroupTree } from '../../src/procfs/cgroup-tree.js';
import { memoryCgroupV1Path, readPidCgroup, unifiedCgroupPath } from '../../src/procfs/pid-cgroup.js';
import { readCgroupV2Memory } from '../../src/procfs/cgroup-v2.js';
import { readCgroupV1Memory } from '../../src/procfs/cgroup-v1.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { ParseError } from '../../src/fs/errors.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { shuffledLines, throwsOnlyParseError } from '../helpers/properties.js';

const cases = (kind: string) => fixturesOfKind(kind).map((f) => [f.rel, f] as const);
const nonBlank = (t: string) => t.split('\n').filter((l) => l.trim()).length;

describe('mount tables', () => {
  it.each(cases('mountinfo'))('mountinfo: %s', (_rel, f) => {
    const text = readFixture(f);
    const m = parseMountinfo(text, f.rel);
    expect(m).toHaveLength(nonBlank(text));
    const ids = new Set(m.map((e) => e.mountId));
    expect(ids.size).toBe(m.length);
    // Every capture mounts some cgroup hierarchy.
    expect(cgroupMounts(m).length).toBeGreaterThan(0);
  });

  it.each(cases('mounts'))('mounts: %s', (_rel, f) => {
    const text = readFixture(f);
    const m = parseMounts(text, f.rel);
    expect(m).toHaveLength(nonBlank(text));
    expect(m.every((e) => e.root === '/')).toBe(true);
  });

  it('finds the v1 memory and v2 mounts of a hybrid Ubuntu 18.04 host', () => {
    const m = parseMountinfo(readFixture('elastic-agent-system-metrics/metric/system/cgroup/testdata/ubuntu1804.zip/ubuntu1804/proc/self/mountinfo'));
    const h = memoryHierarchies(m);
    expect(h.v2.map((x) => x.sysRel)).toEqual(['fs/cgroup/unified']);
    expect(h.v1Memory).toEqual([{ version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/', sysRel: 'fs/cgroup/memory', controllers: ['memory'] }]);
    const cpu = cgroupMounts(m).find((x) => x.mountPoint.endsWith('cpu,cpuacct'));
    expect(cpu?.controllers).toEqual(['cpu', 'cpuacct']);
  });

  it('keeps a container mount root and maps paths through it', () => {
    const m = parseMountinfo(readFixture('elastic-agent-system-metrics/metric/system/cgroup/testdata/docker.zip/docker/proc/self/mountinfo'));
    const mem = memoryHierarchies(m).v1Memory[0];
    const id = '3fc95ce32f84e9346c5fbd3bce38045e478aa5b067603955555cbff8445ba74f';
    expect(mem.root).toBe(`/docker/${id}`);
    // The maintainers rewrote mount points to "testdata/...": not under /sys, so no directory.
    expect(mem.sysRel).toBeUndefined();
    const asIfLive = { ...mem, sysRel: 'fs/cgroup/memory' };
    expect(cgroupDirOf(asIfLive, `/docker/${id}`)).toBe('fs/cgroup/memory');
    expect(cgroupDirOf(asIfLive, `/docker/${id}/sub`)).toBe('fs/cgroup/memory/sub');
    expect(cgroupDirOf(asIfLive, '/system.slice')).toBeUndefined();
    expect(cgroupDirOf(asIfLive, `/docker/${id}x`)).toBeUndefined();
  });

  it('reads RHEL6 /cgroup/memory as a mount outside /sys', () => {
    const m = parseMounts(readFixture('performancecopilot-pcp/qa/linux/cgroups-root-001/proc/mounts'));
    const h = memoryHierarchies(m, parseProcCgroups(readFixture('performancecopilot-pcp/qa/linux/cgroups-root-001/proc/cgroups')));
    expect(h.v1Memory.map((x) => [x.mountPoint, x.sysRel])).toEqual([['/cgroup/memory', undefined]]);
    expect(h.memoryOnV2).toBe(false);
  });

  it('decodes the kernel escapes', () => {
    const [e] = parseMountinfo('99 31 0:50 /a\\040b /mnt/with\\040space\\011tab rw shared:3 master:1 - tmpfs my\\134src rw,size=4k\n');
    expect(e.root).toBe('/a b');
    expect(e.mountPoint).toBe('/mnt/with space\ttab');
    expect(e.source).toBe('my\\src');
    expect(e.optionalFields).toEqual(['shared:3', 'master:1']);
    expect(unmangle('\\134040')).toBe('\\040');
  });

  it('rejects lines without the separator or with short fields', () => {
    expect(() => parseMountinfo('1 2 0:3 / /x rw shared:1 tmpfs tmpfs rw\n')).toThrow(ParseError);
    expect(() => parseMounts('tmpfs /x tmpfs rw 0\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError((t) => parseMountinfo(t));
    throwsOnlyParseError((t) => parseMounts(t));
    throwsOnlyParseError((t) => parseProcCgroups(t));
  });
});

describe('parseProcCgroups', () => {
  it.each(cases('proc-cgroups'))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const rows = parseProcCgroups(text, f.rel);
    expect(rows).toHaveLength(text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).length);
    const mem = rows.find((r) => r.subsysName === 'memory');
    expect(mem?.enabled).toBe(true);
    expect(mem!.numCgroups).toBeGreaterThan(0);
  });

  it('reads node_exporter exactly', () => {
    const mem = parseProcCgroups(readFixture('prometheus-node_exporter/collector/fixtures/proc/cgroups')).find((r) => r.subsysName === 'memory');
    expect(mem).toEqual({ subsysName: 'memory', hierarchyId: 7, numCgroups: 234, enabled: true });
  });

  it('does not depend on row order', () => {
    const text = readFixture('performancecopilot-pcp/qa/linux/cgroups-root-004/proc/cgroups');
    const key = (t: string) => parseProcCgroups(t).map((r) => JSON.stringify(r)).sort();
    const base = key(text);
    fc.assert(
      fc.property(shuffledLines(text), (t) => {
        expect(key(t)).toEqual(base);
      }),
      { numRuns: 30 },
    );
  });
});

describe('walkCgroupTree on the pcp 223-cgroup v2 tree', () => {
  const base = path.join(SHARED_FIXTURES, 'performancecopilot-pcp/qa/linux/cgroups-root-004');
  // /proc/mounts says cgroup2 is at /sys/fs/cgroup: the capture's sys/ stands for /sys.
  const root = new ProcRoot({ procDir: path.join(base, 'proc'), sysDir: path.join(base, 'sys') });

  it('finds the v2 hierarchy and that memory is on it', () => {
    const h = readMemoryHierarchies(root);
    expect(h.v2.map((m) => m.sysRel)).toEqual(['fs/cgroup']);
    expect(h.v1Memory).toEqual([]);
    expect(h.memoryOnV2).toBe(true);
  });

  it('lists every cgroup directory, parents first', () => {
    const dirs = walkCgroupTree(root, readMemoryHierarchies(root).v2[0].sysRel!);
    const expected = fixturesOfKind('memory.current-v2')
      .filter((f) => f.rel.includes('cgroups-root-004/'))
      .map((f) => path.dirname(f.rel).replace(/^.*?cgroups-root-004\/sys\/fs\/cgroup/, ''));
    expect(expected).toHaveLength(223);
    expect(dirs[0]).toEqual({ path: '/', rel: 'fs/cgroup', depth: 0 });
    expect(dirs.slice(1).map((d) => d.path).sort()).toEqual(expected.sort());
    const seen = new Set<string>();
    for (const d of dirs) {
      if (d.depth > 0) expect(seen.has(path.posix.dirname(d.path))).toBe(true);
      expect(d.rel).toBe(`fs/cgroup${d.path === '/' ? '' : d.path}`);
      seen.add(d.path);
    }
    expect(dirs.some((d) => d.path.includes('\\x2d'))).toBe(true); // systemd-escaped names kept verbatim
    expect(dirs.map((d) => d.path)).toContain('/system.slice/io.podman.socket'); // named like an io.* file
  });

  it('stops at maxCgroups', () => {
    expect(walkCgroupTree(root, 'fs/cgroup', { maxCgroups: 5 })).toHaveLength(5);
  });
});

const live = process.getuid?.() === 0 && fs.existsSync('/proc/self/mountinfo') && fs.existsSync('/sys/fs/cgroup');

function waitExit(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

async function rmdirRetry(dir: string): Promise<void> {
  for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
    try {
      fs.rmdirSync(dir);
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe.skipIf(!live)('cgroup hierarchies on the live kernel', () => {
  it('finds new v1 and v2 cgroups and attributes a process to them', async () => {
    const root = new ProcRoot();
    const h = readMemoryHierarchies(root);
    const v1 = h.v1Memory.find((m) => m.root === '/' && m.sysRel !== undefined);
    const v2 = h.v2.find((m) => m.root === '/' && m.sysRel !== undefined);
    expect(v1 ?? v2).toBeDefined();
    const name = `memledger-tree-${process.pid}`;
    const made: string[] = [];
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      if (v1) {
        const top = root.sysPath(`${v1.sysRel}/${name}`);
        fs.mkdirSync(top);
        made.push(top);
        fs.mkdirSync(`${top}/child`);
        made.push(`${top}/child`);
        fs.writeFileSync(`${top}/child/cgroup.procs`, String(child.pid));
        const paths = walkCgroupTree(root, v1.sysRel!).map((d) => d.path);
        expect(paths).toContain(`/${name}`);
        expect(paths).toContain(`/${name}/child`);
        expect(paths.indexOf(`/${name}`)).toBeLessThan(paths.indexOf(`/${name}/child`));
        const p = memoryCgroupV1Path(readPidCgroup(root, child.pid!));
        expect(p).toBe(`/${name}/child`);
        const rel = cgroupDirOf(v1, p!);
        expect(rel).toBe(`${v1.sysRel}/${name}/child`);
        // Charges stay where they were made (move_charge_at_immigrate 0): usage is read, maybe 0.
        const mem = readCgroupV1Memory(root, rel!);
        expect(mem.gaps).toEqual([]);
        expect(mem.memory.usageBytes).toBeGreaterThanOrEqual(0);
      }
      if (v2) {
        const dir = root.sysPath(`${v2.sysRel}/${name}`);
        fs.mkdirSync(dir);
        made.push(dir);
        fs.writeFileSync(`${dir}/cgroup.procs`, String(child.pid));
        expect(walkCgroupTree(root, v2.sysRel!).map((d) => d.path)).toContain(`/${name}`);
        const rel = cgroupDirOf(v2, unifiedCgroupPath(readPidCgroup(root, child.pid!))!);
        expect(rel).toBe(`${v2.sysRel}/${name}`);
        const m = readCgroupV2Memory(root, rel!);
        expect(m.gaps).toEqual([]);
        // memory.* files exist only where the memory controller is enabled on v2.
        const controllers = fs.readFileSync(root.sysPath(`${v2.sysRel}/cgroup.controllers`), 'utf8');
        expect(m.memoryCurrentBytes === undefined).toBe(!controllers.split(/\s+/).includes('memory'));
        expect(h.memoryOnV2).toBe(controllers.split(/\s+/).includes('memory'));
      }
    } finally {
      child.kill('SIGKILL');
      await waitExit(child);
      for (const d of made.reverse()) await rmdirRetry(d);
    }
    for (const d of made) expect(fs.existsSync(d)).toBe(false);
  });
});
