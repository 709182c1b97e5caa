import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError, ProcError, errnoOf } from '../fs/errors.js';
import { type KvEntry, kvEntries, parseIntField, parseSize } from './kv.js';
import { type MapsEntry, isMapsHeader, parseMapsLine } from './pid-maps.js';
import {
  type PidSmapsRollup,
  type SmapsCounterName,
  REQUIRED_SMAPS_COUNTERS,
  SMAPS_COUNTERS,
  checkRequiredCounters,
  parsePidSmapsRollup,
  takeSmapsCounter,
} from './pid-smaps-rollup.js';

/**
 * /proc/[pid]/smaps (Linux 2.6.14+; Documentation/filesystems/proc.rst, "smaps";
 * fs/proc/task_mmu.c show_smap).
 *
 *   55a4fcbc0000-55a4fcbc1000 r--p 00000000 fe:00 26723                      /usr/bin/python3.11
 *   Size:                  4 kB
 *   ...
 *   VmFlags: rd mr mw me
 *
 * A maps header line, then "Key: value" lines for that VMA. Counters are those of
 * smaps_rollup (SMAPS_COUNTERS). Supported from 2.6.29 (KernelPageSize/MMUPageSize).
 * Android kernels add a "Name:" line for named anonymous VMAs ([anon:...]), placed before Size.
 */

export interface SmapsVma extends MapsEntry, Omit<PidSmapsRollup, 'pssAnonBytes' | 'pssFileBytes' | 'pssShmemBytes'> {
  /** smaps "Size:", the VMA's virtual size. */
  sizeBytes: number;
  /** smaps "KernelPageSize:" (2.6.29+): page size the kernel uses for this VMA (hugetlb: the huge page size). */
  kernelPageSizeBytes: number;
  /** smaps "MMUPageSize:" (2.6.29+): page size the MMU uses (differs from the above on e.g. ppc64 64k/4k). */
  mmuPageSizeBytes: number;
  /** smaps "THPeligible:" (5.0+): whether the VMA may be backed by transparent huge pages. */
  thpEligible?: boolean;
  /** smaps "ProtectionKey:" (4.9+, only with memory protection keys). */
  protectionKey?: number;
  /** smaps "VmFlags:" (3.8+): two-letter flags, e.g. ['rd','wr','mr','mw','me','ac']. Empty before 3.8. */
  vmFlags: string[];
  /** Android smaps "Name:": name of an anonymous VMA set by prctl(PR_SET_VMA_ANON_NAME). */
  name?: string;
}

export interface PidSmaps {
  vmas: SmapsVma[];
}

type Building = Partial<SmapsVma> & MapsEntry & { vmFlags: string[] };

export function parsePidSmaps(text: string, path = '/proc/[pid]/smaps'): PidSmaps {
  const vmas: SmapsVma[] = [];
  let cur: Building | undefined;
  let curHeader: KvEntry | undefined;
  const finish = (): void => {
    if (!cur || !curHeader) return;
    const c = cur as Partial<Record<SmapsCounterName, number>>;
    checkRequiredCounters(c, path, curHeader.lineNo, curHeader.line);
    for (const [key, field] of [
      ['Size', 'sizeBytes'],
      ['KernelPageSize', 'kernelPageSizeBytes'],
      ['MMUPageSize', 'mmuPageSizeBytes'],
    ] as const) {
      if (cur[field] === undefined) throw new ParseError(path, curHeader.lineNo, curHeader.line, key, 'missing');
    }
    vmas.push(cur as SmapsVma);
  };
  for (const e of kvEntries(text, path)) {
    if (isMapsHeader(e.line)) {
      finish();
      cur = { ...parseMapsLine(e.line, path, e.lineNo), vmFlags: [] };
      curHeader = e;
      continue;
    }
    if (!cur) throw new ParseError(path, e.lineNo, e.line, 'VMA header', 'a field before the first VMA');
    if (takeSmapsCounter(e, cur as Partial<Record<SmapsCounterName, number>>, path)) continue;
    switch (e.key) {
      case 'Size':
        cur.sizeBytes = parseSize(e, path);
        break;
      case 'KernelPageSize':
        cur.kernelPageSizeBytes = parseSize(e, path);
        break;
      case 'MMUPageSize':
        cur.mmuPageSizeBytes = parseSize(e, path);
        break;
      case 'THPeligible':
        cur.thpEligible = parseIntField(e.value, path, e.lineNo, e.line, e.key) !== 0;
        break;
      case 'ProtectionKey':
        cur.protectionKey = parseIntField(e.value, path, e.lineNo, e.line, e.key);
        break;
      case 'VmFlags':
        cur.vmFlags = e.value.split(/\s+/).filter((f) => f !== '');
        break;
      case 'Name':
        cur.name = e.value;
        break;
      default:
      // Unknown keys are ignored (new kernels add lines).
    }
  }
  finish();
  return { vmas };
}

