/**
 * How numbers look to a person. A value we could not know is `undefined` and prints as
 * UNKNOWN, never as 0.
 */
export const UNKNOWN = '?';

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB"; exact=true -> "1536". Negative values keep their sign (deltas). */
export function formatBytes(bytes: number | undefined, exact = false): string {
  if (bytes === undefined || Number.isNaN(bytes)) return UNKNOWN;
  if (!Number.isFinite(bytes)) return 'unlimited';
  if (exact) return String(Math.round(bytes));
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < BINARY_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${sign}${v} B`;
  return `${sign}${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${BINARY_UNITS[i]}`;
}

export function formatCount(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return UNKNOWN;
  if (Math.abs(n) < 100_000) return String(Math.round(n));
  const units = ['', 'k', 'M', 'G', 'T'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)}${units[i]}`;
}

export function formatPercent(part: number | undefined, whole: number | undefined, digits = 1): string {
  if (part === undefined || whole === undefined || whole === 0) return UNKNOWN;
  return `${((part / whole) * 100).toFixed(digits)}%`;
}

/** Parse a size given by a user: "512M", "1.5GiB", "4096", "2g". */
export function parseSizeArg(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$/i.exec(text);
  if (!m) return undefined;
  const pow = ' kmgtp'.indexOf(m[2].toLowerCase() || ' ');
  return Math.round(Number(m[1]) * 1024 ** pow);
}
