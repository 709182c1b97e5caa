import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseKmsgOom, parseKmsgOomRecords, type OomReport } from '../../src/procfs/kmsg-oom.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const HOST = 'host-6.18-fork-share/kmsg/memcg-v1-oom.dmesg.txt';
const ARCH = 'CarstenGrohmann-OOMAnalyser/OOMAnalyser.py/OOMDisplay.example_archlinux_6_1_1.txt';
const RHEL7 = 'CarstenGrohmann-OOMAnalyser/OOMAnalyser.py/OOMDisplay.example_rhel7.txt';
const PROXMOX = 'CarstenGrohmann-OOMAnalyser/OOMAnalyser.py/OOMDisplay.example_proxmox_cgroup_oom.txt';
const CADVISOR_MEMCG = 'google-cadvisor/utils/oomparser/containerOomExampleLog.txt';
const SYZ_FRAGMENT = 'google-syzkaller/pkg/report/testdata/linux/report/334';

/** The report without where it sat in the input: what interleaving or reformatting must not change. */
function content(r: OomReport): Omit<OomReport, 'firstLine' | 'lastLine'> {
  const { firstLine: _f, lastLine: _l, ...rest } = r;
  return rest;
}

describe('parseKmsgOom on every oom-log capture', () => {
  const fixtures = fixturesOfKind('oom-log');

  it('has the 8 captures the project relies on', () => {
    expect(fixtures.length).toBe(8);
  });

  it.each(fixtures.map((f) => [f.rel, f] as const))('%s: one OOM report, complete or saying what is missing', (rel, f) => {
    const kills = parseKmsgOom(readFixture(f)).filter((r) => r.kind === 'oom-kill');
    expect(kills.length).toBe(1);
    const r = kills[0];
    // Nothing split off: a kill whose header went to another record would be missing its header.
    expect(r.missing).not.toContain('header');
    expect(r.invoker.comm).toBeTruthy();
    if (rel === SYZ_FRAGMENT) {
      expect(r.victim).toBeUndefined();
      expect(r.missing).toContain('victim');
      return;
    }
    const v = r.victim!;
    expect(v).toBeDefined();
    expect(r.missing).toEqual([]);
    const row = r.tasks!.find((t) => t.pid === v.pid)!;
    expect(row, 'the victim is in the tasks table').toBeDefined();
    expect(row.name).toBe(v.comm);
    // The table counts pages; the kill line kB: the same memory once the page size is applied.
    expect(row.rssPages * r.pageSizeBytes).toBeGreaterThan(0.9 * (v.anonRssBytes + v.fileRssBytes));
    expect(r.constraint).toBeDefined();
    if (r.constraint === 'CONSTRAINT_MEMCG') expect(r.memcg?.memory?.usageBytes).toBeGreaterThan(0);
    else expect(r.memInfo?.freeBytes).toBeGreaterThan(0);
  });

  it('reads the 6.18 capture from this machine exactly', () => {
    const [r] = parseKmsgOom(readFixture(HOST));
    expect(r.timeSec).toBe(549.985325);
    expect(r.invoker).toMatchObject({ comm: 'python3', pid: 4857, gfpMask: '0xcc0', gfpFlags: ['GFP_KERNEL'], order: 0, oomScoreAdj: 0, cpuset: '/', memsAllowed: '0' });
    expect(r.constraint).toBe('CONSTRAINT_MEMCG');
    expect(r.constraintInferred).toBeUndefined();
    expect(r.memcg).toMatchObject({
      path: '/mltest',
      taskPath: '/mltest',
      memory: { usageBytes: 102400 * 1024, limitBytes: 102400 * 1024, failcnt: 400 },
      memsw: { usageBytes: 102400 * 1024, limitBytes: null, failcnt: 0 },
      kmem: { usageBytes: 300 * 1024, limitBytes: null, failcnt: 0 },
    });
    expect(r.memcg!.stats.total_rss).toBe(104550400);
    expect(r.tasks).toEqual([
      { pid: 4857, uid: 0, tgid: 4857, totalVmPages: 28046, rssPages: 27099, rssAnonPages: 25504, rssFilePages: 1595, rssShmemPages: 0, pgtablesBytes: 266240, swapEntsPages: 0, oomScoreAdj: 0, name: 'python3' },
    ]);
    expect(r.victim).toEqual({
      pid: 4857,
      comm: 'python3',
      message: 'Memory cgroup out of memory',
      totalVmBytes: 112184 * 1024,
      anonRssBytes: 102016 * 1024,
      fileRssBytes: 6380 * 1024,
      shmemRssBytes: 0,
      uid: 0,
      pgtablesBytes: 260 * 1024,
      oomScoreAdj: 0,
      timeSec: 550.009289,
    });
    expect(r.pageSizeBytes).toBe(4096);
    expect(r.pageSizeFrom).toBe('victim-rss');
  });

  it('attaches the oom_reaper line and reads Mem-Info in pages (Arch 6.1)', () => {
    const [r] = parseKmsgOom(readFixture(ARCH));
    expect(r.reaper).toMatchObject({ pid: 473206, comm: 'doxygen', reaped: true, anonRssBytes: 0 });
    expect(r.tasks!.length).toBe(112);
    expect(r.memInfo!.pages.active_anon).toBe(1413442);
    expect(r.memInfo!.activeAnonBytes).toBe(1413442 * 4096);
    expect(r.memInfo!.swapTotalBytes).toBe(25165820 * 1024);
    expect(r.memInfo!.ramBytes).toBe(4115400 * 4096);
    expect(r.memInfo!.zones.map((z) => `${z.node}/${z.zone}`)).toEqual(['0/DMA', '0/DMA32', '0/Normal']);
    expect(r.memInfo!.zones[2].freeBlocks.slice(0, 3)).toEqual([6676, 2120, 595]);
    expect(r.memcg).toBeUndefined();
  });

  it('reads 3.10 (RHEL 7): nr_ptes table, #012-joined Mem-Info, "Kill process ... or sacrifice child"', () => {
    const [r] = parseKmsgOom(readFixture(RHEL7));
    expect(r.taskColumns).toContain('nr_ptes');
    expect(r.tasks!.find((t) => t.name === 'mysqld')).toMatchObject({ pid: 6576, nrPtes: 15483, swapEntsPages: 1527848 });
    expect(r.memInfo!.pages.active_file).toBe(1263);
    expect(r.memInfo!.pages.free).toBe(39513);
    expect(r.victim).toMatchObject({ pid: 6576, comm: 'mysqld', selectedScore: 651, message: 'Out of memory' });
    expect(r.victim!.selectedPid).toBeUndefined();
    expect(r.constraint).toBe('CONSTRAINT_NONE');
    expect(r.constraintInferred).toBe(true);
  });

  it('keeps dmesg -T time text and cgroup v2 memcg lines (Proxmox 5.15)', () => {
    const [r] = parseKmsgOom(readFixture(PROXMOX));
    expect(r.wallTime).toBe('Di Aug 12 03:54:03 2025');
    expect(r.timeSec).toBeUndefined();
    expect(r.memcg!.path).toBe('/lxc/39004');
    expect(r.memcg!.swap).toEqual({ usageBytes: 0, limitBytes: 0, failcnt: 0 });
    // memory.stat continuation lines of one multi-line printk, without any prefix.
    expect(r.memcg!.stats.anon).toBe(31154200576);
    expect(r.memcg!.stats.thp_collapse_alloc).toBe(0);
  });

  it('drops other programs\' syslog lines and reads 3.13 memcg lines (cadvisor)', () => {
    const [r, ...rest] = parseKmsgOom(readFixture(CADVISOR_MEMCG));
    expect(rest).toEqual([]);
    expect(r.wallTime).toBe('Jan  5 15:19:27');
    expect(r.memcg).toMatchObject({ path: '/mem2', taskPath: '/mem2', memory: { limitBytes: 980 * 1024 } });
    expect(r.memcg!.stats.rss).toBe(980 * 1024);
    expect(r.constraint).toBe('CONSTRAINT_MEMCG');
    expect(r.constraintInferred).toBe(true);
  });

  it('keeps a header-only fragment and says what is missing (syzkaller 334)', () => {
    const [r] = parseKmsgOom(readFixture(SYZ_FRAGMENT));
    expect(r.invoker).toMatchObject({ comm: 'syz-executor642', nodemask: '(null)', oomScoreAdj: 1000, cpuset: 'syz4', memsAllowed: '0-1' });
    expect(r.missing).toEqual(expect.arrayContaining(['victim', 'tasks', 'invoker pid']));
  });
});

