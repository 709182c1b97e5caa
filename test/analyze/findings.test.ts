import { afterEach, describe, expect, it } from 'vitest';
import { collectSample } from '../../src/collect/collector.js';
import { RULES, evaluateFindings } from '../../src/analyze/findings.js';
import { ledgerReport } from '../../src/analyze/report.js';
import { THRESHOLDS as T } from '../../src/analyze/thresholds.js';
import { formatBytes } from '../../src/fields/units.js';
import { fakeProc, statLine } from '../helpers/fake-proc.js';

/**
 * Each rule on small hand-built trees: a healthy 16 GiB machine, then one counter moved just
 * above the rule's threshold (fires) and just below it (does not). Values are in kB, as
 * /proc/meminfo prints them.
 */

const MiB_KB = 1024;
const GiB_KB = 1024 * 1024;
const TOTAL_KB = 16 * GiB_KB;

type Kb = Record<string, number>;

const HEALTHY: Kb = {
  MemTotal: TOTAL_KB,
  // The lines below hold 2534 MiB; free leaves 100 MiB unexplained, as on a real idle machine.
  MemFree: 13750 * MiB_KB,
  MemAvailable: 14848 * MiB_KB,
  Buffers: 100 * MiB_KB,
  Cached: 1 * GiB_KB,
  SwapCached: 0,
  'Active(file)': 512 * MiB_KB,
  'Inactive(file)': 448 * MiB_KB,
  SwapTotal: 0,
  SwapFree: 0,
  AnonPages: 1 * GiB_KB,
  Mapped: 200 * MiB_KB,
  Shmem: 64 * MiB_KB,
  SReclaimable: 200 * MiB_KB,
  SUnreclaim: 100 * MiB_KB,
  KernelStack: 16 * MiB_KB,
  PageTables: 32 * MiB_KB,
  CommitLimit: 8 * GiB_KB,
  Committed_AS: 4 * GiB_KB,
  VmallocUsed: 50 * MiB_KB,
  Percpu: 4 * MiB_KB,
  AnonHugePages: 0,
  HugePages_Total: 0,
  HugePages_Free: 0,
  HugePages_Rsvd: 0,
  HugePages_Surp: 0,
  Hugepagesize: 2048,
  Hugetlb: 0,
};

function meminfoText(kb: Kb): string {
  return Object.entries(kb)
    .map(([k, v]) => (k.startsWith('HugePages_') ? `${k}: ${v}` : `${k}: ${v} kB`))
    .join('\n') + '\n';
}

interface Proc {
  pid: number;
  ppid?: number;
  comm: string;
  rssKb: number;
  pssKb?: number;
  pssShmemKb?: number;
  pteKb?: number;
  swapKb?: number;
  /** RssShmem in status, kB. */
  rssShmemKb?: number;
  /** smaps_rollup unreadable (as for pid 1 in some sandboxes, even for root). */
  noRollup?: boolean;
}

