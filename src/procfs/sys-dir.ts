import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError, errnoOf, isProcError } from '../fs/errors.js';

/**
 * Shared pieces of the one-value-per-file directories: /proc/sys/vm, /sys/kernel/mm/ksm,
 * /sys/kernel/mm/transparent_hugepage, /sys/kernel/mm/hugepages/hugepages-<size>kB.
 *
 *   always [madvise] never
 */

/** A value as the directory readers keep it: a number, a list of numbers, or text. */
export type SysValue = number | number[] | string;

/** "60\n" -> 60; "256\t256\t32\t0\t0" -> [256, 256, 32, 0, 0]; anything else -> trimmed text. */
export function parseSysValue(text: string): SysValue {
  const t = text.replace(/\0+$/, '').trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^-?\d+(\s+-?\d+)+$/.test(t)) return t.split(/\s+/).map(Number);
  return t;
}

/** A single integer file ("100\n"). */
export function parseSysNumber(text: string, path: string): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) throw new ParseError(path, 1, text.split('\n')[0] ?? '', 'value', 'expected an integer');
  return Number(t);
}

export interface SysChoice {
  /** The bracketed word. */
  selected: string;
  /** Every word offered, in print order. */
  options: string[];
}

/** "always [madvise] never" -> {selected: 'madvise', options: [...]}. */
export function parseSysChoice(text: string, path: string): SysChoice {
  const t = text.trim();
  const options = t.split(/\s+/).map((w) => w.replace(/^\[(.*)\]$/, '$1'));
  const sel = t.split(/\s+/).filter((w) => /^\[.+\]$/.test(w));
  if (sel.length !== 1) throw new ParseError(path, 1, text.split('\n')[0] ?? '', 'selected', 'expected exactly one [choice]');
  return { selected: sel[0].slice(1, -1), options };
}

/**
 * Text of every readable file in a directory, by name. Skipped: subdirectories (EISDIR),
 * write-only controls (compact_memory, drop_caches: EACCES even for root; EINVAL for some sysfs
 * attributes) and files that vanish between list and read. Other errors propagate. Not being
 * root skips nothing extra: these directories are world-readable except the write-only files.
 */
export function readDirFiles(list: () => string[], read: (name: string) => string, skip: ReadonlySet<string> = new Set()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of list().sort()) {
    if (skip.has(name)) continue;
    try {
      out[name] = read(name);
    } catch (e) {
      const code = isProcError(e) ? errnoOf(e) : undefined;
      if (isProcError(e, 'denied', 'absent') || code === 'EISDIR' || code === 'EINVAL') continue;
      throw e;
    }
  }
  return out;
}

/** Every file of a /sys directory (see readDirFiles). */
export function readSysDir(root: ProcRoot, rel: string, skip?: ReadonlySet<string>): Record<string, string> {
  return readDirFiles(
    () => root.listSys(rel),
    (name) => root.readSys(`${rel}/${name}`),
    skip,
  );
}

/** Numbers (and number lists, and text) of a directory's files; empty files are left out. */
export function sysValues(files: Record<string, string>): Record<string, SysValue> {
  const out: Record<string, SysValue> = {};
  for (const [name, text] of Object.entries(files)) {
    const v = parseSysValue(text);
    if (v !== '') out[name] = v;
  }
  return out;
}
