import type { ProcSample, Sample } from '../collect/sample.js';
import type { Vmstat } from '../procfs/vmstat.js';

/**
 * derive(prev, cur): what changed between two Samples of one machine, as deltas and rates.
 *
 * Samples hold raw counters (faults since a process started, vmstat events since boot). Rates
 * come from here only, so live use and replay share one path.
 *
 * Rules:
 * - The interval is cur - prev in seconds: from /proc/uptime (header.uptimeSeconds, CLOCK_BOOTTIME,
 *   immune to wall-clock steps) when both samples have it, else from takenAtMs.
 * - A process is matched by `key` ("pid:starttime"): a reused pid is a new process. A process
 *   that is new in `cur` has no earlier count, so its rates are undefined.
 * - An event counter that went backwards (a reset, a wrapped 32-bit counter, a different machine)
 *   gives an undefined delta and rate, never a negative one.
 * - A different boot id (or an uptime that went backwards) means a reboot between the samples:
 *   every counter restarted, so every delta and rate is undefined.
 * Gauges (VmSwap, SwapPss, swap used) are not counters: their deltas are signed.
 */

/** The event counters among Vmstat's typed fields (everything else there is a gauge in bytes). */
const VMSTAT_COUNTERS = [
  'pgfault', 'pgmajfault', 'pswpinPages', 'pswpoutPages', 'pgfreePages', 'pgactivatePages', 'pgdeactivatePages',
  'compactStall', 'compactFail', 'compactSuccess', 'workingsetActivatePages', 'workingsetRefaultAnonPages',
  'workingsetRefaultFilePages', 'workingsetRefaultPages', 'oomKill', 'thpFaultAlloc', 'thpFaultFallback',
  'thpCollapseAlloc', 'thpCollapseAllocFailed', 'thpSwpout', 'thpSplitPage', 'pgscanKhugepagedPages',
  'pgscanProactivePages', 'pgstealKhugepagedPages', 'pgstealProactivePages', 'dropPagecache', 'dropSlab',
  'pgpginBytes', 'pgpgoutBytes', 'pgscanKswapdPages', 'pgscanDirectPages', 'pgstealKswapdPages',
  'pgstealDirectPages', 'allocstall',
] as const satisfies readonly (keyof Vmstat)[];

export type VmstatCounter = (typeof VMSTAT_COUNTERS)[number];

/** Gauges among /proc/vmstat lines: every "nr_*" item, and "workingset_nodes" (shadow nodes now). */
function isVmstatGauge(rawKey: string): boolean {
  return rawKey.startsWith('nr_') || rawKey === 'workingset_nodes';
}

export interface Snapshot {
  prev: Sample;
  cur: Sample;
  /** Seconds between the samples; undefined when not positive (same instant, clock stepped back). */
  intervalSeconds?: number;
  intervalSource: 'uptime' | 'wallclock';
  /** False when the boot ids differ or uptime went backwards: every delta below is then undefined. */
  sameBoot: boolean;
  /** One entry per process of `cur`, in cur's order. */
  procs: ProcDelta[];
  /** Keys of processes in `prev` that are gone from `cur` (exited, or their pid was reused). */
  exitedKeys: string[];
  system: SystemDelta;
}

export interface ProcDelta {
  key: string;
  proc: ProcSample;
  /** Not in `prev`: started during the interval (or was not sampled before). */
  isNew: boolean;
  /** /proc/[pid]/stat field 10 over the interval. */
  minfltCount?: number;
  /** /proc/[pid]/stat field 12 over the interval. */
  majfltCount?: number;
  minfltPerSecond?: number;
  majfltPerSecond?: number;
  /** /proc/[pid]/status "VmSwap:" now minus before (signed). */
  vmSwapDeltaBytes?: number;
  /** smaps_rollup "SwapPss:" now minus before (signed; both samples need a rollup). */
  swapPssDeltaBytes?: number;
}

export interface SystemDelta {
  /** /proc/vmstat typed counters over the interval (see VMSTAT_COUNTERS). */
  vmstat: Partial<Record<VmstatCounter, number>>;
  vmstatPerSecond: Partial<Record<VmstatCounter, number>>;
  /** Every /proc/vmstat event line (not the nr_* gauges), keyed as printed, over the interval. */
  vmstatRaw: Record<string, number>;
  vmstatRawPerSecond: Record<string, number>;
  /** /proc/swaps total used, now minus before (signed). */
  swapUsedDeltaBytes?: number;
}