interface Scene {
  mem?: Kb;
  overcommit?: number;
  thp?: string;
  ksmPagesSharing?: number;
  procs?: Proc[];
  virtioBalloon?: boolean;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function statusText(p: Proc): string {
  return [
    `Name:\t${p.comm}`, 'State:\tS (sleeping)', `Tgid:\t${p.pid}`, `Pid:\t${p.pid}`, `PPid:\t${p.ppid ?? 1}`,
    'Uid:\t0\t0\t0\t0', 'Gid:\t0\t0\t0\t0', `VmRSS:\t${p.rssKb} kB`, `VmPTE:\t${p.pteKb ?? 0} kB`, `VmSwap:\t${p.swapKb ?? 0} kB`, `RssShmem:\t${p.rssShmemKb ?? 0} kB`,
  ].join('\n') + '\n';
}

function rollupText(p: Proc): string {
  const pss = p.pssKb ?? p.rssKb;
  const lines: [string, number][] = [
    ['Rss', p.rssKb], ['Pss', pss], ['Pss_Anon', pss - (p.pssShmemKb ?? 0)], ['Pss_File', 0], ['Pss_Shmem', p.pssShmemKb ?? 0],
    ['Shared_Clean', 0], ['Shared_Dirty', p.rssKb - pss], ['Private_Clean', 0], ['Private_Dirty', pss], ['Referenced', p.rssKb],
    ['Anonymous', p.rssKb], ['LazyFree', 0], ['AnonHugePages', 0], ['ShmemPmdMapped', 0], ['FilePmdMapped', 0],
    ['Shared_Hugetlb', 0], ['Private_Hugetlb', 0], ['Swap', p.swapKb ?? 0], ['SwapPss', p.swapKb ?? 0], ['Locked', 0],
  ];
  return '00400000-7ffd00000000 ---p 00000000 00:00 0                          [rollup]\n' + lines.map(([k, v]) => `${k}: ${v} kB`).join('\n') + '\n';
}

function run(scene: Scene) {
  const b = fakeProc().meminfo(meminfoText({ ...HEALTHY, ...scene.mem }));
  b.file('sys/vm/overcommit_memory', `${scene.overcommit ?? 0}\n`);
  b.sys('kernel/mm/transparent_hugepage/enabled', scene.thp ?? 'always [madvise] never\n');
  b.sys('kernel/mm/ksm/pages_sharing', `${scene.ksmPagesSharing ?? 0}\n`);
  b.sys('kernel/mm/ksm/pages_shared', '0\n');
  if (scene.virtioBalloon) {
    b.sys('bus/virtio/devices/virtio0/device', '0x0005\n');
    b.sys('module/virtio_mem/parameters/unplug_online', 'Y\n');
  }
  for (const p of scene.procs ?? [{ pid: 100, comm: 'init', rssKb: 8 * MiB_KB, pssKb: 6 * MiB_KB }]) {
    b.pid(p.pid, {
      stat: statLine({ pid: p.pid, comm: p.comm, ppid: p.ppid ?? 1, rssPages: p.rssKb / 4 }),
      status: statusText(p),
      smaps_rollup: p.noRollup ? undefined : rollupText(p),
      cmdline: `${p.comm}\0`,
    });
  }
  const t = b.build();
  cleanups.push(t.cleanup);
  const sample = collectSample(t.root, { system: ['slabinfo', 'vmallocinfo', 'sysfs', 'sysctl'] });
  const report = ledgerReport(sample, (n) => formatBytes(n));
  return { sample, report, ids: report.findings.map((f) => f.id) };
}

/** The finding of one rule, evaluated alone on the scene. */
function rule(id: string, scene: Scene) {
  const { sample, report } = run(scene);
  return RULES[id]({ sample, ledger: report.ledger, owners: report.owners, fmt: (n) => formatBytes(n) });
}

const kbOf = (share: number, ofKb = TOTAL_KB): number => Math.floor(share * ofKb);

describe('the healthy base machine', () => {
  it('fires no rule', () => {
    const { sample, report, ids } = run({});
    expect(ids).toEqual([]);
    expect(evaluateFindings({ sample, ledger: report.ledger, owners: report.owners, fmt: (n) => formatBytes(n) })).toEqual([]);
    expect(report.ledger.unexplainedBytes).toBe(100 * 1024 * 1024);
  });
});

describe('each rule, just above and just below its threshold', () => {
  it('rss-exceeds-used: summed RSS above 1.25 x used, naming the sharing family', () => {
    const usedKb = HEALTHY.MemTotal - HEALTHY.MemAvailable;
    const limitKb = usedKb * T.rssOverUsedFactor;
    const family = (totalKb: number): Proc[] => [
      { pid: 200, comm: 'postgres', rssKb: totalKb / 4, pssKb: 10 * MiB_KB },
      ...[201, 202, 203].map((pid) => ({ pid, ppid: 200, comm: 'postgres', rssKb: totalKb / 4, pssKb: 10 * MiB_KB })),
    ];
    const above = rule('rss-exceeds-used', { procs: family(limitKb + 4 * 4) });
    expect(above?.numbers.rssSumBytes).toBe((limitKb + 16) * 1024);
    expect(above?.explanation).toMatch(/postgres \[200\] \(4 processes/);
    // A process whose PSS is unknown is no sharer, however large its RSS.
    const unreadable: Proc = { pid: 2, comm: 'sandboxed', rssKb: 64 * MiB_KB, noRollup: true };
    expect(rule('rss-exceeds-used', { procs: [...family(limitKb), unreadable] })?.explanation).not.toMatch(/sandboxed/);
    expect(rule('rss-exceeds-used', { procs: family(limitKb) })).toBeUndefined();
  });

  it('cache-reclaimable: available minus free at 25% of MemTotal', () => {
    const gap = kbOf(T.cacheReclaimableShare);
    expect(rule('cache-reclaimable', { mem: { MemFree: 8 * GiB_KB, MemAvailable: 8 * GiB_KB + gap, Cached: 5 * GiB_KB } })).toBeDefined();
    expect(rule('cache-reclaimable', { mem: { MemFree: 8 * GiB_KB, MemAvailable: 8 * GiB_KB + gap - 4, Cached: 5 * GiB_KB } })).toBeUndefined();
  });

  it('slab-large: slab at 15% of MemTotal, with the largest caches when slabinfo is there', () => {
    const slab = kbOf(T.slabShare) + 4;
    const f = rule('slab-large', { mem: { SReclaimable: slab - 100 * MiB_KB, MemFree: 9 * GiB_KB } });
    expect(f?.numbers.slabBytes).toBe(slab * 1024);
    expect(rule('slab-large', { mem: { SReclaimable: slab - 100 * MiB_KB - 8, MemFree: 9 * GiB_KB } })).toBeUndefined();
  });

  it('pagetables-large: page tables at 3% of MemTotal, naming the processes with most', () => {
    const pt = kbOf(T.pageTablesShare) + 4;
    const procs: Proc[] = [{ pid: 300, comm: 'bigmap', rssKb: 1 * GiB_KB, pteKb: 400 * MiB_KB }];
    expect(rule('pagetables-large', { mem: { PageTables: pt }, procs })?.explanation).toMatch(/bigmap \[300\] 400 MiB/);
    expect(rule('pagetables-large', { mem: { PageTables: pt - 8 }, procs })).toBeUndefined();
  });

  it('unexplained-large: unexplained at 5% of MemTotal (above the 256 MiB floor), naming balloon and memory devices', () => {
    const base = run({}).report.ledger.unexplainedBytes / 1024;
    const target = kbOf(T.unexplainedShare) + 4;
    const scene = (u: number): Scene => ({ mem: { MemFree: HEALTHY.MemFree - (u - base) }, virtioBalloon: true });
    const f = rule('unexplained-large', scene(target));
    expect(f?.numbers.unexplainedBytes).toBe(target * 1024);
    expect(f?.explanation).toContain('virtio_balloon (balloon) [/sys/bus/virtio/devices/virtio0/device]');
    expect(f?.explanation).toContain('virtio_mem (memory-device) [/sys/module/virtio_mem]');
    expect(rule('unexplained-large', scene(target - 8))).toBeUndefined();
  });

  it('unexplained-large: the 256 MiB floor holds on a small machine', () => {
    const small: Kb = { MemTotal: 2 * GiB_KB, MemFree: 0, MemAvailable: 1 * GiB_KB, Cached: 0, Shmem: 0, AnonPages: 0, Buffers: 0, SReclaimable: 0, SUnreclaim: 0, KernelStack: 0, PageTables: 0, VmallocUsed: 0, Percpu: 0, Mapped: 0 };
    // 200 MiB unexplained: 9.8% of 2 GiB, but under the floor.
    expect(rule('unexplained-large', { mem: { ...small, MemFree: small.MemTotal - 200 * MiB_KB } })).toBeUndefined();
    expect(rule('unexplained-large', { mem: { ...small, MemFree: small.MemTotal - 257 * MiB_KB } })).toBeDefined();
  });

  it('unexplained-large: says when meminfo Balloon: rules the balloon out', () => {
    const f = rule('unexplained-large', { mem: { MemFree: 10 * GiB_KB, Balloon: 0 }, virtioBalloon: true });
    expect(f?.explanation).toMatch(/virtio_balloon \(balloon\), meminfo Balloon: 0 B/);
    expect(f?.explanation).toMatch(/does not explain it/);
  });

  it('hugetlb-idle: free unreserved huge pages at 2% of MemTotal', () => {
    const pages = Math.ceil(kbOf(T.hugetlbIdleShare) / 2048);
    const pool = (free: number): Kb => ({ HugePages_Total: 1000, HugePages_Free: free, HugePages_Rsvd: 10, Hugetlb: 1000 * 2048, MemFree: 10 * GiB_KB });
    expect(rule('hugetlb-idle', { mem: pool(pages + 10) })?.numbers.idleHugetlbBytes).toBe(pages * 2048 * 1024);
    expect(rule('hugetlb-idle', { mem: pool(pages + 9) })).toBeUndefined();
  });

  it('shmem-unowned: shmem no process maps at 5% of MemTotal', () => {
    const mapped = 100 * MiB_KB;
    const procs: Proc[] = [{ pid: 400, comm: 'shmuser', rssKb: 200 * MiB_KB, pssKb: 200 * MiB_KB, pssShmemKb: mapped }];
    const shmem = (unowned: number): Scene => ({ mem: { Shmem: mapped + unowned, Cached: 2 * GiB_KB + unowned }, procs });
    expect(rule('shmem-unowned', shmem(kbOf(T.shmemUnownedShare) + 4))?.numbers.shmemUnmappedBytes).toBe((kbOf(T.shmemUnownedShare) + 4) * 1024);
    expect(rule('shmem-unowned', shmem(kbOf(T.shmemUnownedShare) - 4))).toBeUndefined();
  });

  it('shmem-unowned: a process without smaps_rollup counts with its whole RssShmem, not as zero', () => {
    const unowned = kbOf(T.shmemUnownedShare) + 4;
    const procs: Proc[] = [
      { pid: 400, comm: 'shmuser', rssKb: 200 * MiB_KB, pssKb: 200 * MiB_KB, pssShmemKb: 100 * MiB_KB },
      { pid: 401, comm: 'sandboxed', rssKb: 300 * MiB_KB, rssShmemKb: 300 * MiB_KB, noRollup: true },
    ];
    const scene = (u: number): Scene => ({ mem: { Shmem: 400 * MiB_KB + u, Cached: 2 * GiB_KB + u }, procs });
    expect(rule('shmem-unowned', scene(unowned))?.numbers.shmemUnmappedBytes).toBe(unowned * 1024);
    expect(rule('shmem-unowned', scene(unowned - 8))).toBeUndefined();
  });

  it('swap-used: swap in use at 10% of SwapTotal, naming who holds it', () => {
    const procs: Proc[] = [{ pid: 500, comm: 'swappy', rssKb: 10 * MiB_KB, swapKb: 300 * MiB_KB }];
    const swap = (usedKb: number): Scene => ({ mem: { SwapTotal: 4 * GiB_KB, SwapFree: 4 * GiB_KB - usedKb }, procs });
    expect(rule('swap-used', swap(kbOf(T.swapUsedShare, 4 * GiB_KB) + 4))?.explanation).toMatch(/swappy \[500\] 300 MiB/);
    expect(rule('swap-used', swap(kbOf(T.swapUsedShare, 4 * GiB_KB) - 4))).toBeUndefined();
  });

  it('commit-near-limit: Committed_AS at 90% of CommitLimit, in strict mode only', () => {
    const at = Math.ceil(T.commitShare * HEALTHY.CommitLimit);
    const fired = run({ mem: { Committed_AS: at }, overcommit: 2 });
    expect(fired.sample.system.overcommitMemory, JSON.stringify(fired.sample.header.gaps)).toBe(2);
    expect(rule('commit-near-limit', { mem: { Committed_AS: at }, overcommit: 2 })?.severity).toBe('warning');
    expect(rule('commit-near-limit', { mem: { Committed_AS: at - 4 }, overcommit: 2 })).toBeUndefined();
    // Modes 0 and 1 never enforce the limit: twice over it is no finding.
    expect(rule('commit-near-limit', { mem: { Committed_AS: 2 * HEALTHY.CommitLimit }, overcommit: 0 })).toBeUndefined();
  });

  it('compression-poor: zswap ratio under 2:1', () => {
    expect(rule('compression-poor', { mem: { Zswap: 100 * MiB_KB, Zswapped: 200 * MiB_KB - 4, MemFree: 11 * GiB_KB } })).toBeDefined();
    expect(rule('compression-poor', { mem: { Zswap: 100 * MiB_KB, Zswapped: 200 * MiB_KB, MemFree: 11 * GiB_KB } })).toBeUndefined();
  });

  it('ksm-savings: pages_sharing worth 64 MiB', () => {
    const pages = (T.ksmMinSavedBytes / 4096);
    expect(rule('ksm-savings', { ksmPagesSharing: pages })?.numbers.ksmSavedBytes).toBe(T.ksmMinSavedBytes);
    expect(rule('ksm-savings', { ksmPagesSharing: pages - 1 })).toBeUndefined();
  });

  it('thp-bloat: anonymous THP above half of AnonPages and 512 MiB, only with THP always', () => {
    const anon = 2 * GiB_KB;
    const thp = kbOf(T.thpAnonShare, anon);
    expect(rule('thp-bloat', { mem: { AnonPages: anon, AnonHugePages: thp, MemFree: 11 * GiB_KB }, thp: '[always] madvise never\n' })).toBeDefined();
    expect(rule('thp-bloat', { mem: { AnonPages: anon, AnonHugePages: thp - 2048, MemFree: 11 * GiB_KB }, thp: '[always] madvise never\n' })).toBeUndefined();
    expect(rule('thp-bloat', { mem: { AnonPages: anon, AnonHugePages: anon, MemFree: 11 * GiB_KB }, thp: 'always [madvise] never\n' })).toBeUndefined();
  });
});
