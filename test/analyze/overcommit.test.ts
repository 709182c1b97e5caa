import { describe, expect, it } from 'vitest';
import {
  type CommitMemory,
  type CommitPolicy,
  type CommitVma,
  allowedPages,
  checkCharge,
  commitLimitPages,
  largestAllocBytes,
  predictAlloc,
  predictFork,
  procCommit,
} from '../../src/analyze/overcommit.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { parsePidSmaps } from '../../src/procfs/pid-smaps.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';

const PS = 4096;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const policy = (over: Partial<CommitPolicy> = {}): CommitPolicy => ({
  mode: 2,
  ratioPct: 50,
  limitBytes: 0,
  adminReserveBytes: 8 * MiB,
  userReserveBytes: 128 * MiB,
  ...over,
});
const memory = (over: Partial<CommitMemory> = {}): CommitMemory => ({
  pageSizeBytes: PS,
  memTotalBytes: 16 * GiB,
  hugetlbBytes: 0,
  swapTotalBytes: 0,
  committedAsBytes: 2 * GiB,
  ...over,
});
const vma = (sizeBytes: number, flags: string, perms = 'rw-p'): CommitVma => ({
  sizeBytes,
  perms,
  vmFlags: flags.split(' '),
  inode: 0,
  dev: '00:00',
  offset: 0,
});

describe('commit limit (mm/util.c vm_commit_limit)', () => {
  it('reproduces CommitLimit of a real meminfo with its sys/vm (ratio 50, no swap)', () => {
    const dir = 'prometheus-procfs/testdata/fixtures.ttar/fixtures/proc';
    const mi = parseMeminfo(readFixture(`${dir}/meminfo`));
    const ratio = Number(readFixture(`${dir}/sys/vm/overcommit_ratio`));
    const kbytes = Number(readFixture(`${dir}/sys/vm/overcommit_kbytes`));
    const mem = memory({ memTotalBytes: mi.memTotalBytes, swapTotalBytes: mi.swapTotalBytes!, committedAsBytes: mi.committedAsBytes! });
    expect(commitLimitPages({ ratioPct: ratio, limitBytes: kbytes * 1024 }, mem) * PS).toBe(mi.commitLimitBytes);
  });

  it('takes hugetlb out of RAM before the ratio, adds swap after it, and overcommit_kbytes replaces the ratio', () => {
    const mem = memory({ hugetlbBytes: 2 * GiB, swapTotalBytes: 1 * GiB });
    expect(commitLimitPages({ ratioPct: 50, limitBytes: 0 }, mem) * PS).toBe(7 * GiB + 1 * GiB);
    expect(commitLimitPages({ ratioPct: 50, limitBytes: 3 * GiB }, mem) * PS).toBe(4 * GiB);
  });
});

describe('mode 2 check (__vm_enough_memory)', () => {
  it('passes only while Committed_AS + charge stays strictly below allowed', () => {
    const p = policy();
    const m = memory();
    const caller = { capSysAdmin: false, totalVmBytes: 64 * MiB };
    const room = allowedPages(p, m, caller) - m.committedAsBytes / PS;
    expect(checkCharge(p, m, caller, (room - 1) * PS).marginBytes).toBe(PS);
    expect(checkCharge(p, m, caller, (room - 1) * PS).verdict).toBe('succeeds');
    expect(checkCharge(p, m, caller, room * PS).verdict).toBe('fails');
    expect(largestAllocBytes(p, m, caller)).toBe((room - 1) * PS);
  });

  it('waives the admin reserve for CAP_SYS_ADMIN but takes the user reserve from root too', () => {
    const p = policy();
    const m = memory();
    const big = 8 * GiB; // VmSize/32 = 256 MiB > user_reserve 128 MiB
    const limit = commitLimitPages(p, m);
    expect(limit - allowedPages(p, m, { capSysAdmin: true, totalVmBytes: big })).toBe((128 * MiB) / PS);
    expect(limit - allowedPages(p, m, { capSysAdmin: false, totalVmBytes: big })).toBe((136 * MiB) / PS);
    // A small process: min(total_vm / 32, user_reserve).
    expect(limit - allowedPages(p, m, { capSysAdmin: true, totalVmBytes: 32 * MiB })).toBe(MiB / PS);
    // Unknown size: the reserve at its largest, the strict case.
    expect(allowedPages(p, m, { capSysAdmin: true })).toBe(allowedPages(p, m, { capSysAdmin: true, totalVmBytes: big }));
  });

  it('calls a margin within the per-CPU counter slack borderline', () => {
    const p = policy();
    const m = memory({ presentCpus: 2 });
    const caller = { capSysAdmin: true, totalVmBytes: 8 * GiB };
    const room = allowedPages(p, m, caller) - m.committedAsBytes / PS;
    // 16 GiB / 2 CPUs / 256 = 8192 pages per CPU: the counter is off by less than 16384 pages.
    expect(checkCharge(p, m, caller, (room - 100) * PS).verdict).toBe('borderline');
    expect(checkCharge(p, m, caller, (room - 16383) * PS).verdict).toBe('borderline');
    expect(checkCharge(p, m, caller, (room - 16384) * PS).verdict).toBe('succeeds');
    expect(checkCharge(p, m, caller, (room + 16383) * PS).verdict).toBe('borderline');
    expect(checkCharge(p, m, caller, (room + 16384) * PS).verdict).toBe('fails');
  });
});

