import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';

/**
 * /proc/[pid]/statm (proc_pid_statm(5); fs/proc/array.c proc_pid_statm, task_statm).
 *
 *   29742 28073 759 1 0 27588 0
 *
 * Seven counts in pages: size resident shared text lib data dt. "lib" and "dt" are always 0
 * since 2.6. "shared" is RssFile + RssShmem since 4.5 (file-backed resident pages before), and
 * "text" is the whole code VMA size, not just the resident part. Kernel threads print seven 0s.
 * Values may exceed 2^53 (a capture carries 2^64-1): precision is lost, the magnitude kept.
 */

export interface PidStatm {
  /** "size": total virtual size (VmSize). */
  sizeBytes: number;
  /** "resident": RSS (VmRSS). */
  residentBytes: number;
  /** "shared": resident file-backed and shmem pages (RssFile + RssShmem). */
  sharedBytes: number;
  /** "text": code (VmExe). */
  textBytes: number;
  /** "lib": 0 since 2.6. */
  libBytes: number;
  /** "data": data + stack (VmData + VmStk). */
  dataBytes: number;
  /** "dt": dirty pages, 0 since 2.6. */
  dtBytes: number;
}

const NAMES = ['sizeBytes', 'residentBytes', 'sharedBytes', 'textBytes', 'libBytes', 'dataBytes', 'dtBytes'] as const;

/** `pageSizeBytes`: the page size of the kernel that wrote the file (4096 on x86_64). */
export function parsePidStatm(text: string, path = '/proc/[pid]/statm', pageSizeBytes = 4096): PidStatm {
  const line = text.split('\n', 1)[0];
  const parts = line.trim().split(/\s+/);
  if (parts.length < NAMES.length) throw new ParseError(path, 1, line, 'statm', `expected ${NAMES.length} fields`);
  const out: Partial<Record<(typeof NAMES)[number], number>> = {};
  NAMES.forEach((name, i) => {
    if (!/^\d+$/.test(parts[i])) throw new ParseError(path, 1, line, name, 'expected a page count');
    out[name] = Number(parts[i]) * pageSizeBytes;
  });
  if (text.slice(line.length).trim() !== '') throw new ParseError(path, 2, text.split('\n')[1] ?? '', 'statm', 'more than one line');
  return out as PidStatm;
}

export function readPidStatm(root: ProcRoot, pid: number, pageSizeBytes = 4096): PidStatm {
  const rel = `${pid}/statm`;
  return parsePidStatm(root.readProc(rel), root.procPath(rel), pageSizeBytes);
}
