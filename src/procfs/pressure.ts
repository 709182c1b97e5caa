import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * Pressure stall information: /proc/pressure/memory (4.20+, CONFIG_PSI) and the cgroup v2
 * memory.pressure file, same format (kernel/sched/psi.c psi_show; Documentation/accounting/psi.rst).
 *
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=4371
 *
 * "some": share of time at least one task stalled on memory; "full": all non-idle tasks stalled
 * at once. avg* are percentages over 10 s, 60 s and 300 s windows; total is cumulative
 * microseconds. A kernel booted with psi=0 fails the read (EOPNOTSUPP); /proc/pressure/cpu only
 * gained a "full" line in 5.13, so a missing "full" is undefined, never zeros.
 */

export interface PressureLine {
  avg10Pct: number;
  avg60Pct: number;
  avg300Pct: number;
  totalUs: number;
}

export interface Pressure {
  some: PressureLine;
  full?: PressureLine;
}

const LINE = /^(some|full)((?:\s+[a-z0-9]+=[\d.]+)+)\s*$/;

export function parsePressure(text: string, path = '/proc/pressure/memory'): Pressure {
  const out: Partial<Pressure> = {};
  for (const { line, lineNo } of numberedLines(text)) {
    const m = LINE.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'some|full');
    const kv: Record<string, number> = {};
    for (const pair of m[2].trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      if (!/^\d+(\.\d+)?$/.test(v)) throw new ParseError(path, lineNo, line, k, 'expected a number');
      kv[k] = Number(v);
    }
    for (const k of ['avg10', 'avg60', 'avg300', 'total']) {
      if (kv[k] === undefined) throw new ParseError(path, lineNo, line, k, 'missing');
    }
    out[m[1] as 'some' | 'full'] = { avg10Pct: kv.avg10, avg60Pct: kv.avg60, avg300Pct: kv.avg300, totalUs: kv.total };
  }
  if (!out.some) throw new ParseError(path, 1, text.split('\n', 1)[0], 'some', 'missing');
  return out as Pressure;
}

/** /proc/pressure/memory. */
export function readPressureMemory(root: ProcRoot): Pressure {
  return parsePressure(root.readProc('pressure/memory'), root.procPath('pressure/memory'));
}

/** A cgroup v2 memory.pressure, by its path under /sys (e.g. `fs/cgroup/system.slice/memory.pressure`). */
export function readSysPressure(root: ProcRoot, sysRel: string): Pressure {
  return parsePressure(root.readSys(sysRel), root.sysPath(sysRel));
}
