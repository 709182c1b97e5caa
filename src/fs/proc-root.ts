import * as fs from 'node:fs';
import * as path from 'node:path';
import { ParseError, ProcError, type ProcErrorKind } from './errors.js';

/** Largest file we read whole. A 2,760-VMA Android smaps is 1.7 MB; a JVM's can reach tens of MB. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export interface ProcRootOptions {
  /** Directory that stands for /proc. Default: the live /proc. */
  procDir?: string;
  /** Directory that stands for /sys. `null` means "no /sys": sysfs-backed sections are absent. */
  sysDir?: string | null;
  /** Path of the kernel log device (live: /dev/kmsg). `null`: none. */
  kmsgPath?: string | null;
}

/**
 * The only code that touches node:fs for /proc and /sys.
 *
 * Reads are synchronous on purpose: procfs files are produced by the kernel in the calling
 * thread, so an async read only adds a thread-pool hop per file (hundreds per scan) and
 * reorders nothing. Sizes from stat() are 0 for procfs, so files are read to EOF into one
 * reusable buffer that grows up to `maxBytes`.
 */
export class ProcRoot {
  readonly procDir: string;
  readonly sysDir: string | undefined;
  readonly kmsgPath: string | undefined;
  readonly live: boolean;
  private buf = Buffer.allocUnsafe(64 * 1024);

  constructor(opts: ProcRootOptions = {}) {
    this.procDir = path.resolve(opts.procDir ?? '/proc');
    this.live = opts.procDir === undefined || this.procDir === '/proc';
    // A captured /proc tree comes without /sys unless one is named: never mix in the live /sys.
    const sys = opts.sysDir === undefined ? (this.live ? '/sys' : null) : opts.sysDir;
    this.sysDir = sys === null ? undefined : path.resolve(sys);
    const kmsg = opts.kmsgPath === undefined ? (this.live ? '/dev/kmsg' : null) : opts.kmsgPath;
    this.kmsgPath = kmsg ?? undefined;
  }

  /** Roots from CLI flags, falling back to MEMLEDGER_PROC_ROOT / MEMLEDGER_SYS_ROOT. */
  static fromOptions(flags: { procRoot?: string; sysRoot?: string }, env: NodeJS.ProcessEnv = process.env): ProcRoot {
    const procDir = flags.procRoot ?? env.MEMLEDGER_PROC_ROOT ?? undefined;
    const sysDir = flags.sysRoot ?? env.MEMLEDGER_SYS_ROOT ?? undefined;
    return new ProcRoot({ procDir: procDir || undefined, sysDir: sysDir ? sysDir : procDir ? null : undefined });
  }

  procPath(rel: string): string {
    // Hot path (several calls per process per scan): plain "123/status" needs no normalising.
    return isPlainRel(rel) ? `${this.procDir}/${rel}` : path.join(this.procDir, rel);
  }

  sysPath(rel: string): string {
    if (!this.sysDir) throw new ProcError('absent', path.join('/sys', rel), undefined, new Error('no /sys root given'));
    return path.join(this.sysDir, rel);
  }

  hasSys(): boolean {
    return this.sysDir !== undefined;
  }

  /** Text of /proc/<rel>, e.g. `meminfo` or `123/status`. */
  readProc(rel: string, maxBytes = DEFAULT_MAX_BYTES): string {
    return this.readText(this.procPath(rel), rel, maxBytes);
  }

  /** Text of /sys/<rel>, e.g. `kernel/mm/ksm/pages_sharing`. */
  readSys(rel: string, maxBytes = DEFAULT_MAX_BYTES): string {
    return this.readText(this.sysPath(rel), undefined, maxBytes);
  }

  readProcLink(rel: string): string {
    const p = this.procPath(rel);
    try {
      return fs.readlinkSync(p);
    } catch (e) {
      throw toProcError(e, p, pidOf(rel));
    }
  }

  /** Entries of a /proc directory ('' for /proc itself). */
  listProc(rel = ''): string[] {
    const p = this.procPath(rel);
    try {
      return fs.readdirSync(p);
    } catch (e) {
      throw toProcError(e, p, pidOf(rel));
    }
  }

  listSys(rel: string): string[] {
    const p = this.sysPath(rel);
    try {
      return fs.readdirSync(p);
    } catch (e) {
      throw toProcError(e, p, undefined);
    }
  }

