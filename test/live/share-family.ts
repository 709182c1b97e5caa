import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Compiles and drives test/live/fork-family.c: a parent with a buffer and forked children. */
export const FAMILY_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fork-family.c');

export function canRunFamilies(): boolean {
  if (process.getuid?.() !== 0 || !fs.existsSync('/proc/kpagecount')) return false;
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function buildFamily(): { bin: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-share-'));
  const bin = path.join(dir, 'fork-family');
  execFileSync('cc', ['-O2', '-o', bin, FAMILY_SOURCE]);
  return { bin, dir };
}

export class Family {
  parent = 0;
  children: number[] = [];
  private proc: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiters: (() => void)[] = [];

  constructor(bin: string, mib: number, children: number) {
    this.proc = spawn(bin, [String(mib), String(children)]);
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Wait until `count` lines starting with `prefix` have arrived; returns them. */
  async waitFor(prefix: string, count = 1, timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.lines.filter((l) => l.startsWith(prefix));
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} "${prefix}" lines (got ${got.length})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  async ready(): Promise<void> {
    const [line] = await this.waitFor('ready');
    const pids = line.split(' ').slice(1).map(Number);
    this.parent = pids[0];
    this.children = pids.slice(1);
  }

  /** Kill every process of the family by pid (children first), then reap the parent. */
  async stop(): Promise<void> {
    for (const pid of this.children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.proc.kill('SIGKILL');
    if (this.proc.exitCode === null && this.proc.signalCode === null) await new Promise((r) => this.proc.once('exit', r));
  }
}
