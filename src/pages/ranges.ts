import { ParseError } from '../fs/errors.js';
import type { ProcFile, ProcRoot } from '../fs/proc-root.js';

/**
 * The page ranges of /proc/[pid]/maps, for the frame scan: only the start and end of each line
 * (fs/proc/task_mmu.c show_map_vma), read as bytes, with no MapsEntry built per VMA. Lines
 * whose pathname is exactly [vsyscall] are left out (a fixed kernel page, above user space, that
 * pagemap does not describe). Everything else about a line is as procfs/pid-maps.ts reads it:
 * hex start and end, end not before start, then blanks and five more fields, the pathname
 * (which may contain spaces) after the blanks that follow the inode.
 */

/** Virtual page ranges as [startVpn, endVpn) pairs: vpns[2k], vpns[2k + 1], for k < count. */
export interface VpnRanges {
  vpns: Float64Array;
  count: number;
}

const MINUS = 0x2d;
const NL = 0x0a;
const SP = 0x20;
const TAB = 0x09;
const VSYSCALL = Buffer.from('[vsyscall]');
const SHAPE = 'expected "start-end perms offset dev inode [path]"';

/** Reads maps files into one growing buffer, for many processes in a row. */
export class MapsRangeReader {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private out = new Float64Array(512);

  constructor(private readonly root: ProcRoot) {}

  /** Ranges of /proc/<pid>/maps in pages of `pageSizeBytes`; valid until the next call. */
  read(pid: number, pageSizeBytes: number): VpnRanges {
    const file = this.root.openProc(`${pid}/maps`);
    let len = 0;
    try {
      len = this.readAll(file);
    } finally {
      file.close();
    }
    return this.parse(this.buf, len, pageSizeBytes, this.root.procPath(`${pid}/maps`));
  }

  private readAll(file: ProcFile): number {
    let len = 0;
    for (;;) {
      if (len === this.buf.length) {
        const bigger = Buffer.allocUnsafe(this.buf.length * 4);
        this.buf.copy(bigger, 0, 0, len);
        this.buf = bigger;
      }
      const r = file.readAt(this.buf, len, this.buf.length - len, len);
      if (r === 0) return len;
      len += r;
    }
  }

  /** Parse maps text in buf[0..len). */
  parse(buf: Uint8Array, len: number, pageSizeBytes: number, path: string): VpnRanges {
    if (!(pageSizeBytes >= 1 && pageSizeBytes <= 0x1_0000_0000 && Number.isInteger(Math.log2(pageSizeBytes)))) {
      throw new RangeError(`page size ${pageSizeBytes} is not a power of two up to 4 GiB`);
    }
    const pagesPerHi = 0x1_0000_0000 / pageSizeBytes;
    let out = this.out;
    let count = 0;
    let lineNo = 0;
    let p = 0;
    while (p < len) {
      lineNo++;
      const lineStart = p;
      let eol = buf.indexOf(NL, p);
      if (eol < 0 || eol > len) eol = len;
      p = eol + 1;
      if (eol === lineStart) continue;
      // start-end, each as high and low 32 bits.
      let q = lineStart;
      let sHi = 0;
      let sLo = 0;
      let digits = 0;
      for (; q < eol; q++) {
        const d = hexDigit(buf[q]);
        if (d < 0) break;
        sHi = sHi * 16 + (sLo >>> 28);
        sLo = ((sLo << 4) | d) >>> 0;
        digits++;
      }
      if (digits === 0 || buf[q] !== MINUS) throw bad(buf, lineStart, eol, path, lineNo, SHAPE);
      q++;
      let eHi = 0;
      let eLo = 0;
      digits = 0;
      for (; q < eol; q++) {
        const d = hexDigit(buf[q]);
        if (d < 0) break;
        eHi = eHi * 16 + (eLo >>> 28);
        eLo = ((eLo << 4) | d) >>> 0;
        digits++;
      }
      if (digits === 0 || (buf[q] !== SP && buf[q] !== TAB)) throw bad(buf, lineStart, eol, path, lineNo, SHAPE);
      if (eHi < sHi || (eHi === sHi && eLo < sLo)) throw bad(buf, lineStart, eol, path, lineNo, 'end before start', 'address range');
      // Perms, offset, dev and inode must be there; the pathname, if any, follows.
      let fields = 0;
      while (q < eol && fields < 4) {
        while (q < eol && (buf[q] === SP || buf[q] === TAB)) q++;
        if (q === eol) break;
        while (q < eol && buf[q] !== SP && buf[q] !== TAB) q++;
        fields++;
      }
      if (fields < 4) throw bad(buf, lineStart, eol, path, lineNo, SHAPE);
      while (q < eol && (buf[q] === SP || buf[q] === TAB)) q++;
      if (eol - q === VSYSCALL.length && VSYSCALL.equals(buf.subarray(q, eol))) continue;
      if (2 * count + 2 > out.length) {
        const bigger = new Float64Array(out.length * 2);
        bigger.set(out);
        out = this.out = bigger;
      }
      out[2 * count] = sHi * pagesPerHi + Math.floor(sLo / pageSizeBytes);
      out[2 * count + 1] = eHi * pagesPerHi + Math.ceil(eLo / pageSizeBytes);
      count++;
    }
    return { vpns: out, count };
  }
}

function bad(buf: Uint8Array, start: number, end: number, path: string, lineNo: number, detail: string, field = 'maps entry'): ParseError {
  return new ParseError(path, lineNo, Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'), field, detail);
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
