import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { SCREEN_WIDTH, fitColumns, renderTable, tableWidth, wrap, type Column } from '../../src/cli/table.js';

interface Row {
  n: number;
  text: string;
}

const cols: Column<Row>[] = [
  { title: 'N', value: (r) => String(r.n) },
  { title: 'BIG', value: (r) => String(r.n).padStart(30, '9'), dropRank: 1 },
  { title: 'TEXT', align: 'left', value: (r) => r.text },
];
const rows: Row[] = [
  { n: 1, text: 'a'.repeat(80) },
  { n: 2, text: 'short' },
];
const width = (s: string) => Math.max(...s.split('\n').map((l) => [...l].length));

describe('tables fit the screen', () => {
  it('COLUMNS, else the terminal; a pipe has no width', () => {
    expect(tableWidth({ COLUMNS: '72' }, { isTTY: true, columns: 200 })).toBe(72);
    expect(tableWidth({ COLUMNS: '72' }, { isTTY: false })).toBe(72);
    expect(tableWidth({}, { isTTY: true, columns: 132 })).toBe(132);
    expect(tableWidth({}, { isTTY: true })).toBe(SCREEN_WIDTH);
    expect(tableWidth({}, { isTTY: false })).toBe(Infinity);
    expect(tableWidth({ COLUMNS: 'wide' }, { isTTY: false })).toBe(Infinity);
  });

  it('drops ranked columns first, then cuts the last column with …', () => {
    expect(fitColumns(cols, rows, [], 50).dropped).toEqual(['BIG']);
    const out = renderTable(cols, rows, [], 50);
    expect(width(out)).toBeLessThanOrEqual(50);
    expect(out).not.toMatch(/BIG/);
    expect(out).toMatch(/a…$/m);
    expect(out).toMatch(/short$/m);
  });

  it('keeps every column when they fit, and everything with an infinite width', () => {
    expect(fitColumns(cols, rows, [], 200).dropped).toEqual([]);
    expect(renderTable(cols, rows, [], Infinity)).toContain('a'.repeat(80));
  });

  it('wraps prose in the last column instead of cutting it', () => {
    const prose: Column<Row>[] = [cols[0], { title: 'MEANING', align: 'left', wrap: true, value: () => 'one two three four five six seven eight nine ten' }];
    const out = renderTable(prose, rows.slice(0, 1), [], 25);
    expect(width(out)).toBeLessThanOrEqual(25);
    expect(out.replace(/\s+/g, ' ')).toContain('one two three four five six seven eight nine ten');
  });

  it('wrap breaks prose at spaces and indents the lines after the first', () => {
    expect(wrap('aa bb cc', '', 5)).toEqual(['aa bb', 'cc']);
    expect(wrap('aa bb cc dd', '  ', 8)).toEqual(['  aa bb', '  cc dd']);
  });
});

describe('command tables fit COLUMNS=100', () => {
  const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' } });
  const piped = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '' } });

  it('ps into a pipe keeps every column, as ps(1) does', () => {
    const out = piped('ps').stdout;
    expect(out.split('\n')[0]).toMatch(/VIRT .* MINFLT MAJFLT OOM COMMAND$/);
    expect(out).not.toMatch(/Left out/);
  });

  it('ps: table lines fit, the left-out columns are named, --wide shows them all', () => {
    const r = run('ps');
    expect(r.status).toBe(0);
    const table = r.stdout.split('\n\n')[0];
    expect(width(table)).toBeLessThanOrEqual(100);
    expect(r.stdout).toMatch(/Left out to fit 100 columns: VIRT/);
    const wide = run('ps', '--wide').stdout;
    expect(wide.split('\n')[0]).toMatch(/VIRT .* MINFLT MAJFLT OOM COMMAND$/);
    expect(wide).not.toMatch(/Left out/);
  });

  it('faults and commit: the command column is cut to fit', () => {
    for (const args of [['faults', '--interval', '0.2'], ['commit']]) {
      const out = run(...args).stdout;
      const tableLines = out.split('\n').filter((l) => /^\s*\d+ /.test(l));
      expect(tableLines.length, args.join(' ')).toBeGreaterThan(0);
      expect(width(tableLines.join('\n')), args.join(' ')).toBeLessThanOrEqual(100);
    }
  });
});