describe('parseKmsgOom on Mem-Info dumps (mem-info-dump captures)', () => {
  it.each(fixturesOfKind('mem-info-dump').map((f) => [f.rel, f] as const))('%s', (_rel, f) => {
    const text = readFixture(f);
    const rs = parseKmsgOom(text);
    expect(rs.length).toBeGreaterThan(0);
    for (const r of rs) {
      expect(r.kind).not.toBe('oom-kill');
      expect(r.memInfo?.pages.free, 'the free counter despite interleaved traces').toBeGreaterThan(0);
      expect(r.memInfo!.pages.active_anon).toBeGreaterThan(0);
      // 206 ends (the console capture stops) before show_mem's trailer.
      if (text.includes('1965969 pages RAM')) expect(r.memInfo!.ramBytes).toBe(1965969 * 4096);
      else expect(r.memInfo!.ramBytes).toBeUndefined();
    }
  });
});

describe('robustness', () => {
  const base = parseKmsgOom(readFixture(HOST)).map(content);
  const lines = readFixture(HOST).trimEnd().split('\n');
  const foreign = [
    '[  550.000001] CPU: 0 UID: 0 PID: 1 Comm: systemd Not tainted 6.18.44 #1',
    '[  550.000002]  ? srso_alias_return_thunk+0x5/0xfbef5',
    '[  550.000003] RIP: 0010:native_safe_halt+0xb/0x10',
    '[  550.000004] e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex',
    '[  550.000005] Node 0 ',
    '[  550.000006] audit: type=1400 audit(1700000000.123:42): apparmor="DENIED"',
    'a console line with no prefix at all',
  ];

  it('is unchanged by lines from other CPUs interleaved anywhere after the header', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: lines.length - 1 }), fc.constantFrom(...foreign)), { maxLength: 12 }), (inserts) => {
        const out = [...lines];
        for (const [at, l] of [...inserts].sort((a, b) => b[0] - a[0])) out.splice(at, 0, l);
        expect(parseKmsgOom(out.join('\n')).map(content)).toEqual(base);
      }),
      { numRuns: 100 },
    );
  });

  it('reads raw /dev/kmsg records like dmesg text, and ignores user-space records', () => {
    const raw = lines.map((l, i) => {
      const m = /^\[\s*(\d+)\.(\d+)\] (.*)$/.exec(l)!;
      return `4,${1000 + i},${m[1]}${m[2]},-;${m[3]}\n SUBSYSTEM=memory`;
    });
    raw.splice(5, 0, '12,999,550000000,-;Out of memory: Killed process 1 (init) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB');
    expect(parseKmsgOom(raw.join('\n')).map(content)).toEqual(base);
  });

  it('reads journalctl -k / syslog prefixes like dmesg text', () => {
    const syslog = lines.map((l) => `Aug 12 03:54:03 vm kernel: ${l}`).join('\n');
    const journalMono = lines.map((l) => l.replace(/^(\[\s*\d+\.\d+\]) /, '$1 vm kernel: ')).join('\n');
    expect(parseKmsgOom(journalMono).map(content)).toEqual(base);
    expect(parseKmsgOom(syslog).map((r) => ({ ...content(r), wallTime: undefined }))).toEqual(base.map((r) => ({ ...r, wallTime: undefined })));
    expect(parseKmsgOom(syslog)[0].wallTime).toBe('Aug 12 03:54:03');
  });

  it('turns /dev/kmsg records (escaped newlines, facility) into the same reports', () => {
    const recs = lines.map((l, i) => {
      const m = /^\[\s*(\d+)\.(\d+)\] (.*)$/.exec(l)!;
      return { level: 4, facility: 0, seq: i, usec: Number(m[1] + m[2]), flags: '-', message: m[3], dict: {} };
    });
    expect(parseKmsgOomRecords(recs).map(content)).toEqual(base);
  });

  it('never throws on arbitrary text', () => {
    throwsOnlyParseError(parseKmsgOom);
  });
});
