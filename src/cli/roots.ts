import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './errors.js';

/**
 * Check `--proc-root` / `--sys-root` (or MEMLEDGER_PROC_ROOT / MEMLEDGER_SYS_ROOT) before a
 * command runs, so a typo reads as what it is ("no such directory", "not a /proc tree") rather
 * than as the first file some command happened to open. A /proc tree is recognised by its
 * `meminfo`, which every command reads.
 */
export function checkRoots(flags: { procRoot?: string; sysRoot?: string }, env: NodeJS.ProcessEnv = process.env): void {
  const proc = named(flags.procRoot, '--proc-root', env.MEMLEDGER_PROC_ROOT, 'MEMLEDGER_PROC_ROOT');
  if (proc) {
    checkDir(proc.dir, proc.what);
    if (!fs.existsSync(path.join(proc.dir, 'meminfo'))) {
      const inner = path.join(proc.dir, 'proc');
      const hint = fs.existsSync(path.join(inner, 'meminfo')) ? ` (did you mean ${inner}?)` : '';
      throw new UsageError(`${proc.what} ${proc.dir}: not a /proc tree (it has no meminfo)${hint}`);
    }
  }
  const sys = named(flags.sysRoot, '--sys-root', env.MEMLEDGER_SYS_ROOT, 'MEMLEDGER_SYS_ROOT');
  if (sys) checkDir(sys.dir, sys.what);
}

function named(flag: string | undefined, flagName: string, envValue: string | undefined, envName: string): { dir: string; what: string } | undefined {
  if (flag !== undefined) {
    if (flag === '') throw new UsageError(`${flagName} takes a directory, not ''`);
    return { dir: flag, what: flagName };
  }
  return envValue ? { dir: envValue, what: envName } : undefined;
}

function checkDir(dir: string, what: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${dir}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : `cannot open (${code})`}`);
  }
  if (!st.isDirectory()) throw new UsageError(`${what} ${dir}: not a directory`);
}
