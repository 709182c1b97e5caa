import type { ProcRoot } from '../fs/proc-root.js';
import { ProcError, isProcError } from '../fs/errors.js';
import { toProcError } from '../fs/proc-root.js';

/**
 * Readers that gather many small optional sysfs files (a cgroup directory, a zram device) use
 * this: a file this kernel does not have is `undefined`; any other failure (denied, malformed,
 * failed) also leaves the value `undefined` but is kept in `gaps`, so that the collector can
 * tell "not on this kernel" from "could not read".
 */
export interface SysGap {
  /** Path under the sys root, as passed to ProcRoot.readSys. */
  rel: string;
  error: ProcError;
}

export function readSysOptional<T>(root: ProcRoot, rel: string, parse: (text: string, path: string) => T, gaps: SysGap[]): T | undefined {
  if (!root.hasSys()) return undefined;
  let text: string;
  try {
    text = root.readSys(rel);
  } catch (e) {
    if (isProcError(e, 'absent')) return undefined;
    // EINVAL/EOPNOTSUPP on read: a write-only control file (memory.reclaim) or a detached device.
    gaps.push({ rel, error: toProcError(e, root.sysPath(rel), undefined) });
    return undefined;
  }
  try {
    return parse(text, root.sysPath(rel));
  } catch (e) {
    gaps.push({ rel, error: toProcError(e, root.sysPath(rel), undefined) });
    return undefined;
  }
}

/** Entries of a sysfs directory, or [] when it does not exist. */
export function listSysOptional(root: ProcRoot, rel: string): string[] {
  if (!root.existsSys(rel)) return [];
  try {
    return root.listSys(rel);
  } catch (e) {
    if (isProcError(e, 'absent')) return [];
    throw e;
  }
}
