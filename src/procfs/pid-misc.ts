import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError, ProcError, errnoOf } from '../fs/errors.js';

/**
 * Small one-value files of /proc/[pid] (Documentation/filesystems/proc.rst section 3;
 * fs/proc/base.c).
 *
 *   669
 */

function oneInt(text: string, path: string, field: string): number {
  const line = text.split('\n', 1)[0];
  if (!/^\s*-?\d+\s*$/.test(line) || text.slice(line.length).trim() !== '') {
    throw new ParseError(path, 1, line, field, 'expected one integer');
  }
  return Number(line.trim());
}

/**
 * /proc/[pid]/oom_score: the badness the OOM killer would give the process now. 0..1000 from
 * 2.6.36 (proportion of RAM+swap, in thousandths), shifted by oom_score_adj to 0..2000 in 5.9+.
 */
export function parsePidOomScore(text: string, path = '/proc/[pid]/oom_score'): number {
  const v = oneInt(text, path, 'oom_score');
  if (v < 0) throw new ParseError(path, 1, text.split('\n', 1)[0], 'oom_score', 'negative');
  return v;
}

/** /proc/[pid]/oom_score_adj (2.6.36+): -1000 (never kill) .. 1000 (kill first). */
export function parsePidOomScoreAdj(text: string, path = '/proc/[pid]/oom_score_adj'): number {
  const v = oneInt(text, path, 'oom_score_adj');
  if (v < -1000 || v > 1000) throw new ParseError(path, 1, text.split('\n', 1)[0], 'oom_score_adj', 'outside -1000..1000');
  return v;
}

/**
 * /proc/[pid]/cmdline: argv joined by NUL, normally with a trailing NUL. Empty for kernel threads
 * and zombies. A process that rewrote its argv area (setproctitle) may leave one string with
 * spaces and no NUL: it comes back as one element.
 */
export function parsePidCmdline(text: string, _path = '/proc/[pid]/cmdline'): string[] {
  if (text === '') return [];
  const body = text.endsWith('\0') ? text.slice(0, -1) : text;
  return body.split('\0');
}

/** /proc/[pid]/comm (2.6.33+): the thread name, up to 15 bytes (kworkers: longer), one line. */
export function parsePidComm(text: string, path = '/proc/[pid]/comm'): string {
  const nl = text.indexOf('\n');
  const comm = nl < 0 ? text : text.slice(0, nl);
  if (nl >= 0 && text.slice(nl + 1) !== '') throw new ParseError(path, 2, text.slice(nl + 1), 'comm', 'more than one line');
  return comm;
}

/** 4294967295 ((uid_t)-1, AUDIT_UID_UNSET): no login uid was ever set. */
export const LOGINUID_UNSET = 4294967295;

/** /proc/[pid]/loginuid (CONFIG_AUDIT): the audit login uid; undefined when unset. */
export function parsePidLoginuid(text: string, path = '/proc/[pid]/loginuid'): number | undefined {
  const v = oneInt(text, path, 'loginuid');
  if (v < 0 || v > LOGINUID_UNSET) throw new ParseError(path, 1, text.split('\n', 1)[0], 'loginuid', 'not a uid');
  return v === LOGINUID_UNSET ? undefined : v;
}

export function readPidOomScore(root: ProcRoot, pid: number): number {
  const rel = `${pid}/oom_score`;
  return parsePidOomScore(root.readProc(rel), root.procPath(rel));
}

export function readPidOomScoreAdj(root: ProcRoot, pid: number): number {
  const rel = `${pid}/oom_score_adj`;
  return parsePidOomScoreAdj(root.readProc(rel), root.procPath(rel));
}

export function readPidCmdline(root: ProcRoot, pid: number): string[] {
  const rel = `${pid}/cmdline`;
  return parsePidCmdline(root.readProc(rel), root.procPath(rel));
}

export function readPidComm(root: ProcRoot, pid: number): string {
  const rel = `${pid}/comm`;
  return parsePidComm(root.readProc(rel), root.procPath(rel));
}

export function readPidLoginuid(root: ProcRoot, pid: number): number | undefined {
  const rel = `${pid}/loginuid`;
  return parsePidLoginuid(root.readProc(rel), root.procPath(rel));
}

/**
 * Target of /proc/[pid]/exe: the executable's path, ending in " (deleted)" when it was replaced
 * or removed since exec (e.g. after a package upgrade). Undefined for a process without an
 * executable: kernel threads (and zombies) make readlink fail with ENOENT while the pid directory
 * stays. A pid that is gone throws ProcError 'vanished'.
 */
export function readPidExe(root: ProcRoot, pid: number): string | undefined {
  try {
    return root.readProcLink(`${pid}/exe`);
  } catch (e) {
    if (e instanceof ProcError && errnoOf(e) === 'ENOENT' && root.existsProc(`${pid}`)) {
      return undefined;
    }
    throw e;
  }
}
