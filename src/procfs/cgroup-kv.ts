import { ParseError } from '../fs/errors.js';
import { numberedLines, onlyLine } from './lines.js';

/**
 * Shared grammars of the memory cgroup files (Documentation/admin-guide/cgroup-v2.rst,
 * "Interface Files" / "Conventions"; cgroup-v1/memory.rst section 5):
 *
 *   single value      memory.current          "1474560"
 *   limit             memory.max              "max" or "536870912"
 *   flat keyed        memory.stat, events     "anon 114688"
 *   nested keyed      memory.numa_stat (v2)   "anon N0=1330585600 N1=1141161984"
 *                     memory.numa_stat (v1)   "total=3609 N0=3609"
 *
 * Values are unsigned 64-bit decimals. Above 2^53 they lose precision but keep their magnitude,
 * which is all the "unlimited" tests below need.
 */

const U64 = /^\d+$/;

/**
 * A v1 limit this large means "no limit". The kernel prints PAGE_COUNTER_MAX * PAGE_SIZE
 * (PAGE_COUNTER_MAX = LONG_MAX / PAGE_SIZE since 3.19: 9223372036854771712 with 4 KiB pages,
 * 9223372036854710272 with 64 KiB pages); RHEL6 2.6.32 printed LLONG_MAX 9223372036854775807;
 * 3.x res_counter kernels printed ULLONG_MAX 18446744073709551615. No machine has 2^62 bytes
 * (4 EiB) of memory, so everything from there up is unlimited. On 32-bit kernels the unlimited
 * value is 2147479552 (2 GiB - 4 KiB), indistinguishable from a real limit: kept as a number.
 */
export const UNLIMITED_THRESHOLD_BYTES = 2 ** 62;

/** A file holding one unsigned integer (memory.current, memory.usage_in_bytes, memory.failcnt ...). */
export function parseCgroupValue(text: string, path: string, field: string): number {
  const { line, lineNo } = onlyLine(text, path, field);
  const v = line.trim();
  if (!U64.test(v)) throw new ParseError(path, lineNo, line, field, 'expected an unsigned integer');
  return Number(v);
}

/**
 * A v2 limit file (memory.max/high/low/min, memory.swap.max/high, memory.zswap.max): "max" is
 * returned as `Infinity`, so that `usage < limit` and `usage / limit` need no special case and v1
 * and v2 limits compare alike. JSON has no Infinity: encoders map it (JSON.stringify gives null).
 */
export function parseCgroupLimit(text: string, path: string, field: string): number {
  const { line, lineNo } = onlyLine(text, path, field);
  const v = line.trim();
  if (v === 'max') return Infinity;
  if (!U64.test(v)) throw new ParseError(path, lineNo, line, field, 'expected "max" or an unsigned integer');
  return Number(v);
}

/** A v1 "*limit_in_bytes" value: `Infinity` at or above UNLIMITED_THRESHOLD_BYTES. */
export function cgroupV1Limit(bytes: number): number {
  return bytes >= UNLIMITED_THRESHOLD_BYTES ? Infinity : bytes;
}

export interface CgroupFlatEntry {
  key: string;
  value: number;
  lineNo: number;
  line: string;
}

/** "key value" lines; blank lines skipped. A negative value is accepted (v1 memory.stat can race). */
export function cgroupFlatEntries(text: string, path: string): CgroupFlatEntry[] {
  return numberedLines(text).map(({ line, lineNo }) => {
    const m = /^\s*(\S+)\s+(-?\d+)\s*$/.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'key value');
    return { key: m[1], value: Number(m[2]), lineNo, line };
  });
}

export interface CgroupNestedRow {
  /** v1 only: the "total=" column, summed over nodes by the kernel. */
  total?: number;
  /** Node id -> value, from the "N<id>=" columns. */
  nodes: Record<number, number>;
}

/**
 * Nested keyed lines, both spellings: v2 "anon N0=1 N1=2" and v1 "total=3 N0=1 N1=2".
 * Returns key -> row; values as printed (the caller knows the unit).
 */
export function cgroupNestedKeyed(text: string, path: string): Record<string, CgroupNestedRow> {
  const out: Record<string, CgroupNestedRow> = {};
  for (const { line, lineNo } of numberedLines(text)) {
    const words = line.trim().split(/\s+/);
    let key: string;
    const row: CgroupNestedRow = { nodes: {} };
    const v1 = /^([^=\s]+)=(\d+)$/.exec(words[0]);
    if (v1) {
      key = v1[1];
      row.total = Number(v1[2]);
    } else {
      key = words[0];
    }
    for (const w of words.slice(1)) {
      const m = /^N(\d+)=(\d+)$/.exec(w);
      if (!m) throw new ParseError(path, lineNo, line, key, 'expected N<node>=<value>');
      row.nodes[Number(m[1])] = Number(m[2]);
    }
    if (!v1 && words.length === 1) throw new ParseError(path, lineNo, line, key, 'no values');
    out[key] = row;
  }
  return out;
}
