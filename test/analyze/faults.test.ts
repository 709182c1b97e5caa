import { describe, expect, it } from 'vitest';
import { derive } from '../../src/model/derive.js';
import { faultReport } from '../../src/analyze/faults.js';
import { VMSTAT_618, bumpVmstat, makeSample } from '../model/make-sample.js';

describe('faultReport', () => {
  const prev = makeSample({
    takenAtMs: 0, uptimeSeconds: 100, vmstat: VMSTAT_618,
    procs: [
      { pid: 1, minflt: 0, majflt: 0 },
      { pid: 2, minflt: 0, majflt: 0 },
      { pid: 3, minflt: 0, majflt: 0 },
      { pid: 4, minflt: 10, majflt: 1 },
      { pid: 5, minflt: 0, majflt: 0 },
    ],
  });
  const cur = makeSample({
    takenAtMs: 2000, uptimeSeconds: 102, vmstat: bumpVmstat(VMSTAT_618, { pgfault: 10_000, pgmajfault: 40 }),
    procs: [
      { pid: 1, minflt: 5000, majflt: 0 },
      { pid: 2, minflt: 10, majflt: 20 },
      { pid: 3, minflt: 400, majflt: 20 },
      { pid: 4, minflt: 10, majflt: 1 },
      { pid: 6, minflt: 99, majflt: 9 },
    ],
  });
  const snap = derive(prev, cur);

  it('ranks by major faults, then minor', () => {
    const r = faultReport(snap);
    expect(r.rows.map((x) => x.pid)).toEqual([3, 2, 1]);
    expect(r.rows[0]).toMatchObject({ majfltCount: 20, minfltCount: 400, majfltPerSecond: 10, minfltPerSecond: 200 });
  });

  it('ranks by minor faults with --sort minflt', () => {
    expect(faultReport(snap, 'minflt').rows.map((x) => x.pid)).toEqual([1, 3, 2]);
  });

  it('counts quiet, new and exited processes apart, and does not rate a new one', () => {
    const r = faultReport(snap);
    expect(r.quietCount).toBe(1);
    expect(r.newCount).toBe(1);
    expect(r.exitedCount).toBe(1);
    expect(r.rows.some((x) => x.pid === 6)).toBe(false);
  });

  it('gives system totals from vmstat and what the rows explain', () => {
    const r = faultReport(snap);
    expect(r.system).toEqual({ pgfaultCount: 10_000, pgmajfaultCount: 40, pgfaultPerSecond: 5000, pgmajfaultPerSecond: 20 });
    expect(r.attributed).toEqual({ minfltCount: 5410, majfltCount: 40 });
  });
});
