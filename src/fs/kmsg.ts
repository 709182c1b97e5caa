import * as fs from 'node:fs';
import { ParseError } from './errors.js';
import { toProcError } from './proc-root.js';

/**
 * /dev/kmsg: the kernel log ring buffer, one record per read() (Documentation/ABI/testing/dev-kmsg;
 * kernel/printk/printk.c devkmsg_read).
 *
 *   6,1234,549985325,-;python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
 *    SUBSYSTEM=memory
 *
 * Opened O_NONBLOCK: read() returns EAGAIN once every stored record has been read, and EPIPE
 * when the records between our position and the oldest still stored were overwritten (we skip
 * on and count it). A fresh open starts at the oldest stored record. Needs CAP_SYSLOG or
 * kernel.dmesg_restrict=0 (EPERM otherwise, reported as ProcError 'denied').
 */

export interface KmsgRecord {
  /** Syslog level 0 (emerg) .. 7 (debug). */
  level: number;
  /** Syslog facility: 0 = kernel; 1 (user) for lines written to /dev/kmsg from user space. */
  facility: number;
  seq: number;
  /** Microseconds since boot (printk time, local_clock()). */
  usec: number;
  /** "-" alone, "c" for a continuation fragment (before 4.9). */
  flags: string;
  /** Message text with \xNN escapes (newlines inside a record included) undone. */
  message: string;
  /** Dictionary lines (" SUBSYSTEM=...", " DEVICE=..."). */
  dict: Record<string, string>;
}

/** Largest record the kernel returns from one read (CONSOLE_EXT_LOG_MAX, 8 KiB), with room to spare. */
const RECORD_MAX = 16 * 1024;

/** Undo the \xNN escapes /dev/kmsg writes for non-printable bytes and newlines (Documentation/ABI/testing/dev-kmsg). */
export function unescapeKmsg(s: string): string {
  return s.indexOf('\\x') < 0 ? s : s.replace(/\\x([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Parse one record as read(): "prio,seq,usec,flags[,...];message\n KEY=value\n". */
export function parseKmsgRecord(text: string, path = '/dev/kmsg'): KmsgRecord {
  const semi = text.indexOf(';');
  const head = semi < 0 ? '' : text.slice(0, semi);
  const m = /^(\d+),(\d+),(\d+),([^,;]*)/.exec(head);
  if (!m) throw new ParseError(path, 1, text.split('\n')[0] ?? '', 'prio,seq,usec,flags', 'not a /dev/kmsg record');
  const [body, ...dictLines] = text.slice(semi + 1).replace(/\n$/, '').split('\n');
  const dict: Record<string, string> = {};
  for (const d of dictLines) {
    const eq = d.indexOf('=');
    if (d.startsWith(' ') && eq > 1) dict[d.slice(1, eq)] = d.slice(eq + 1);
  }
  const prio = Number(m[1]);
  return {
    level: prio & 7,
    facility: prio >> 3,
    seq: Number(m[2]),
    usec: Number(m[3]),
    flags: m[4],
    message: unescapeKmsg(body),
    dict,
  };
}

/** A non-blocking reader that keeps its position: call `readAvailable()` again for new records. */
export class KmsgReader {
  private fd: number | undefined;
  private readonly buf = Buffer.allocUnsafe(RECORD_MAX);
  /** How many times records were overwritten before we read them (EPIPE). */
  overruns = 0;
  /** A regular file standing in for the device (a saved `cat /dev/kmsg`): read whole, once. */
  private readonly regular: boolean;
  private regularDone = false;

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      this.regular = fs.fstatSync(this.fd).isFile();
    } catch (e) {
      if (this.fd !== undefined) fs.closeSync(this.fd);
      throw toProcError(e, path, undefined);
    }
  }

  /** Every record stored after the last one returned; [] when there is none yet. */
  readAvailable(): KmsgRecord[] {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    if (this.regular) {
      if (this.regularDone) return [];
      this.regularDone = true;
      return splitRecords(fs.readFileSync(this.fd, 'utf8'), this.path);
    }
    const out: KmsgRecord[] = [];
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') {
          this.overruns++;
          continue;
        }
        throw toProcError(e, this.path, undefined);
      }
      if (n === 0) break;
      out.push(parseKmsgRecord(this.buf.toString('utf8', 0, n), this.path));
    }
    return out;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function splitRecords(text: string, path: string): KmsgRecord[] {
  const out: KmsgRecord[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(' ')) cur += `\n${line}`;
    else {
      if (cur) out.push(parseKmsgRecord(cur, path));
      cur = line;
    }
  }
  if (cur) out.push(parseKmsgRecord(cur, path));
  return out;
}

/** Every record stored in the ring buffer now. */
export function readKmsg(path = '/dev/kmsg'): KmsgRecord[] {
  const r = new KmsgReader(path);
  try {
    return r.readAvailable();
  } finally {
    r.close();
  }
}
