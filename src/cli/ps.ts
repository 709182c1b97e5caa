import type { Command } from 'commander';
import { ProcRoot } from '../fs/proc-root.js';
import { userNames } from '../fs/users.js';
import { collectSampleAsync } from '../collect/collector.js';
import type { ProcSample, Sample } from '../collect/sample.js';
import { GROUP_BYS, groupProcs, type GroupBy } from '../analyze/groups.js';
import { rssOverUsed, usedBytes } from '../analyze/totals.js';
import { EXACT_FIELDS, PROC_FIELDS, jsonKey, procField, type ExactField, type ProcField } from '../fields/process.js';
import { addExactColumns, type ExactSummary } from './ps-exact.js';
import { formatBytes, formatCount } from '../fields/units.js';
import { UsageError } from './errors.js';
import type { Column } from './table.js';
import { jsonText } from './json.js';

interface PsOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  csv?: boolean;
  bytes?: boolean;
  sort: string;
  pid?: string;
  user?: string;
  name?: string;
  limit?: string;
  group?: string;
  kernel?: boolean;
  exact?: boolean;
  wide?: boolean;
}

/** Columns `ps` leaves out first when the table is wider than the screen (1 goes first); --wide keeps all. */
const DROP_RANK: Record<string, number> = { virt: 1, majflt: 2, minflt: 3, shr: 4, oom: 5, shmem: 6, file: 7, anon: 8 };

/** A table row: one process, or one group of processes with summed values. */
export interface PsRow {
  key: string;
  label?: string;
  processCount: number;
  pids: number[];
  values: Record<string, number | string | undefined>;
  /** Fields where some member's value was unknown: the sum is a lower bound. */
  partial: string[];
}

export function configure(cmd: Command): void {
  cmd
    .option('--sort <field>', `sort by a column: ${PROC_FIELDS.map((f) => f.id).join(', ')}`, 'pss')
    .option('--pid <pids>', 'only these pids (comma-separated)')
    .option('--user <user>', 'only processes of this user name or uid')
    .option('--name <text>', 'only processes whose command or program contains this text')
    .option('--limit <n>', 'show at most n rows (totals still cover every matching process)')
    .option('--group <by>', `sum processes by ${GROUP_BYS.join('|')}`)
    .option('--bytes', 'exact byte counts instead of human units')
    .option('--csv', 'print CSV (the columns of the JSON rows)')
    .option('--kernel', 'include kernel threads')
    .option('--wide', 'every column and whole command lines, however wide (default: fit the terminal, or 100 columns)')
    .option('--exact', 'add exact USS (and, with --group, each group\'s footprint) from page frames; needs root')
    .action((opts: PsOptions) => runPs(opts));
}

