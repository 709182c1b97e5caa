import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { type KvEntry, kvEntries, parseSize } from './kv.js';
import { isMapsHeader, parseMapsLine } from './pid-maps.js';

/**
 * /proc/[pid]/smaps_rollup (Linux 4.14+; Documentation/ABI/testing/procfs-smaps_rollup;
 * fs/proc/task_mmu.c show_smaps_rollup).
 *
 *   55a4fcbc0000-7ffd819ae000 ---p 00000000 00:00 0                          [rollup]
 *   Rss:              112368 kB
 *
 * One smaps-format entry whose counters are the sums over every VMA. The counter lines share
 * their grammar with each VMA body of /proc/[pid]/smaps, so the field table lives here and
 * pid-smaps.ts reuses it.
 *
 * Pss, Pss_Dirty and SwapPss are summed in the kernel at 1/4096-byte precision and truncated to
 * kB once, whereas smaps truncates each VMA: a sum of smaps is low by less than 1 kB per VMA.
 */

/** Counter lines common to smaps VMAs and smaps_rollup: kernel key -> property name. */
export const SMAPS_COUNTERS = {
  Rss: 'rssBytes',
  Pss: 'pssBytes', // 2.6.25+
  Pss_Dirty: 'pssDirtyBytes', // 6.0+
  Pss_Anon: 'pssAnonBytes', // 5.3+, smaps_rollup only
  Pss_File: 'pssFileBytes', // 5.3+, smaps_rollup only
  Pss_Shmem: 'pssShmemBytes', // 5.3+, smaps_rollup only
  Shared_Clean: 'sharedCleanBytes',
  Shared_Dirty: 'sharedDirtyBytes',
  Private_Clean: 'privateCleanBytes',
  Private_Dirty: 'privateDirtyBytes',
  Referenced: 'referencedBytes',
  Anonymous: 'anonymousBytes',
  KSM: 'ksmBytes', // 6.6+
  LazyFree: 'lazyFreeBytes', // 4.12+: MADV_FREE pages not yet reclaimed
  AnonHugePages: 'anonHugePagesBytes',
  ShmemPmdMapped: 'shmemPmdMappedBytes', // 4.8+
  FilePmdMapped: 'filePmdMappedBytes', // 5.4+ (5.5.7 prints it one column left of the others)
  Shared_Hugetlb: 'sharedHugetlbBytes', // 4.4+
  Private_Hugetlb: 'privateHugetlbBytes', // 4.4+
  Swap: 'swapBytes', // 2.6.26+
  SwapPss: 'swapPssBytes', // 4.3+
  Locked: 'lockedBytes',
} as const;

export type SmapsCounterName = (typeof SMAPS_COUNTERS)[keyof typeof SMAPS_COUNTERS];

/** Counters every smaps VMA and every smaps_rollup prints (2.6.26+); the others are optional. */
export const REQUIRED_SMAPS_COUNTERS = [
  'rssBytes',
  'pssBytes',
  'sharedCleanBytes',
  'sharedDirtyBytes',
  'privateCleanBytes',
  'privateDirtyBytes',
  'referencedBytes',
  'swapBytes',
] as const satisfies readonly SmapsCounterName[];

type RequiredCounter = (typeof REQUIRED_SMAPS_COUNTERS)[number];

/**
 * Byte counters of one VMA or of a whole process. Optional ones are lines that some kernels do
 * not print (see SMAPS_COUNTERS); a sum over an older kernel's smaps leaves them undefined.
 */
export type SmapsCounters = { [K in RequiredCounter]: number } & { [K in Exclude<SmapsCounterName, RequiredCounter>]?: number };

export type PidSmapsRollup = SmapsCounters;

const COUNTER_OF = SMAPS_COUNTERS as Record<string, SmapsCounterName | undefined>;

/**
 * Store one "Key: N kB" line into `out` when the key is a known counter. Returns false for keys
 * that are not counters so the caller may handle them (smaps: Size, VmFlags, THPeligible ...).
 */
export function takeSmapsCounter(e: KvEntry, out: Partial<Record<SmapsCounterName, number>>, path: string): boolean {
  const name = COUNTER_OF[e.key];
  if (name === undefined) return false;
  out[name] = parseSize(e, path);
  return true;
}

/** Throw unless every required counter was seen. */
export function checkRequiredCounters(c: Partial<Record<SmapsCounterName, number>>, path: string, lineNo: number, line: string): void {
  for (const k of REQUIRED_SMAPS_COUNTERS) {
    if (c[k] === undefined) {
      const key = Object.keys(SMAPS_COUNTERS).find((kk) => COUNTER_OF[kk] === k) ?? k;
      throw new ParseError(path, lineNo, line, key, 'missing');
    }
  }
}

export function parsePidSmapsRollup(text: string, path = '/proc/[pid]/smaps_rollup'): PidSmapsRollup {
  const out: Partial<Record<SmapsCounterName, number>> = {};
  let header: KvEntry | undefined;
  for (const e of kvEntries(text, path)) {
    if (isMapsHeader(e.line)) {
      if (header) throw new ParseError(path, e.lineNo, e.line, 'header', 'a second range header');
      parseMapsLine(e.line, path, e.lineNo);
      header = e;
      continue;
    }
    takeSmapsCounter(e, out, path);
  }
  checkRequiredCounters(out, path, header?.lineNo ?? 1, header?.line ?? text.split('\n')[0] ?? '');
  return out as PidSmapsRollup;
}

export function readPidSmapsRollup(root: ProcRoot, pid: number): PidSmapsRollup {
  const rel = `${pid}/smaps_rollup`;
  return parsePidSmapsRollup(root.readProc(rel), root.procPath(rel));
}
