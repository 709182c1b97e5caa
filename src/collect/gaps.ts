import { ParseError, ProcError } from '../fs/errors.js';
import type { Gap } from './sample.js';

/**
 * Collects what could not be read in one scan, folded by pattern ("/proc/<pid>/smaps_rollup"),
 * so that 300 unreadable processes become one gap with a count, not 300 lines.
 */
export class GapLog {
  private byKey = new Map<string, Gap>();
  vanished = 0;

  /** `procDir`: the directory standing for /proc, so that gaps name kernel paths, not capture paths. */
  constructor(private readonly procDir = '/proc') {}

  add(kind: Gap['kind'], absPath: string): void {
    const path = this.procDir !== '/proc' && absPath.startsWith(this.procDir) ? `/proc${absPath.slice(this.procDir.length)}` : absPath;
    const what = path.replace(/^\/proc\/\d+(\/|$)/, '/proc/<pid>$1');
    const key = `${kind}\0${what}`;
    const g = this.byKey.get(key);
    if (g) g.count++;
    else this.byKey.set(key, { kind, what, count: 1, example: path });
  }

  list(): Gap[] {
    return [...this.byKey.values()];
  }

  count(kind: Gap['kind']): number {
    let n = 0;
    for (const g of this.byKey.values()) if (g.kind === kind) n += g.count;
    return n;
  }
}

/**
 * Run an optional read: a missing file (absent) gives undefined silently; denied, malformed
 * or failed reads give undefined and a gap. A vanished process is rethrown for the caller,
 * which drops the whole process.
 */
export function optional<T>(gaps: GapLog, path: string, read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof ProcError) {
      if (e.kind === 'vanished') throw e;
      if (e.kind !== 'absent') gaps.add(e.kind, e.path);
      return undefined;
    }
    if (e instanceof ParseError) {
      gaps.add('malformed', path);
      return undefined;
    }
    throw e;
  }
}
