import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * Shared line grammar of the "Key:   value [kB]" files: /proc/meminfo, /proc/<pid>/status,
 * smaps_rollup, smaps VMA bodies, node<N>/meminfo (after its "Node N " prefix).
 *
 *   MemTotal:       24590304 kB
 */

const KV_LINE = /^([^:\s][^:]*?):\s*(.*?)\s*$/;

export interface KvEntry {
  key: string;
  value: string;
  lineNo: number;
  line: string;
}

/** Split text into key/value entries; blank lines are skipped, a line without a colon throws. */
export function kvEntries(text: string, path: string, field = 'key: value'): KvEntry[] {
  return numberedLines(text).map(({ line, lineNo }) => {
    const m = KV_LINE.exec(line.trimStart());
    if (!m) throw new ParseError(path, lineNo, line, field);
    return { key: m[1], value: m[2], lineNo, line };
  });
}

const UNIT_BYTES: Record<string, number> = { '': 1, B: 1, kB: 1024, KB: 1024, mB: 1024 ** 2, MB: 1024 ** 2, GB: 1024 ** 3 };

/**
 * "123 kB" -> 125952 bytes; "123" -> 123 (a bare count). The kernel writes "kB" but means KiB
 * (fs/proc/meminfo.c show_val_kb shifts by 10).
 */
export function parseSize(e: KvEntry, path: string): number {
  const m = /^(-?\d+)(?:\s+([A-Za-z]+))?$/.exec(e.value);
  if (!m) throw new ParseError(path, e.lineNo, e.line, e.key, 'expected a number with an optional unit');
  const mult = UNIT_BYTES[m[2] ?? ''];
  if (mult === undefined) throw new ParseError(path, e.lineNo, e.line, e.key, `unknown unit ${m[2]}`);
  return Number(m[1]) * mult;
}

/** A decimal integer field (may exceed 2^53: precision is lost, the magnitude is kept). */
export function parseIntField(s: string, path: string, lineNo: number, line: string, field: string): number {
  if (!/^-?\d+$/.test(s)) throw new ParseError(path, lineNo, line, field, 'expected an integer');
  return Number(s);
}
