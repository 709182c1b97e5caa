import type { Capabilities, ProcSample, Sample } from '../../src/collect/sample.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { parsePidSmapsRollup } from '../../src/procfs/pid-smaps-rollup.js';
import { parsePidStat } from '../../src/procfs/pid-stat.js';
import { parsePidStatus } from '../../src/procfs/pid-status.js';
import { parseSwaps } from '../../src/procfs/swaps.js';
import { parseVmstat } from '../../src/procfs/vmstat.js';
import { statLine } from '../helpers/fake-proc.js';
import { readFixture } from '../helpers/fixtures.js';

/** Samples built as objects, through the real parsers, for derive and the analyses. */

export const MEMINFO_TEXT = readFixture('host-6.18-fork-share/proc/meminfo');
export const VMSTAT_618 = readFixture('host-6.18-fork-share/proc/vmstat');
export const NO_SWAP = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';

export const CAPS: Capabilities = {
  root: true, live: true, smapsRollup: true, memAvailable: true, psi: true, kpageflags: true, sys: true, pageSizeBytes: 4096, clockTicksPerSecond: 100,
};

export interface ProcSpec {
  pid: number;
  start?: number;
  comm?: string;
  minflt?: number;
  majflt?: number;
  /** status "VmSwap:", kB; omitted: the line is absent (unknown). */
  vmSwapKb?: number;
  /** smaps_rollup "SwapPss:", kB; omitted: no rollup. */
  swapPssKb?: number;
  kernel?: boolean;
}

export function procSample(s: ProcSpec): ProcSample {
  const comm = s.comm ?? `p${s.pid}`;
  const stat = parsePidStat(statLine({ pid: s.pid, comm, startTime: s.start ?? 1000, minflt: s.minflt, majflt: s.majflt, flags: s.kernel ? 0x00208040 : undefined }));
  const status = parsePidStatus(
    `Name:\t${comm}\nState:\tS (sleeping)\nTgid:\t${s.pid}\nPid:\t${s.pid}\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n` +
      (s.vmSwapKb === undefined ? '' : `VmSwap:\t${s.vmSwapKb} kB\n`),
  );
  const p: ProcSample = {
    pid: s.pid, startTimeTicks: stat.startTimeTicks, key: `${s.pid}:${stat.startTimeTicks}`, ppid: 1, comm, cmdline: [comm],
    uid: 0, user: 'root', isKernelThread: stat.isKernelThread, stat, status,
  };
  if (s.swapPssKb !== undefined) {
    p.rollup = parsePidSmapsRollup(
      '00400000-7fff0000 ---p 00000000 00:00 0 [rollup]\nRss: 400 kB\nPss: 200 kB\nShared_Clean: 300 kB\nShared_Dirty: 0 kB\n' +
        'Private_Clean: 0 kB\nPrivate_Dirty: 100 kB\nReferenced: 400 kB\nAnonymous: 100 kB\nLazyFree: 0 kB\nAnonHugePages: 0 kB\n' +
        `ShmemPmdMapped: 0 kB\nShared_Hugetlb: 0 kB\nPrivate_Hugetlb: 0 kB\nSwap: ${s.vmSwapKb ?? 0} kB\nSwapPss: ${s.swapPssKb} kB\nLocked: 0 kB\n`,
    );
  }
  return p;
}

export function makeSample(o: { takenAtMs: number; uptimeSeconds?: number; bootId?: string; vmstat?: string; swaps?: string; procs?: ProcSpec[] }): Sample {
  return {
    header: {
      takenAtMs: o.takenAtMs, bootId: o.bootId, uptimeSeconds: o.uptimeSeconds, caps: CAPS, collectMs: 1, vanished: 0, gaps: [], hints: [],
    },
    system: {
      meminfo: parseMeminfo(MEMINFO_TEXT),
      vmstat: o.vmstat === undefined ? undefined : parseVmstat(o.vmstat),
      swaps: o.swaps === undefined ? undefined : parseSwaps(o.swaps),
    },
    procs: (o.procs ?? []).map(procSample),
  };
}

/** A vmstat text with some counters raised by the given amounts (every other line as printed). */
export function bumpVmstat(text: string, by: Record<string, number>): string {
  const seen = new Set<string>();
  const out = text.replace(/^(\w+) (\d+)$/gm, (line, k: string, v: string) => {
    if (by[k] === undefined) return line;
    seen.add(k);
    return `${k} ${Number(v) + by[k]}`;
  });
  for (const k of Object.keys(by)) if (!seen.has(k)) throw new Error(`vmstat has no line ${k}`);
  return out;
}
