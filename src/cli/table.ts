import Table from 'cli-table3';
import { pc } from './color.js';

export interface Column<Row> {
  title: string;
  align?: 'left' | 'right';
  value: (row: Row) => string;
}

/**
 * A borderless, aligned text table (as ps and smem print), rendered by cli-table3.
 * Colour only where colorWanted() says so (a TTY, and no NO_COLOR).
 */
export function renderTable<Row>(columns: Column<Row>[], rows: Row[], footer: Row[] = []): string {
  const table = new Table({
    head: columns.map((c) => pc.bold(c.title)),
    colAligns: columns.map((c) => c.align ?? 'right'),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const r of rows) table.push(columns.map((c) => c.value(r)));
  for (const r of footer) table.push(columns.map((c) => pc.bold(c.value(r))));
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** Minimal CSV (RFC 4180 quoting). */
export function renderCsv(header: string[], rows: (string | number | undefined)[][]): string {
  const cell = (v: string | number | undefined): string => {
    if (v === undefined) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
