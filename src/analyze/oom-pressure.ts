import type { Pressure } from '../procfs/pressure.js';

/**
 * One line on memory pressure (PSI, kernel/sched/psi.c; Documentation/accounting/psi.rst).
 * "some": share of wall time at least one task was stalled waiting for memory (reclaim,
 * refaults, swap-in, throttling at memory.high); "full": share of time all non-idle tasks were
 * stalled at once, i.e. no useful work was done. avg10/60/300 are running averages in percent.
 */
export function pressureReading(p: Pressure): string {
  const s = p.some;
  const windows = `(${s.avg60Pct.toFixed(2)}% over 60 s, ${s.avg300Pct.toFixed(2)}% over 300 s)`;
  const head = `some ${s.avg10Pct.toFixed(2)}% over 10 s`;
  if (s.avg10Pct === 0 && s.avg60Pct === 0 && s.avg300Pct === 0) {
    return `${head}: no process waited for memory${s.totalUs > 0 ? ` lately (${(s.totalUs / 1000).toFixed(0)} ms of stalls in all since boot)` : ''}`;
  }
  let out = `${head} ${windows}: at least one process waited for memory ${s.avg10Pct.toFixed(2)}% of the last 10 s`;
  const f = p.full;
  if (f && f.avg10Pct > 0) out += `; full ${f.avg10Pct.toFixed(2)}%: at times every running process was stalled at once (thrashing)`;
  else if (f) out += '; full 0.00%: never all at once';
  return out;
}
