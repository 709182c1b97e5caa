import Table from 'cli-table3';
import { pc } from './color.js';

export interface Column<Row> {
  title: string;
  align?: 'left' | 'right';
  value: (row: Row) => string;
  /** Left out when the table is wider than the screen: rank 1 goes first. Unranked columns always stay. */
  dropRank?: number;
  /** As the last column, wrap text that does not fit rather than cut it with "…" (prose, not commands). */
  wrap?: boolean;
}

/** The screen's width when stdout is no terminal and COLUMNS is unset (an 80-100 column terminal with a little to spare). */
export const SCREEN_WIDTH = 100;
/** The last column keeps at least this many characters before it is cut or wrapped. */
const MIN_LAST_WIDTH = 20;

/**
 * Width to fit tables into: COLUMNS if set (as ps(1) reads it), else the terminal's width.
 * Output that goes to a pipe or a file keeps every column and whole command lines, as ps(1)
 * does there: nothing on the other side has a width.
 */
export function tableWidth(env: NodeJS.ProcessEnv = process.env, stdout: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const fromEnv = Number(env.COLUMNS);
  if (env.COLUMNS && Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (!stdout.isTTY) return Infinity;
  return stdout.columns || SCREEN_WIDTH;
}

/** Characters a cell takes on screen (one per code point: the tables hold no wide glyphs). */
const cellWidth = (s: string): number => Math.max(0, ...s.split('\n').map((l) => [...l].length));

/**
 * The columns that fit in `width`: droppable columns go, lowest rank first, until the others fit
 * with at least MIN_LAST_WIDTH for the last column. `dropped` names the titles left out.
 */
export function fitColumns<Row>(columns: Column<Row>[], rows: Row[], footer: Row[], width: number): { columns: Column<Row>[]; dropped: string[] } {
  const all = [...rows, ...footer];
  const widths = columns.map((c) => Math.max(cellWidth(c.title), ...all.map((r) => cellWidth(c.value(r)))));
  const kept = columns.map((_, i) => i);
  const need = (): number => kept.reduce((s, i, k) => s + (k === kept.length - 1 ? Math.min(widths[i], Math.max(MIN_LAST_WIDTH, cellWidth(columns[i].title))) : widths[i]), 0) + kept.length - 1;
  const order = columns.map((c, i) => ({ i, rank: c.dropRank })).filter((x) => x.rank !== undefined).sort((a, b) => a.rank! - b.rank!);
  const dropped: string[] = [];
  for (const { i } of order) {
    if (need() <= width) break;
    kept.splice(kept.indexOf(i), 1);
    dropped.push(columns[i].title);
  }
  return { columns: kept.map((i) => columns[i]), dropped };
}

/**
 * A borderless, aligned text table (as ps and smem print), rendered by cli-table3, fitted into
 * `width` columns: droppable columns are left out (fitColumns), then the last column is cut with
 * "…" or, for prose, wrapped. Colour only where colorWanted() says so (a TTY, and no NO_COLOR).
 */
export function renderTable<Row>(allColumns: Column<Row>[], rows: Row[], footer: Row[] = [], width = tableWidth()): string {
  let columns = fitColumns(allColumns, rows, footer, width).columns;
  const last = columns[columns.length - 1];
  if (last && Number.isFinite(width)) {
    const all = [...rows, ...footer];
    const others = columns.slice(0, -1).reduce((s, c) => s + Math.max(cellWidth(c.title), ...all.map((r) => cellWidth(c.value(r)))), 0) + columns.length - 1;
    const room = Math.max(MIN_LAST_WIDTH, cellWidth(last.title), width - others);
    columns = [...columns.slice(0, -1), { ...last, value: (r: Row) => (last.wrap ? wrap(last.value(r), '', room).join('\n') : cut(last.value(r), room)) }];
  }
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

function cut(s: string, n: number): string {
  const chars = [...s];
  return chars.length > n ? `${chars.slice(0, n - 1).join('')}…` : s;
}

/** Greedy word wrap of plain prose to `width`, every line after the first indented like it. */
export function wrap(text: string, indent: string, width = SCREEN_WIDTH): string[] {
  const out: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent + word;
    } else line = line.trim() === '' ? indent + word : `${line} ${word}`;
  }
  if (line.trim() !== '') out.push(line);
  return out;
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