async function runPs(opts: PsOptions): Promise<void> {
  const sortable: (ProcField | ExactField)[] = [...PROC_FIELDS, ...(opts.exact ? EXACT_FIELDS.filter((f) => (f.rows === 'group') === Boolean(opts.group)) : [])];
  const sortField = sortable.find((f) => f.id === opts.sort);
  if (!sortField) throw new UsageError(`unknown --sort field '${opts.sort}' (one of: ${sortable.map((f) => f.id).join(', ')})`);
  if (opts.group && !GROUP_BYS.includes(opts.group as GroupBy)) throw new UsageError(`--group takes ${GROUP_BYS.join(', ')}, not '${opts.group}'`);
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit takes a positive whole number, not '${opts.limit}'`);
  const pidFilter = opts.pid?.split(',').map((s) => {
    if (!/^\d+$/.test(s.trim())) throw new UsageError(`--pid takes pids separated by commas, not '${opts.pid}'`);
    return Number(s);
  });

  const root = ProcRoot.fromOptions(opts);
  // As ps(1): a user name this machine does not know is a mistake, not an empty list. Names
  // resolve only on the live machine, so a captured tree takes numeric uids as well.
  if (opts.user !== undefined && !/^\d+$/.test(opts.user) && root.live && ![...userNames(true).values()].includes(opts.user)) {
    throw new UsageError(`--user: no user named '${opts.user}'`);
  }
  // cgroup paths are only shown by --group cgroup; the rest of a row needs every other file.
  // ps shows oom_score, not oom_score_adj: one file fewer per process.
  const sample = await collectSampleAsync(root, { pids: pidFilter, cgroup: opts.group === 'cgroup', oom: 'score' });
  if (pidFilter && sample.procs.length === 0) throw new UsageError(`--pid: no process ${pidFilter.join(', ')}`);
  const procs = sample.procs.filter((p) => (opts.kernel || !p.isKernelThread) && matches(p, opts));
  const ps = sample.header.caps.pageSizeBytes;
  let rows = opts.group ? groupRows(procs, opts.group as GroupBy, ps) : procs.map((p) => procRow(p, ps));
  // Groups leave kernel threads out (they own no user memory): so must the totals under them.
  const totals = totalRow(opts.group ? procs.filter((p) => !p.isKernelThread) : procs, ps);
  const exact = opts.exact ? addExactColumns(root, sample, procs, rows, totals, opts.group as GroupBy | undefined) : undefined;
  rows = sortRows(rows, sortField);
  const shown = limit ? rows.slice(0, limit) : rows;
  const fmt = (n: number): string => formatBytes(n, opts.bytes);
  const notes: string[] = [];
  const rssSum = totals.values.rss;
  const over = typeof rssSum === 'number' ? rssOverUsed(sample, rssSum, totals.values.pss as number | undefined, fmt) : undefined;
  if (over) notes.push(over.sentence);
  if (totals.partial.includes('pss')) notes.push(`PSS is unknown for ${processes(countUnknown(procs, 'pss', ps))}; the PSS total covers the rest.`);

  if (exact) notes.push(exact.note);
  const exactCols = exact ? EXACT_FIELDS.filter((f) => (f.rows === 'group') === Boolean(opts.group)) : [];

  if (opts.json) {
    process.stdout.write(jsonText(psJson(sample, opts.group ?? null, shown, totals, notes, exactCols, exact)) + '\n');
    return;
  }
  // The table renderer (cli-table3) loads only for the outputs that use it: --json never pays for it.
  const table = await import('./table.js');
  if (opts.csv) {
    const fields = PROC_FIELDS;
    const header = ['key', ...(opts.group ? ['label', 'processCount'] : []), ...fields.map(jsonKey), ...exactCols.map((f) => f.key)];
    process.stdout.write(
      table.renderCsv(header, shown.map((r) => [r.key, ...(opts.group ? [r.label, r.processCount] : []), ...fields.map((f) => r.values[f.id]), ...exactCols.map((f) => r.values[f.id])])),
    );
    return;
  }
  process.stdout.write(renderPsTable(table, shown, totals, opts, sample, notes, exactCols) + '\n');
}

function matches(p: ProcSample, o: PsOptions): boolean {
  if (o.user !== undefined && p.user !== o.user && String(p.uid) !== o.user) return false;
  if (o.name !== undefined) {
    // As pgrep: the text is in our own argv, so we would always match ourselves.
    if (p.pid === process.pid) return false;
    const hay = `${p.comm} ${p.exe ?? ''} ${(p.cmdline ?? []).join(' ')}`;
    if (!hay.includes(o.name)) return false;
  }
  return true;
}

function procRow(p: ProcSample, pageSize: number): PsRow {
  const values: PsRow['values'] = {};
  for (const f of PROC_FIELDS) values[f.id] = f.get(p, pageSize);
  return { key: p.key, processCount: 1, pids: [p.pid], values, partial: [] };
}

function sumRow(key: string, procs: ProcSample[], pageSize: number, label?: string): PsRow {
  const values: PsRow['values'] = {};
  const partial: string[] = [];
  for (const f of PROC_FIELDS.filter((f) => f.summable)) {
    let total: number | undefined;
    let missing = false;
    for (const p of procs) {
      const v = f.get(p, pageSize);
      if (typeof v === 'number') total = (total ?? 0) + v;
      else missing = true;
    }
    values[f.id] = total;
    if (missing && total !== undefined) partial.push(f.id);
  }
  return { key, label, processCount: procs.length, pids: procs.map((p) => p.pid), values, partial };
}

function groupRows(procs: ProcSample[], by: GroupBy, pageSize: number): PsRow[] {
  return groupProcs(procs, by).map((g) => {
    const r = sumRow(g.key, g.procs, pageSize, g.label);
    r.values.command = g.label;
    r.values.user = new Set(g.procs.map((p) => p.user ?? p.uid)).size === 1 ? (g.procs[0].user ?? String(g.procs[0].uid ?? '?')) : '*';
    return r;
  });
}

function totalRow(procs: ProcSample[], pageSize: number): PsRow {
  return sumRow('total', procs, pageSize, 'TOTAL');
}

function countUnknown(procs: ProcSample[], id: string, pageSize: number): number {
  const f = procField(id)!;
  return procs.filter((p) => f.get(p, pageSize) === undefined).length;
}

/** Sort descending for numbers (unknown last), ascending for text. */
function sortRows(rows: PsRow[], f: ProcField | ExactField): PsRow[] {
  return [...rows].sort((a, b) => {
    const x = a.values[f.id];
    const y = b.values[f.id];
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return f.id === 'pid' ? x - y : y - x;
    return String(x).localeCompare(String(y));
  });
}

function renderPsTable(
  { fitColumns, renderTable, tableWidth }: typeof import('./table.js'),
  rows: PsRow[],
  totals: PsRow,
  opts: PsOptions,
  sample: Sample,
  notes: string[],
  exactCols: ExactField[],
): string {
  const fmtCell = (f: ProcField, r: PsRow): string => {
    const v = r.values[f.id];
    // Long command lines are cut to the screen by renderTable (whole with --wide).
    if (f.unit === 'text') return v === undefined ? '?' : printable(String(v));
    // Group rows and the total row count processes in this column; a process row shows its pid.
    if (f.id === 'pid') return r.pids.length === 1 && !opts.group && r !== totals ? String(v) : String(r.processCount);
    const s = typeof v === 'number' ? (f.unit === 'bytes' ? formatBytes(v, opts.bytes) : formatCount(v)) : v === undefined ? '?' : String(v);
    return r.partial.includes(f.id) ? `≥${s}` : s;
  };
  // Grouped by user, the group column is the user: no second USER column.
  const fields = PROC_FIELDS.filter((f) => !(opts.group && (f.id === 'oom' || (f.id === 'user' && opts.group === 'user'))));
  const cols: Column<PsRow>[] = fields.map((f) => ({
    title: f.id === 'pid' && opts.group ? 'PROCS' : f.id === 'command' && opts.group ? opts.group.toUpperCase() : f.title,
    align: f.text ? 'left' : 'right',
    value: (r: PsRow) => fmtCell(f, r),
    dropRank: DROP_RANK[f.id],
  }));
  for (const f of exactCols) {
    cols.push({ title: f.title, align: 'right', value: (r: PsRow) => { const v = r.values[f.id]; return typeof v === 'number' ? formatBytes(v, opts.bytes) : '?'; } });
  }
  // COMMAND last, as ps and top print it: it is the one column of unbounded width.
  const cmdIdx = fields.findIndex((f) => f.id === 'command');
  cols.push(cols.splice(cmdIdx, 1)[0]);
  totals.values.command = `TOTAL (${processes(totals.processCount)})`;
  totals.values.user = '';
  const width = opts.wide ? Infinity : tableWidth();
  const { dropped } = fitColumns(cols, rows, [totals], width);
  const lines = [renderTable(cols, rows, [totals], width)];
  const used = usedBytes(sample.system.meminfo);
  lines.push(
    '',
    `Memory in bytes (${opts.bytes ? 'exact' : 'KiB/MiB/GiB = 1024-based'}); ? = unknown. RSS, VIRT, ANON, FILE, SHMEM from /proc/<pid>/status; ` +
      `PSS, USS, SWAP from smaps_rollup; faults are counts since each process started. Used memory: ${formatBytes(used, opts.bytes)} (MemTotal - MemAvailable).`,
  );
  if (dropped.length) lines.push(`Left out to fit ${width} columns: ${dropped.join(', ')} (--wide shows every column; --json and --csv always have them).`);
  for (const n of [...notes, ...sample.header.hints]) lines.push(n);
  if (sample.header.vanished > 0) lines.push(`${processes(sample.header.vanished)} exited during the scan and ${sample.header.vanished === 1 ? 'is' : 'are'} not shown.`);
  return lines.join('\n');
}

/**
 * Control characters as '?', as ps(1) prints them: argv and comm are chosen by the process,
 * and an escape sequence in them must not reach the terminal. JSON escapes them itself;
 * CSV keeps the bytes (it is data, not a screen).
 */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

const processes = (n: number): string => `${n} ${n === 1 ? 'process' : 'processes'}`;

function partialKeys(r: PsRow): string[] {
  return PROC_FIELDS.filter((f) => r.partial.includes(f.id)).map(jsonKey);
}

/** The documented JSON of `ps --json` (docs/json.md): unknown values are null. */
function psJson(sample: Sample, group: string | null, rows: PsRow[], totals: PsRow, notes: string[], exactCols: ExactField[], exact: ExactSummary | undefined) {
  const obj = (r: PsRow): Record<string, unknown> => {
    const o: Record<string, unknown> = { key: r.key };
    if (group) Object.assign(o, { label: r.label, processCount: r.processCount, pids: r.pids });
    for (const f of PROC_FIELDS) {
      if (group && (f.id === 'pid' || f.id === 'oom')) continue;
      o[jsonKey(f)] = r.values[f.id] ?? null;
    }
    for (const f of exactCols) o[f.key] = r.values[f.id] ?? null;
    // Keys whose sum left out members with unknown values: a lower bound (the table's "≥").
    if (group) o.partial = partialKeys(r);
    return o;
  };
  return {
    schema: 'memledger.ps/1',
    takenAtMs: sample.header.takenAtMs,
    bootId: sample.header.bootId ?? null,
    kernel: sample.header.kernel ?? null,
    group,
    usedBytes: usedBytes(sample.system.meminfo) ?? null,
    rows: rows.map(obj),
    totals: {
      processCount: totals.processCount,
      ...Object.fromEntries(PROC_FIELDS.filter((f) => f.summable).map((f) => [jsonKey(f), totals.values[f.id] ?? null])),
      ...Object.fromEntries(exactCols.filter((f) => f.rows === 'group').map((f) => [f.key, totals.values[f.id] ?? null])),
      partial: partialKeys(totals),
    },
    ...(exact ? { exact: { frames: exact.frames, reason: exact.reason ?? null, scanMs: Math.round(exact.scanMs) } } : {}),
    notes,
    hints: sample.header.hints,
    vanished: sample.header.vanished,
    gaps: sample.header.gaps,
    collectMs: Math.round(sample.header.collectMs),
  };
}
