import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProcError, type ProcErrorKind } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';

export interface FakePid {
  stat?: string;
  status?: string;
  smaps_rollup?: string;
  smaps?: string;
  cmdline?: string;
  comm?: string;
  cgroup?: string;
  oom_score?: string;
  oom_score_adj?: string;
  /** Target of the exe symlink. */
  exe?: string;
  [file: string]: string | undefined;
}

/**
 * Builds a /proc (and optionally /sys) tree in a temp directory:
 *   const t = fakeProc().meminfo(text).pid(42, { stat, status }).build();
 *   collectSample(t.root); t.cleanup();
 */
export class FakeProcBuilder {
  private files = new Map<string, string>();
  private links = new Map<string, string>();
  private sysFiles = new Map<string, string>();

  meminfo(text: string): this {
    return this.file('meminfo', text);
  }

  file(rel: string, text: string): this {
    this.files.set(rel, text);
    return this;
  }

  sys(rel: string, text: string): this {
    this.sysFiles.set(rel, text);
    return this;
  }

  pid(pid: number, files: FakePid): this {
    for (const [name, text] of Object.entries(files)) {
      if (text === undefined) continue;
      if (name === 'exe') this.links.set(`${pid}/exe`, text);
      else this.files.set(`${pid}/${name}`, text);
    }
    return this;
  }

  build(): { root: ProcRoot; dir: string; cleanup: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-fake-'));
    const write = (base: string, rel: string, text: string): void => {
      const p = path.join(base, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
    };
    for (const [rel, text] of this.files) write(path.join(dir, 'proc'), rel, text);
    for (const [rel, target] of this.links) {
      const p = path.join(dir, 'proc', rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.symlinkSync(target, p);
    }
    for (const [rel, text] of this.sysFiles) write(path.join(dir, 'sys'), rel, text);
    const hasSys = this.sysFiles.size > 0;
    const root = new ProcRoot({ procDir: path.join(dir, 'proc'), sysDir: hasSys ? path.join(dir, 'sys') : null });
    return { root, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
}

export function fakeProc(): FakeProcBuilder {
  return new FakeProcBuilder();
}

/** A stat line as the kernel prints it, with the fields a test cares about. */
export function statLine(o: { pid: number; comm: string; ppid?: number; state?: string; startTime?: number; flags?: number; minflt?: number; majflt?: number; vsize?: number; rssPages?: number }): string {
  const f: (string | number)[] = [
    o.pid, `(${o.comm})`, o.state ?? 'S', o.ppid ?? 1, o.pid, o.pid, 0, -1, o.flags ?? 4194560, o.minflt ?? 0, 0, o.majflt ?? 0, 0,
    0, 0, 0, 0, 20, 0, 1, 0, o.startTime ?? 1000, o.vsize ?? 10_000_000, o.rssPages ?? 100, '18446744073709551615',
  ];
  while (f.length < 52) f.push(0);
  return f.join(' ') + '\n';
}

/**
 * Wraps a root so that reads of paths matching `pattern` fail with the given kind: the only
 * way to produce EACCES as root, where chmod does not stop reads.
 */
export function faultyRoot(inner: ProcRoot, faults: { pattern: RegExp; kind: ProcErrorKind }[]): ProcRoot {
  const check = (rel: string, abs: string): void => {
    for (const f of faults) if (f.pattern.test(rel)) throw new ProcError(f.kind, abs, Number(/^(\d+)/.exec(rel)?.[1]) || undefined, new Error('injected'));
  };
  return new (class extends ProcRoot {
    override readProc(rel: string, maxBytes?: number): string {
      check(rel, this.procPath(rel));
      return super.readProc(rel, maxBytes);
    }
    override readProcLink(rel: string): string {
      check(rel, this.procPath(rel));
      return super.readProcLink(rel);
    }
  })({ procDir: inner.procDir, sysDir: inner.sysDir ?? null });
}
