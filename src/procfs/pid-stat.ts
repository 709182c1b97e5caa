import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';

/**
 * /proc/[pid]/stat (proc_pid_stat(5); fs/proc/array.c do_task_stat).
 *
 *   17226 (python3) S 17183 17183 17183 0 -1 4194368 223 0 0 0 0 0 0 0 20 0 1 0 152098 121823232 28073 ...
 *
 * One line of space-separated fields. comm (field 2) is printed raw inside parentheses and may
 * itself contain spaces and parentheses ("(test(cmd).sh)", "((a b ) ( c d) )"), so the fields
 * after it start at the last ')' that is followed by a state letter and numbers. Since 5.x,
 * kernel workers show "kworker/u8:2-events" there (up to 64 bytes).
 *
 * Field count grew with the kernel: 44 up to 3.2 (illumos LX zones, emulating Linux, stop at 39),
 * 47 from 3.3 (start_data ...), 52 from 3.5 (arg_start ... exit_code). Fields 3-24 are required;
 * later ones are undefined when the line stops before them.
 * Numbers may exceed 2^53 (vsize, rsslim = RLIM_INFINITY 2^64-1, kstkeip): precision is lost,
 * the magnitude kept. Signed fields (cutime, nice ...) may be negative.
 */

/** PF_KTHREAD (include/linux/sched.h, 2.6.27+): the task is a kernel thread. */
export const PF_KTHREAD = 0x00200000;

export interface PidStat {
  /** field 1 */
  pid: number;
  /** field 2, without the parentheses: the thread name (TASK_COMM_LEN 16, or a kworker description). */
  comm: string;
  /** field 3: R S D Z T t X I ... */
  state: string;
  /** field 4 */
  ppid: number;
  /** field 5 */
  pgrp: number;
  /** field 6 */
  session: number;
  /** field 7: controlling terminal, encoded major/minor; 0 for none. */
  ttyNr: number;
  /** field 8: foreground process group of the terminal; -1 for none. */
  tpgid: number;
  /** field 9: PF_* flags. */
  flags: number;
  /** flags & PF_KTHREAD. */
  isKernelThread: boolean;
  /** field 10: minor faults. */
  minfltCount: number;
  /** field 11: minor faults of waited-for children. */
  cminfltCount: number;
  /** field 12: major faults (a page read from disk or swap). */
  majfltCount: number;
  /** field 13 */
  cmajfltCount: number;
  /** field 14, clock ticks (USER_HZ). */
  utimeTicks: number;
  /** field 15 */
  stimeTicks: number;
  /** field 16, signed. */
  cutimeTicks: number;
  /** field 17, signed. */
  cstimeTicks: number;
  /** field 18 */
  priority: number;
  /** field 19: -20..19. */
  nice: number;
  /** field 20 */
  numThreads: number;
  /** field 22: start time after boot, clock ticks. With pid it identifies a process over time. */
  startTimeTicks: number;
  /** field 23: virtual size, bytes. */
  vsizeBytes: number;
  /** field 24: resident set, pages (same value as statm "resident"). */
  rssPages: number;
  /** field 25: RLIMIT_RSS soft limit, bytes; 2^64-1 (RLIM_INFINITY) means no limit. */
  rsslimBytes?: number;
  /** field 36: always 0 since 2.6 */
  nswap?: number;
  /** field 38 (2.1.22+): signal sent to the parent at exit. */
  exitSignal?: number;
  /** field 39 (2.2.8+): CPU last run on. */
  processor?: number;
  /** field 40 (2.5.19+) */
  rtPriority?: number;
  /** field 41 (2.5.19+): SCHED_* policy. */
  policy?: number;
  /** field 42 (2.6.18+): aggregated block I/O delay, clock ticks. */
  delayacctBlkioTicks?: number;
  /** field 43 (2.6.24+) */
  guestTimeTicks?: number;
  /** field 44 (2.6.24+) */
  cguestTimeTicks?: number;
  /** field 52 (3.5+): exit status as waitpid() reports it (0 while running). */
  exitCode?: number;
}

const FIELDS_AFTER = /^ (\S) (-?\d+(?: -?\d+){20})/;

export function parsePidStat(text: string, path = '/proc/[pid]/stat'): PidStat {
  const firstLine = text.split('\n', 1)[0];
  const open = text.indexOf(' (');
  if (open <= 0) throw new ParseError(path, 1, firstLine, 'comm', 'expected "pid (comm)"');
  const pidStr = text.slice(0, open);
  if (!/^\d+$/.test(pidStr)) throw new ParseError(path, 1, firstLine, 'pid');
  // The rightmost ')' that is followed by "state n n ...": comm may contain ") X 1 2", the
  // real closing parenthesis comes after it.
  let close = text.lastIndexOf(')');
  let tail: string | undefined;
  while (close > open) {
    const rest = text.slice(close + 1);
    const nl = rest.indexOf('\n');
    const line = nl < 0 ? rest : rest.slice(0, nl);
    if (FIELDS_AFTER.test(line)) {
      tail = line;
      break;
    }
    close = text.lastIndexOf(')', close - 1);
  }
  if (tail === undefined) throw new ParseError(path, 1, firstLine, 'fields', 'expected ") state" and at least 22 numeric fields');
  const comm = text.slice(open + 2, close);
  const f = tail.trim().split(/\s+/);
  // f[0] is field 3 (state); field n is f[n - 3].
  const num = (n: number): number | undefined => {
    const s = f[n - 3];
    if (s === undefined) return undefined;
    if (!/^-?\d+$/.test(s)) throw new ParseError(path, 1, firstLine, `field ${n}`, 'expected an integer');
    return Number(s);
  };
  const req = (n: number): number => num(n) as number;
  const flags = req(9);
  return {
    pid: Number(pidStr),
    comm,
    state: f[0],
    ppid: req(4),
    pgrp: req(5),
    session: req(6),
    ttyNr: req(7),
    tpgid: req(8),
    flags,
    // flags is an unsigned 32-bit value; the bit test works on its low 32 bits.
    isKernelThread: (flags & PF_KTHREAD) !== 0,
    minfltCount: req(10),
    cminfltCount: req(11),
    majfltCount: req(12),
    cmajfltCount: req(13),
    utimeTicks: req(14),
    stimeTicks: req(15),
    cutimeTicks: req(16),
    cstimeTicks: req(17),
    priority: req(18),
    nice: req(19),
    numThreads: req(20),
    startTimeTicks: req(22),
    vsizeBytes: req(23),
    rssPages: req(24),
    rsslimBytes: num(25),
    nswap: num(36),
    exitSignal: num(38),
    processor: num(39),
    rtPriority: num(40),
    policy: num(41),
    delayacctBlkioTicks: num(42),
    guestTimeTicks: num(43),
    cguestTimeTicks: num(44),
    exitCode: num(52),
  };
}

export function readPidStat(root: ProcRoot, pid: number): PidStat {
  const rel = `${pid}/stat`;
  return parsePidStat(root.readProc(rel), root.procPath(rel));
}