/**
 * The fallback for kernels without smaps_rollup (before 4.14): the sum of every VMA's counters.
 * A counter is summed only when every VMA prints it; otherwise it stays undefined. Pss_Anon,
 * Pss_File and Pss_Shmem exist only in smaps_rollup and stay undefined. Pss, Pss_Dirty and SwapPss
 * are each low by less than 1 kB per VMA against smaps_rollup (per-VMA truncation).
 */
export function sumSmapsToRollup(smaps: PidSmaps): PidSmapsRollup {
  const out: Partial<Record<SmapsCounterName, number>> = {};
  for (const k of REQUIRED_SMAPS_COUNTERS) out[k] = 0;
  const rollupOnly = new Set<SmapsCounterName>(['pssAnonBytes', 'pssFileBytes', 'pssShmemBytes']);
  for (const name of Object.values(SMAPS_COUNTERS)) {
    if (rollupOnly.has(name) || smaps.vmas.length === 0) continue;
    let sum: number | undefined = 0;
    for (const v of smaps.vmas) {
      const x = v[name as keyof SmapsVma] as number | undefined;
      if (x === undefined) {
        sum = undefined;
        break;
      }
      sum += x;
    }
    if (sum !== undefined) out[name] = sum;
    else delete out[name];
  }
  return out as PidSmapsRollup;
}

export function readPidSmaps(root: ProcRoot, pid: number): PidSmaps {
  const rel = `${pid}/smaps`;
  return parsePidSmaps(root.readProc(rel), root.procPath(rel));
}

export interface PidMemoryRollup {
  rollup: PidSmapsRollup;
  /** Which file the numbers came from. */
  source: 'smaps_rollup' | 'smaps';
}

/**
 * smaps_rollup when the kernel has it (4.14+), else the sum of smaps.
 *
 * The file is tried first and the fallback taken only when the open fails with ENOENT while the
 * pid directory still exists: that is a kernel without the file. Checking the error instead of
 * probing existence first costs nothing on 4.14+ and stays right on captured trees where some
 * pids carry smaps_rollup and others do not. ESRCH is not a missing file: the kernel returns it
 * when the process has no address space (a kernel thread, or a zombie), and it is rethrown as
 * ProcRoot classified it; callers skip kernel threads (PidStat.isKernelThread) before reading.
 */
export function readPidMemoryRollup(root: ProcRoot, pid: number): PidMemoryRollup {
  const rel = `${pid}/smaps_rollup`;
  let text: string;
  try {
    text = root.readProc(rel);
  } catch (e) {
    if (e instanceof ProcError && errnoOf(e) === 'ENOENT' && root.existsProc(`${pid}`)) {
      return { rollup: sumSmapsToRollup(readPidSmaps(root, pid)), source: 'smaps' };
    }
    throw e;
  }
  return { rollup: parsePidSmapsRollup(text, root.procPath(rel)), source: 'smaps_rollup' };
}