describe('fork charge (dup_mmap)', () => {
  it('charges VM_ACCOUNT VMAs, skips VM_DONTCOPY, keeps VM_WIPEONFORK', () => {
    const c = procCommit([
      vma(10 * MiB, 'rd wr mr mw me ac'),
      vma(4 * MiB, 'rd wr mr mw me dc ac'),
      vma(2 * MiB, 'rd wr mr mw me wf ac'),
      vma(1 * MiB, 'rd mr mw me ac', 'r--p'), // RELRO: made read-only, still charged
      vma(64 * MiB, 'rd wr mr mw me nr'), // MAP_NORESERVE
      vma(32 * MiB, 'rd wr sh mr mw me ms', 'rw-s'), // shared: charged to the object
    ]);
    expect(c.chargedBytes).toBe(17 * MiB);
    expect(c.forkChargeBytes).toBe(13 * MiB);
    expect(c.dontCopyBytes).toBe(4 * MiB);
    expect(c.wipeOnForkBytes).toBe(2 * MiB);
    expect(c.largestForkVmaBytes).toBe(10 * MiB);
    expect(c.accountedVmas).toBe(4);
  });

  it('counts a shared anonymous object once per inode, and not when MAP_NORESERVE', () => {
    const shared = (inode: number, size: number, flags: string): CommitVma => ({
      ...vma(size, flags, 'rw-s'),
      inode,
      pathname: '/dev/zero (deleted)',
    });
    const c = procCommit([shared(7, 8 * MiB, 'rd wr sh mr mw me ms'), shared(7, 8 * MiB, 'rd wr sh mr mw me ms'), shared(9, 4 * MiB, 'rd wr sh mr mw me ms nr')]);
    expect([...c.sharedAnon.values()]).toEqual([8 * MiB]);
    expect(c.chargedBytes).toBe(0);
  });

  it('in mode 0 checks each VMA alone: two VMAs of 60% of RAM fork, one mmap of their sum does not', () => {
    const p = policy({ mode: 0 });
    const m = memory();
    const part = Math.floor((0.6 * m.memTotalBytes) / PS) * PS;
    const c = procCommit([vma(part, 'rd wr mr mw me ac'), vma(part, 'rd wr mr mw me ac')]);
    expect(predictFork(p, m, { capSysAdmin: false }, c).verdict).toBe('succeeds');
    expect(predictAlloc(p, m, { capSysAdmin: false }, 2 * part).verdict).toBe('fails');
    expect(predictAlloc(policy({ mode: 1 }), m, { capSysAdmin: false }, 100 * GiB).verdict).toBe('succeeds');
  });

  it('every VM_ACCOUNT VMA in real smaps captures is private and not hugetlb', () => {
    let accounted = 0;
    for (const f of fixturesOfKind('smaps')) {
      const { vmas } = parsePidSmaps(readFixture(f), f.rel);
      for (const v of vmas.filter((x) => x.vmFlags.includes('ac'))) {
        accounted++;
        expect(v.perms[3], `${f.rel} ${v.startAddr.toString(16)}`).toBe('p');
        expect(v.vmFlags).not.toContain('ht');
        expect(v.vmFlags).not.toContain('sh');
      }
      const c = procCommit(vmas);
      expect(c.forkChargeBytes).toBeLessThanOrEqual(c.chargedBytes);
    }
    expect(accounted).toBeGreaterThan(100);
  });
});

describe('remedies', () => {
  const p = policy();
  const m = memory({ committedAsBytes: 6 * GiB });
  const caller = { capSysAdmin: false, totalVmBytes: 5 * GiB };
  const c = procCommit([vma(5 * GiB, 'rd wr mr mw me ac')]);
  const pred = predictFork(p, m, caller, c);

  it('the fork fails, and posix_spawn is offered first', () => {
    expect(pred.verdict).toBe('fails');
    expect(pred.remedies[0].kind).toBe('spawn');
  });

  it('the suggested overcommit_ratio is the smallest that passes', () => {
    const r = pred.remedies.find((x) => x.kind === 'ratio')!.value!;
    expect(predictFork({ ...p, ratioPct: r }, m, caller, c).verdict).toBe('succeeds');
    expect(predictFork({ ...p, ratioPct: r - 1 }, m, caller, c).verdict).toBe('fails');
  });

  it('the suggested swap passes (a swap area loses one page to its header)', () => {
    const s = pred.remedies.find((x) => x.kind === 'swap')!.value!;
    expect(predictFork(p, { ...m, swapTotalBytes: s - PS }, caller, c).verdict).toBe('succeeds');
  });

  it('with overcommit_kbytes in force, suggests kbytes that pass', () => {
    const pk = policy({ limitBytes: 8 * GiB });
    const pr = predictFork(pk, m, caller, c);
    const kb = pr.remedies.find((x) => x.kind === 'kbytes')!.value!;
    expect(predictFork({ ...pk, limitBytes: kb }, m, caller, c).verdict).toBe('succeeds');
    expect(predictFork({ ...pk, limitBytes: kb - PS }, m, caller, c).verdict).toBe('fails');
  });
});

describe('mode 0 fork: the largest single call is what is compared', () => {
  it('keeps the whole charge and names the largest VMA separately', async () => {
    const { checkCharge } = await import('../../src/analyze/overcommit-policy.js');
    const mem = { memTotalBytes: 8 * 1024 ** 3, swapTotalBytes: 0, hugetlbBytes: 0, committedAsBytes: 0, pageSizeBytes: 4096 } as Parameters<typeof checkCharge>[1];
    const r = checkCharge({ mode: 0 } as Parameters<typeof checkCharge>[0], mem, { capSysAdmin: false, totalVmBytes: 0 } as Parameters<typeof checkCharge>[2], 12 * 1024 ** 3, 6 * 1024 ** 3);
    expect(r.verdict).toBe('succeeds');
    expect(r.chargeBytes).toBe(12 * 1024 ** 3);
    expect(r.largestCallBytes).toBe(6 * 1024 ** 3);
    expect(r.marginBytes).toBe(2 * 1024 ** 3);
  });
});