  /** Subdirectories of a /sys directory (d_type from readdir: no stat per entry). */
  listSysDirs(rel: string): string[] {
    const p = this.sysPath(rel);
    try {
      return fs.readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (e) {
      throw toProcError(e, p, undefined);
    }
  }

  existsProc(rel: string): boolean {
    return fs.existsSync(this.procPath(rel));
  }

  existsSys(rel: string): boolean {
    return this.sysDir !== undefined && fs.existsSync(path.join(this.sysDir, rel));
  }

  /** Owner uid of a /proc entry (a pid directory is owned by the process's effective uid). */
  procOwner(rel: string): number {
    const p = this.procPath(rel);
    try {
      return fs.statSync(p).uid;
    } catch (e) {
      throw toProcError(e, p, pidOf(rel));
    }
  }

  /** Open a /proc file for positioned binary reads (pagemap, kpagecount, kpageflags). */
  openProc(rel: string): ProcFile {
    const p = this.procPath(rel);
    try {
      return new ProcFile(fs.openSync(p, 'r'), p, pidOf(rel));
    } catch (e) {
      throw toProcError(e, p, pidOf(rel));
    }
  }

  /**
   * Text of /proc/<rel>, read on libuv's thread pool. Only for files whose read is expensive in
   * the kernel (smaps_rollup walks the target's page tables): several then run at once on other
   * cores. For cheap files the pool's hops cost more than the read.
   */
  readProcAsync(rel: string, maxBytes = DEFAULT_MAX_BYTES): Promise<string> {
    const abs = this.procPath(rel);
    const pid = pidOf(rel);
    return new Promise((resolve, reject) => {
      fs.open(abs, 'r', (err, fd) => {
        if (err) return reject(toProcError(err, abs, pid));
        let buf = Buffer.allocUnsafe(16 * 1024);
        let len = 0;
        const done = (e?: unknown): void =>
          fs.close(fd, () => (e === undefined ? resolve(buf.toString('utf8', 0, len)) : reject(toProcError(e, abs, pid))));
        const next = (): void => {
          if (len === Math.min(buf.length, maxBytes)) {
            if (len >= maxBytes) return done(new ProcError('failed', abs, pid, new Error(`larger than ${maxBytes} bytes`)));
            const bigger = Buffer.allocUnsafe(Math.min(maxBytes, buf.length * 4));
            buf.copy(bigger, 0, 0, len);
            buf = bigger;
          }
          fs.read(fd, buf, len, Math.min(buf.length, maxBytes) - len, null, (e, n) => {
            if (e) return done(e);
            if (n === 0) return done();
            len += n;
            next();
          });
        };
        next();
      });
    });
  }

  private readText(abs: string, rel: string | undefined, maxBytes: number): string {
    // The pid is only needed to name an error.
    const pidOfRel = (): number | undefined => (rel === undefined ? undefined : pidOf(rel));
    let fd: number;
    try {
      fd = fs.openSync(abs, 'r');
    } catch (e) {
      throw toProcError(e, abs, pidOfRel());
    }
    try {
      let len = 0;
      for (;;) {
        // The buffer is shared and may have grown past this call's cap: the cap bounds the read.
        if (len === Math.min(this.buf.length, maxBytes)) {
          if (len >= maxBytes) throw new ProcError('failed', abs, pidOfRel(), new Error(`larger than ${maxBytes} bytes`));
          const bigger = Buffer.allocUnsafe(Math.min(maxBytes, this.buf.length * 4));
          this.buf.copy(bigger, 0, 0, len);
          this.buf = bigger;
        }
        const n = fs.readSync(fd, this.buf, len, Math.min(this.buf.length, maxBytes) - len, null);
        if (n === 0) break;
        len += n;
      }
      return this.buf.toString('utf8', 0, len);
    } catch (e) {
      throw e instanceof ProcError ? e : toProcError(e, abs, pidOfRel());
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A file opened for positioned reads; `readAt` returns the bytes actually read. */
export class ProcFile {
  constructor(
    readonly fd: number,
    readonly path: string,
    readonly pid: number | undefined,
  ) {}

  readAt(buf: Buffer, offset: number, length: number, position: number): number {
    try {
      return fs.readSync(this.fd, buf, offset, length, position);
    } catch (e) {
      throw toProcError(e, this.path, this.pid);
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** "123/status", "sys/vm": no leading or trailing slash, no empty, "." or ".." component. */
function isPlainRel(rel: string): boolean {
  if (rel === '' || rel.charCodeAt(0) === 47 /* / */ || rel.charCodeAt(rel.length - 1) === 47) return false;
  return !rel.includes('//') && !rel.includes('./') && !rel.endsWith('.');
}

function pidOf(rel: string): number | undefined {
  const m = /^\/?(\d+)(?:\/|$)/.exec(rel);
  return m ? Number(m[1]) : undefined;
}

export function toProcError(e: unknown, abs: string, pid: number | undefined): ProcError {
  if (e instanceof ProcError) return e;
  if (e instanceof ParseError) return new ProcError('malformed', abs, pid, e);
  const code = (e as NodeJS.ErrnoException)?.code;
  let kind: ProcErrorKind;
  // A file missing under a pid directory that still exists is absent, not vanished: the exe
  // link of a zombie or a kernel thread, smaps_rollup before 4.14, a file a capture left out.
  if (code === 'ENOENT' || code === 'ESRCH') kind = pid !== undefined && !pidDirExists(abs, pid) ? 'vanished' : 'absent';
  else if (code === 'EACCES' || code === 'EPERM') kind = 'denied';
  else if (code === 'ENOTDIR' && pid === undefined) kind = 'absent';
  else kind = 'failed';
  return new ProcError(kind, abs, pid, e);
}

/** Whether /proc/<pid> (the prefix of `abs` up to the pid component) still exists. */
function pidDirExists(abs: string, pid: number): boolean {
  const i = abs.lastIndexOf(`/${pid}/`);
  const dir = i >= 0 ? abs.slice(0, i + 1 + String(pid).length) : abs;
  return fs.existsSync(dir);
}
