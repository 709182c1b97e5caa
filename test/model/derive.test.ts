import { describe, expect, it } from 'vitest';
import { collectSample } from '../../src/collect/collector.js';
import { counterDelta, derive } from '../../src/model/index.js';
import { fakeProc, statLine } from '../helpers/fake-proc.js';
import { MEMINFO_TEXT, NO_SWAP, VMSTAT_618, bumpVmstat, makeSample } from './make-sample.js';

describe('derive: interval', () => {
  it('prefers /proc/uptime over the wall clock when both samples have it', () => {
    const s = derive(makeSample({ takenAtMs: 0, uptimeSeconds: 100 }), makeSample({ takenAtMs: 5000, uptimeSeconds: 102 }));
    expect(s.intervalSeconds).toBe(2);
    expect(s.intervalSource).toBe('uptime');
  });

  it('falls back to takenAtMs when one sample lacks uptime', () => {
    const s = derive(makeSample({ takenAtMs: 1000, uptimeSeconds: 100 }), makeSample({ takenAtMs: 4000 }));
    expect(s.intervalSeconds).toBe(3);
    expect(s.intervalSource).toBe('wallclock');
  });

  it('has no interval (so no rates, but deltas) when both samples are of one instant', () => {
    const s = derive(
      makeSample({ takenAtMs: 1000, procs: [{ pid: 10, minflt: 5 }] }),
      makeSample({ takenAtMs: 1000, procs: [{ pid: 10, minflt: 8 }] }),
    );
    expect(s.intervalSeconds).toBeUndefined();
    expect(s.procs[0].minfltCount).toBe(3);
    expect(s.procs[0].minfltPerSecond).toBeUndefined();
  });
});

describe('derive: processes', () => {
  const prev = makeSample({
    takenAtMs: 0, uptimeSeconds: 50, bootId: 'b1',
    procs: [
      { pid: 10, start: 1000, minflt: 100, majflt: 5, vmSwapKb: 100, swapPssKb: 40 },
      { pid: 11, start: 2000, minflt: 7, majflt: 0 },
      { pid: 12, start: 3000, minflt: 1, majflt: 1 },
    ],
  });
  const cur = makeSample({
    takenAtMs: 2000, uptimeSeconds: 52, bootId: 'b1',
    procs: [
      { pid: 10, start: 1000, minflt: 300, majflt: 9, vmSwapKb: 60, swapPssKb: 20 },
      // pid 11 reused by another process: a new start time.
      { pid: 11, start: 2500, minflt: 50, majflt: 3 },
      { pid: 13, start: 4000, minflt: 9, majflt: 0 },
    ],
  });
  const s = derive(prev, cur);
  const byKey = new Map(s.procs.map((p) => [p.key, p]));

  it('matches processes by pid:starttime and gives fault rates per second', () => {
    const p = byKey.get('10:1000')!;
    expect(p.isNew).toBe(false);
    expect(p.minfltCount).toBe(200);
    expect(p.majfltCount).toBe(4);
    expect(p.minfltPerSecond).toBe(100);
    expect(p.majfltPerSecond).toBe(2);
  });

  it('gives a reused pid and a new process no rate', () => {
    for (const key of ['11:2500', '13:4000']) {
      const p = byKey.get(key)!;
      expect(p.isNew).toBe(true);
      expect(p.minfltPerSecond).toBeUndefined();
      expect(p.majfltPerSecond).toBeUndefined();
    }
    expect(s.exitedKeys.sort()).toEqual(['11:2000', '12:3000']);
  });

  it('gives signed swap deltas (gauges, not counters)', () => {
    const p = byKey.get('10:1000')!;
    expect(p.vmSwapDeltaBytes).toBe(-40 * 1024);
    expect(p.swapPssDeltaBytes).toBe(-20 * 1024);
  });

  it('leaves a swap delta unknown when one side is unknown', () => {
    const a = derive(makeSample({ takenAtMs: 0, procs: [{ pid: 10, vmSwapKb: 4 }] }), makeSample({ takenAtMs: 1000, procs: [{ pid: 10 }] }));
    expect(a.procs[0].vmSwapDeltaBytes).toBeUndefined();
    expect(a.procs[0].swapPssDeltaBytes).toBeUndefined();
  });
});

