import { type KmsgRecord, unescapeKmsg } from '../fs/kmsg.js';

/**
 * Kernel log lines as saved by the tools people use, reduced to the message text and its time.
 *
 *   [  549.985325] python3 invoked oom-killer: ...                     dmesg
 *   [Di Aug 12 03:54:03 2025] php-fpm invoked oom-killer: ...          dmesg -T (any locale)
 *   Jan 28 19:58:45 localhost kernel: [  455.498827] badsysprogram ... syslog / journalctl -k
 *   2025-08-12T03:54:03.123+02:00 host kernel: ...                     rsyslog RFC 3339
 *   [  549.985325] host kernel: ...                                     journalctl -k -o short-monotonic
 *   4,1234,549985325,-;python3 invoked oom-killer: ...                 raw /dev/kmsg records
 *
 * /dev/kmsg record format: Documentation/ABI/testing/dev-kmsg ("prio,seq,usec,flags;message",
 * dictionary lines start with a space; non-printable bytes escaped as \xNN, so a multi-line
 * printk arrives as one record with \x0a inside). rsyslog escapes control characters in
 * messages as #012 (RHEL 7 logs): both are split back into lines here.
 */

export interface LogLine {
  /** 1-based line number in the input text (for raw kmsg records: the record's line). */
  lineNo: number;
  /** The kernel message text, prefixes removed; continuation lines keep their leading space. */
  text: string;
  /** Seconds since boot as the kernel printed it (printk time, local_clock()). */
  timeSec?: number;
  /** Wall time text as printed (dmesg -T, syslog, journal), kept verbatim: locale unknown. */
  wallTime?: string;
  /** /dev/kmsg sequence number, for raw records. */
  seq?: number;
}

const MONO = /^\[\s*(\d+\.\d+)\]\s?/;
const MONO_HOST_KERNEL = /^\[\s*(\d+\.\d+)\] \S+ kernel: ?/;
/** dmesg -T: a bracket holding a clock time; weekday and month names are locale text. */
const CTIME = /^\[([^\]]*\b\d{1,2}:\d{2}:\d{2}\b[^\]]*)\]\s?/;
/** "Jan  5 15:19:27 [host] tag[: ]": BSD syslog, journalctl short; host may be missing. */
const SYSLOG = /^(\S{3,}\s+\d{1,2} \d{2}:\d{2}:\d{2})(?: (\S+))? ([^\s:[]+)(?:\[\d+\])?: ?/;
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) (\S+) ([^\s:[]+)(?:\[\d+\])?: ?/;
const KMSG_RECORD = /^(\d+),(\d+),(\d+),([^;]*);(.*)$/;
const KMSG_DICT = /^ [A-Z][A-Z0-9_]*=/;

/**
 * Lines of records read from /dev/kmsg. Only kernel-facility records count: anything a program
 * wrote to /dev/kmsg (facility 1, e.g. systemd) cannot pose as an OOM report.
 */
export function kmsgRecordLines(records: KmsgRecord[]): LogLine[] {
  const out: LogLine[] = [];
  records.forEach((r, i) => {
    if (r.facility !== 0) return;
    for (const text of r.message.split('\n')) out.push({ lineNo: i + 1, text, timeSec: r.usec / 1e6, seq: r.seq });
  });
  return out;
}

/**
 * Split saved log text into kernel lines. Lines from other syslog programs (cron, sshd ...)
 * are dropped; lines without any prefix are kept (console captures, dmesg -t, continuations).
 */
export function splitLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  const raw = text.split('\n');
  let afterRecord = false;
  for (let i = 0; i < raw.length; i++) {
    let line = raw[i].replace(/\r$/, '');
    const lineNo = i + 1;
    if (afterRecord && KMSG_DICT.test(line)) continue;
    afterRecord = false;
    const rec = KMSG_RECORD.exec(line);
    if (rec) {
      afterRecord = true;
      if (Number(rec[1]) >> 3 !== 0) continue; // facility user: written to /dev/kmsg by a program
      const timeSec = Number(rec[3]) / 1e6;
      const seq = Number(rec[2]);
      for (const part of unescapeKmsg(rec[5]).split('\n')) out.push({ lineNo, text: part, timeSec, seq });
      continue;
    }
    let wallTime: string | undefined;
    let timeSec: number | undefined;
    let m = SYSLOG.exec(line) ?? RFC3339.exec(line);
    if (m) {
      if (m[3] !== 'kernel') continue;
      wallTime = m[1];
      line = line.slice(m[0].length);
    }
    if ((m = MONO_HOST_KERNEL.exec(line) ?? MONO.exec(line))) {
      timeSec = Number(m[1]);
      line = line.slice(m[0].length);
    } else if (wallTime === undefined && (m = CTIME.exec(line))) {
      wallTime = m[1];
      line = line.slice(m[0].length);
    }
    for (const part of line.split('#012')) out.push({ lineNo, text: part, timeSec, wallTime });
  }
  return out;
}