/** A counter's increase; undefined when either side is unknown or it went backwards. */
export function counterDelta(before: number | undefined, after: number | undefined): number | undefined {
  if (before === undefined || after === undefined) return undefined;
  const d = after - before;
  return d >= 0 ? d : undefined;
}

function gaugeDelta(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}

/** The interval between two samples, and whether they come from one boot. */
function intervalOf(prev: Sample, cur: Sample): Pick<Snapshot, 'intervalSeconds' | 'intervalSource' | 'sameBoot'> {
  const a = prev.header;
  const b = cur.header;
  let sameBoot = !(a.bootId !== undefined && b.bootId !== undefined && a.bootId !== b.bootId);
  let seconds: number;
  let source: Snapshot['intervalSource'];
  if (a.uptimeSeconds !== undefined && b.uptimeSeconds !== undefined && Number.isFinite(a.uptimeSeconds) && Number.isFinite(b.uptimeSeconds)) {
    seconds = b.uptimeSeconds - a.uptimeSeconds;
    source = 'uptime';
    if (seconds < 0) sameBoot = false;
  } else {
    seconds = (b.takenAtMs - a.takenAtMs) / 1000;
    source = 'wallclock';
  }
  return { intervalSeconds: seconds > 0 ? seconds : undefined, intervalSource: source, sameBoot };
}

export function derive(prev: Sample, cur: Sample): Snapshot {
  const { intervalSeconds, intervalSource, sameBoot } = intervalOf(prev, cur);
  const rate = (d: number | undefined): number | undefined =>
    d === undefined || intervalSeconds === undefined ? undefined : d / intervalSeconds;
  const counter = (x: number | undefined, y: number | undefined): number | undefined => (sameBoot ? counterDelta(x, y) : undefined);
  const gauge = (x: number | undefined, y: number | undefined): number | undefined => (sameBoot ? gaugeDelta(x, y) : undefined);

  const before = new Map(prev.procs.map((p) => [p.key, p]));
  const curKeys = new Set(cur.procs.map((p) => p.key));
  const procs: ProcDelta[] = cur.procs.map((p) => {
    const q = before.get(p.key);
    const d: ProcDelta = { key: p.key, proc: p, isNew: q === undefined };
    if (!q) return d;
    d.minfltCount = counter(q.stat.minfltCount, p.stat.minfltCount);
    d.majfltCount = counter(q.stat.majfltCount, p.stat.majfltCount);
    d.minfltPerSecond = rate(d.minfltCount);
    d.majfltPerSecond = rate(d.majfltCount);
    d.vmSwapDeltaBytes = gauge(q.status?.vmSwapBytes, p.status?.vmSwapBytes);
    d.swapPssDeltaBytes = gauge(q.rollup?.swapPssBytes, p.rollup?.swapPssBytes);
    return d;
  });

  const system: SystemDelta = { vmstat: {}, vmstatPerSecond: {}, vmstatRaw: {}, vmstatRawPerSecond: {} };
  const va = prev.system.vmstat;
  const vb = cur.system.vmstat;
  if (va && vb) {
    for (const k of VMSTAT_COUNTERS) {
      const d = counter(va[k], vb[k]);
      if (d === undefined) continue;
      system.vmstat[k] = d;
      const r = rate(d);
      if (r !== undefined) system.vmstatPerSecond[k] = r;
    }
    for (const [k, after] of Object.entries(vb.raw)) {
      if (isVmstatGauge(k)) continue;
      const d = counter(va.raw[k], after);
      if (d === undefined) continue;
      system.vmstatRaw[k] = d;
      const r = rate(d);
      if (r !== undefined) system.vmstatRawPerSecond[k] = r;
    }
  }
  system.swapUsedDeltaBytes = gauge(prev.system.swaps?.usedBytes, cur.system.swaps?.usedBytes);

  return {
    prev,
    cur,
    intervalSeconds,
    intervalSource,
    sameBoot,
    procs,
    exitedKeys: prev.procs.filter((p) => !curKeys.has(p.key)).map((p) => p.key),
    system,
  };
}