describe('derive: counters', () => {
  it('turns /proc/vmstat event counters into deltas and rates, and skips gauges', () => {
    const later = bumpVmstat(VMSTAT_618, { pgfault: 1000, pgmajfault: 10, pgscan_file: 64, nr_free_pages: 5000 });
    const s = derive(makeSample({ takenAtMs: 0, uptimeSeconds: 10, vmstat: VMSTAT_618 }), makeSample({ takenAtMs: 2000, uptimeSeconds: 12, vmstat: later }));
    expect(s.system.vmstat.pgfault).toBe(1000);
    expect(s.system.vmstatPerSecond.pgfault).toBe(500);
    expect(s.system.vmstatPerSecond.pgmajfault).toBe(5);
    expect(s.system.vmstatRaw.pgscan_file).toBe(64);
    expect(s.system.vmstatRaw.pswpin).toBe(0);
    expect(s.system.vmstatRaw).not.toHaveProperty('nr_free_pages');
  });

  it('gives undefined, not a negative rate, for a counter that went backwards', () => {
    const later = bumpVmstat(VMSTAT_618, { pgfault: -1000, pgmajfault: 3 });
    const s = derive(makeSample({ takenAtMs: 0, vmstat: VMSTAT_618 }), makeSample({ takenAtMs: 1000, vmstat: later }));
    expect(s.system.vmstat.pgfault).toBeUndefined();
    expect(s.system.vmstatPerSecond.pgfault).toBeUndefined();
    expect(s.system.vmstatRaw.pgfault).toBeUndefined();
    expect(s.system.vmstat.pgmajfault).toBe(3);
    expect(counterDelta(10, 9)).toBeUndefined();
    expect(counterDelta(9, 9)).toBe(0);
  });

  it('makes every delta undefined across a reboot (boot id differs)', () => {
    const later = bumpVmstat(VMSTAT_618, { pgfault: 1000 });
    const a = makeSample({ takenAtMs: 0, bootId: 'b1', vmstat: VMSTAT_618, swaps: NO_SWAP, procs: [{ pid: 10, minflt: 1, vmSwapKb: 0 }] });
    const b = makeSample({ takenAtMs: 9000, bootId: 'b2', vmstat: later, swaps: NO_SWAP, procs: [{ pid: 10, minflt: 9, vmSwapKb: 4 }] });
    const s = derive(a, b);
    expect(s.sameBoot).toBe(false);
    expect(s.system.vmstat).toEqual({});
    expect(s.system.vmstatRaw).toEqual({});
    expect(s.system.swapUsedDeltaBytes).toBeUndefined();
    expect(s.procs[0].minfltPerSecond).toBeUndefined();
    expect(s.procs[0].vmSwapDeltaBytes).toBeUndefined();
  });

  it('treats uptime going backwards as a reboot', () => {
    const s = derive(makeSample({ takenAtMs: 0, uptimeSeconds: 5000 }), makeSample({ takenAtMs: 1000, uptimeSeconds: 30 }));
    expect(s.sameBoot).toBe(false);
    expect(s.intervalSeconds).toBeUndefined();
  });

  it('gives the /proc/swaps used delta', () => {
    const swaps = (usedKb: number) => `${NO_SWAP}/dev/zram0                              partition\t8388604\t\t${usedKb}\t\t100\n`;
    const s = derive(makeSample({ takenAtMs: 0, swaps: swaps(76) }), makeSample({ takenAtMs: 1000, swaps: swaps(1076) }));
    expect(s.system.swapUsedDeltaBytes).toBe(1000 * 1024);
  });
});

describe('derive over collectSample on fake trees', () => {
  const tree = (uptime: string, minflt: number, majflt: number) =>
    fakeProc()
      .meminfo(MEMINFO_TEXT)
      .file('uptime', `${uptime} 1.00\n`)
      .file('sys/kernel/random/boot_id', 'f00d\n')
      .pid(42, { stat: statLine({ pid: 42, comm: 'worker', startTime: 777, minflt, majflt }), cmdline: 'worker\0' })
      .build();

  it('gives per-process fault rates over the /proc/uptime interval', () => {
    const a = tree('100.00', 1000, 10);
    const b = tree('104.00', 3000, 30);
    try {
      const s = derive(collectSample(a.root, { rollup: false }), collectSample(b.root, { rollup: false }));
      expect(s.intervalSeconds).toBe(4);
      expect(s.intervalSource).toBe('uptime');
      expect(s.sameBoot).toBe(true);
      expect(s.procs).toHaveLength(1);
      expect(s.procs[0].key).toBe('42:777');
      expect(s.procs[0].minfltPerSecond).toBe(500);
      expect(s.procs[0].majfltPerSecond).toBe(5);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
