import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHvBalloon, parseVirtioDeviceId, parseVmwBalloon } from '../../src/procfs/balloon.js';
import { parseSysBlockStat, parseZramIoStat, parseZramMmStat, readZramDevices } from '../../src/procfs/zram.js';
import { parseModules } from '../../src/procfs/modules.js';
import { parseZswapCounter, readHiddenMemorySources } from '../../src/procfs/hidden-memory.js';
import { parseCgroupValue } from '../../src/procfs/cgroup-kv.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { ParseError } from '../../src/fs/errors.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const cases = (kind: string) => fixturesOfKind(kind).map((f) => [f.rel, f] as const);
const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A scratch root laid out like /proc and /sys, holding copies of shared captures. */
function scratch(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-hidden-'));
  tmpDirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('balloon status files', () => {
  it.each(cases('vmware-balloon'))('vmmemctl: %s', (_rel, f) => {
    const b = parseVmwBalloon(readFixture(f), f.rel);
    expect(b.targetPages).toBe(1023777);
    expect(b.currentPages).toBe(1024000);
    expect(b.currentBytes).toBe(1024000 * 4096);
    // "target" reappears as a hypervisor call counter ("768 (0 failed)"): the first one wins.
    expect(b.raw.timer).toBe(768);
  });

  it('reads the pre-4.20 vmmemctl layout', () => {
    const b = parseVmwBalloon('balloon capabilities: 0x1e\nused capabilities: 0x1e\n\ntarget:               262144 pages\ncurrent:              131072 pages\n');
    expect(b.currentBytes).toBe(131072 * 4096);
    expect(() => parseVmwBalloon('timer: 5\n')).toThrow(ParseError);
  });

  it.each(cases('hyperv-balloon'))('hv-balloon: %s', (_rel, f) => {
    const b = parseHvBalloon(readFixture(f), f.rel);
    expect(b.pageSizeBytes).toBe(4096);
    expect(b.pagesBallooned).toBe(3276800);
    expect(b.balloonedBytes).toBe(12.5 * 1024 ** 3);
    expect(b.capabilities).toEqual(['enabled', 'hot_add']);
    expect(b.state).toBe('1 (Initialized)');
    expect(b.maxDynamicPageCount).toBe(4706304);
  });

  it('reads virtio device ids', () => {
    expect(parseVirtioDeviceId('0x0005\n', 'device')).toBe(5);
    expect(() => parseVirtioDeviceId('5\n', 'device')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError((t) => parseVmwBalloon(t));
    throwsOnlyParseError((t) => parseHvBalloon(t));
    throwsOnlyParseError((t) => parseModules(t));
    throwsOnlyParseError((t) => parseZramMmStat(t));
    throwsOnlyParseError((t) => parseZramIoStat(t));
    throwsOnlyParseError((t) => parseSysBlockStat(t));
  });
});

describe('zram', () => {
  it.each(cases('zram-mm_stat'))('mm_stat: %s', (_rel, f) => {
    const m = parseZramMmStat(readFixture(f), f.rel);
    // Compressed data fits in the pool; the pool's high-water mark is at least its size.
    expect(m.comprDataSizeBytes).toBeLessThanOrEqual(m.memUsedTotalBytes);
    expect(m.memUsedMaxBytes).toBeGreaterThanOrEqual(m.memUsedTotalBytes);
    expect(m.hugePages).toBeDefined(); // 4.19+ captures: 8 columns
    expect(m.hugePagesSince).toBeUndefined();
  });

  it('agrees with the legacy mem_used_total file of the same AOSP device', () => {
    const mm = parseZramMmStat(readFixture('aosp-libmeminfo/testdata1/mm_stat'));
    const [legacy] = fixturesOfKind('zram-mem_used_total');
    expect(parseCgroupValue(readFixture(legacy), legacy.rel, 'mem_used_total')).toBe(mm.memUsedTotalBytes);
  });

  it.each(cases('zram-io_stat'))('io_stat: %s', (_rel, f) => {
    const io = parseZramIoStat(readFixture(f), f.rel);
    expect(io.failedReads + io.failedWrites + io.invalidIo).toBe(0);
  });

  it.each(cases('zram-stat'))('stat: %s', (_rel, f) => {
    const s = parseSysBlockStat(readFixture(f), f.rel);
    expect(s.raw).toHaveLength(17);
    // zram does I/O in whole 4 KiB pages: 8 sectors each.
    expect(s.readSectors % 8).toBe(0);
    expect(s.writeSectors % 8).toBe(0);
  });

  it.each(cases('zram-disksize'))('disksize: %s', (_rel, f) => {
    expect(parseCgroupValue(readFixture(f), f.rel, 'disksize') % 4096).toBe(0);
  });

  it('reads the pcp zram devices as a tree', () => {
    const sys = path.join(SHARED_FIXTURES, 'performancecopilot-pcp/qa/linux/zram-root-001/sys');
    const devs = readZramDevices(new ProcRoot({ procDir: sys, sysDir: sys }));
    expect(devs.map((d) => d.name)).toEqual(['zram0', 'zram1']);
    expect(devs[0]).toMatchObject({ disksizeBytes: 536870912, memUsedTotalBytes: 73728, gaps: [] });
    expect(devs[0].mmStat?.samePages).toBe(1267);
    expect(devs[0].ioStat?.notifyFree).toBe(131072);
    expect(devs[1].disksizeBytes).toBe(0);
  });
});

describe('zswap debugfs', () => {
  it.each(cases('zswap-debugfs'))('%s', (_rel, f) => {
    expect(parseZswapCounter(readFixture(f), f.rel)).toBeGreaterThanOrEqual(0);
  });

  it('reports the pool from a debugfs tree', () => {
    const sys = path.join(SHARED_FIXTURES, 'elastic-agent-system-metrics/metric/memory/testdata/sys');
    const h = readHiddenMemorySources(new ProcRoot({ procDir: sys, sysDir: sys }));
    const z = h.sources.find((s) => s.kind === 'zswap');
    expect(z?.bytes).toBe(147456);
    expect(z?.detail?.stored_pages).toBe(17);
    expect(z?.path).toBe(path.join(sys, 'kernel/debug/zswap'));
    expect(h.modules).toBeUndefined();
    expect(h.gaps).toEqual([]);
  });
});

describe('readHiddenMemorySources on assembled roots', () => {
  it('finds the VMware and Hyper-V balloons with their sizes', () => {
    const dir = scratch({
      'sys/kernel/debug/vmmemctl': readFixture('performancecopilot-pcp/qa/linux/sysfs-vmmemctl-001'),
      'sys/kernel/debug/hv-balloon': readFixture('performancecopilot-pcp/qa/linux/sysfs-hv-balloon-001'),
      'proc/.keep': '',
    });
    const h = readHiddenMemorySources(new ProcRoot({ procDir: path.join(dir, 'proc'), sysDir: path.join(dir, 'sys') }));
    const by = Object.fromEntries(h.sources.map((s) => [s.name, s]));
    expect(by.vmw_balloon).toMatchObject({ kind: 'balloon', bytes: 1024000 * 4096, path: path.join(dir, 'sys/kernel/debug/vmmemctl') });
    expect(by.hv_balloon).toMatchObject({ kind: 'balloon', bytes: 3276800 * 4096 });
  });

  it('finds balloon and GPU modules in /proc/modules, and the Xen balloon in sysfs', () => {
    // Lines in kernel/module/procfs.c m_show layout; no /proc/modules capture is available.
    const modules = [
      'nvidia_uvm 1531904 0 - Live 0x0000000000000000 (POE)',
      'i915 3702784 12 [permanent], Live 0xffffffffc0b00000',
      'virtio_balloon 28672 0 - Live 0x0000000000000000',
      'ext4 1003520 1 - Live 0x0000000000000000',
    ].join('\n');
    const dir = scratch({
      'proc/modules': `${modules}\n`,
      'sys/devices/system/xen_memory/xen_memory0/target_kb': '4194304\n',
      'sys/devices/system/xen_memory/xen_memory0/info/current_kb': '3145728\n',
      'sys/devices/system/xen_memory/xen_memory0/info/low_kb': '1048576\n',
      'sys/devices/system/xen_memory/xen_memory0/info/high_kb': '0\n',
    });
    const h = readHiddenMemorySources(new ProcRoot({ procDir: path.join(dir, 'proc'), sysDir: path.join(dir, 'sys') }));
    expect(h.modules?.map((m) => m.name)).toEqual(['nvidia_uvm', 'i915', 'virtio_balloon', 'ext4']);
    expect(h.modules?.[0].taints).toBe('(POE)');
    expect(h.modules?.[1].usedBy).toEqual(['[permanent]']);
    const fromModules = h.sources.filter((s) => s.path === path.join(dir, 'proc/modules'));
    expect(fromModules.map((s) => [s.name, s.kind])).toEqual([
      ['nvidia_uvm', 'gpu'],
      ['i915', 'gpu'],
      ['virtio_balloon', 'balloon'],
    ]);
    const xen = h.sources.find((s) => s.name === 'xen_balloon');
    expect(xen).toMatchObject({ bytes: 1048576 * 1024, detail: { currentBytes: 3145728 * 1024, targetBytes: 4194304 * 1024 } });
  });

  it('needs a known module state and numeric size', () => {
    expect(() => parseModules('foo 12 0 - Sleeping 0x0\n')).toThrow(ParseError);
    expect(() => parseModules('foo x 0 - Live 0x0\n')).toThrow(ParseError);
    expect(parseModules('foo 4096 - - Live 0x0\n')[0]).toMatchObject({ refcount: undefined, usedBy: [] });
  });
});

const liveSys = fs.existsSync('/sys/bus/virtio/devices') && process.getuid?.() === 0;

describe.skipIf(!liveSys)('readHiddenMemorySources on the live kernel', () => {
  it('detects the virtio balloon device and what else this VM has', () => {
    const h = readHiddenMemorySources(new ProcRoot());
    const balloons = fs.readdirSync('/sys/bus/virtio/devices').filter((d) => fs.readFileSync(`/sys/bus/virtio/devices/${d}/device`, 'utf8').trim() === '0x0005');
    const found = h.sources.filter((s) => s.kind === 'balloon' && s.name === 'virtio_balloon' && s.detail?.device !== undefined);
    expect(found.map((s) => s.detail!.device)).toEqual(balloons);
    for (const s of found) expect(s.detail!.bound).toBe(fs.existsSync(`/sys/bus/virtio/drivers/virtio_balloon/${s.detail!.device}`));
    if (fs.existsSync('/sys/bus/virtio/drivers/virtio_balloon')) expect(h.sources.some((s) => s.path === '/sys/bus/virtio/drivers/virtio_balloon')).toBe(true);
    expect(h.modules === undefined).toBe(!fs.existsSync('/proc/modules'));
    for (const z of h.sources.filter((s) => s.kind === 'zram')) {
      expect(z.bytes).toBe(Number(fs.readFileSync(`/sys/block/${z.name}/mm_stat`, 'utf8').trim().split(/\s+/)[2]));
    }
    if (fs.existsSync('/sys/module/zswap/parameters/enabled')) {
      const z = h.sources.find((s) => s.kind === 'zswap');
      expect(z?.detail?.enabled).toBe(['Y', '1'].includes(fs.readFileSync('/sys/module/zswap/parameters/enabled', 'utf8').trim()));
    }
  });

  it.skipIf(!fs.existsSync('/sys/class/zram-control/hot_add'))('sees data written to a new zram device', async () => {
    const id = Number(fs.readFileSync('/sys/class/zram-control/hot_add', 'utf8').trim());
    const name = `zram${id}`;
    let fd: number | undefined;
    try {
      fs.writeFileSync(`/sys/block/${name}/disksize`, String(64 << 20));
      for (let i = 0; i < 100 && !fs.existsSync(`/dev/${name}`); i++) await new Promise((r) => setTimeout(r, 10));
      // Compressible, and not a page of one repeated word (those become same_pages and use no memory).
      const data = Buffer.alloc(8 << 20);
      for (let o = 0; o < data.length; o += 16) data.write(`ml ${(o / 16) % 1000}`.padEnd(16, '.'), o);
      fd = fs.openSync(`/dev/${name}`, 'r+');
      fs.writeSync(fd, data, 0, data.length, 0);
      fs.fsyncSync(fd);
      const dev = readZramDevices(new ProcRoot()).find((d) => d.name === name);
      expect(dev?.disksizeBytes).toBe(64 << 20);
      expect(dev?.mmStat?.origDataSizeBytes).toBe(8 << 20);
      expect(dev!.mmStat!.comprDataSizeBytes).toBeLessThan(8 << 20);
      expect(dev!.memUsedTotalBytes).toBeGreaterThan(0);
      expect(dev!.memUsedTotalBytes).toBeLessThan(8 << 20);
      const src = readHiddenMemorySources(new ProcRoot()).sources.find((s) => s.name === name);
      expect(src?.bytes).toBeGreaterThan(0);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
      fs.writeFileSync('/sys/class/zram-control/hot_remove', String(id));
    }
    expect(fs.existsSync(`/sys/block/${name}`)).toBe(false);
  });
});
