import { describe, expect, it } from 'vitest';
import { derive } from '../../src/model/derive.js';
import { swapReport } from '../../src/analyze/swap.js';
import { NO_SWAP, VMSTAT_618, bumpVmstat, makeSample } from '../model/make-sample.js';

const ZRAM = (usedKb: number) => `${NO_SWAP}/dev/zram0                              partition\t8388604\t\t${usedKb}\t\t100\n`;

describe('swapReport', () => {
  // Two processes share 300 kB of swapped shmem: each has it all in VmSwap, half in SwapPss.
  const procs = [
    { pid: 10, vmSwapKb: 300, swapPssKb: 150 },
    { pid: 11, vmSwapKb: 400, swapPssKb: 250 },
    { pid: 12, vmSwapKb: 0, swapPssKb: 0 },
    // Maps 500 kB of swapped pages that nine others map too.
    { pid: 13, vmSwapKb: 500, swapPssKb: 50 },
    { pid: 2, kernel: true },
  ];
  const prev = makeSample({ takenAtMs: 0, uptimeSeconds: 10, vmstat: VMSTAT_618, swaps: ZRAM(300), procs: [{ pid: 10, vmSwapKb: 100 }, { pid: 11, vmSwapKb: 400 }] });
  const cur = makeSample({ takenAtMs: 4000, uptimeSeconds: 14, vmstat: bumpVmstat(VMSTAT_618, { pswpin: 8, pswpout: 400 }), swaps: ZRAM(450), procs });
  const snap = derive(prev, cur);

  it('ranks processes by VmSwap, or by SwapPss', () => {
    expect(swapReport(snap).rows.map((r) => r.pid)).toEqual([13, 11, 10]);
    expect(swapReport(snap, 'swappss').rows.map((r) => r.pid)).toEqual([11, 10, 13]);
    const r = swapReport(snap).rows.find((x) => x.pid === 10)!;
    expect(r).toMatchObject({ vmSwapBytes: 300 * 1024, swapPssBytes: 150 * 1024, vmSwapDeltaBytes: 200 * 1024 });
  });

  it('sums VmSwap above SwapPss when swapped pages are shared', () => {
    const r = swapReport(snap);
    expect(r.vmSwapTotalBytes).toBe(1200 * 1024);
    expect(r.swapPssTotalBytes).toBe(450 * 1024);
    expect(r.swapPssTotalBytes).toBe(r.usedBytes);
    expect(r.unknownCount).toBe(0);
  });

  it('gives swap-in and swap-out in bytes per second', () => {
    const r = swapReport(snap);
    expect(r.swapInBytesPerSecond).toBe((8 * 4096) / 4);
    expect(r.swapOutBytesPerSecond).toBe((400 * 4096) / 4);
    expect(r.noSwap).toBe(false);
    expect(r.areas[0].filename).toBe('/dev/zram0');
  });

  it('says there is no swap when /proc/swaps lists none, and still gives the rest', () => {
    const a = makeSample({ takenAtMs: 0, vmstat: VMSTAT_618, swaps: NO_SWAP, procs: [{ pid: 10, vmSwapKb: 0, swapPssKb: 0 }] });
    const b = makeSample({ takenAtMs: 1000, vmstat: VMSTAT_618, swaps: NO_SWAP, procs: [{ pid: 10, vmSwapKb: 0 }] });
    const r = swapReport(derive(a, b));
    expect(r.noSwap).toBe(true);
    expect(r.rows).toEqual([]);
    expect(r.swapOutBytesPerSecond).toBe(0);
    expect(r.unknownCount).toBe(1);
    expect(r.swapPssTotalBytes).toBeUndefined();
  });

  it('does not claim "no swap" when /proc/swaps was not read', () => {
    const r = swapReport(derive(makeSample({ takenAtMs: 0 }), makeSample({ takenAtMs: 1000 })));
    expect(r.swapsKnown).toBe(false);
    expect(r.noSwap).toBe(false);
    expect(r.swapInBytesPerSecond).toBeUndefined();
  });
});
