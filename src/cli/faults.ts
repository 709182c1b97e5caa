import type { Command } from 'commander';
import { ProcRoot } from '../fs/proc-root.js';
import { derive } from '../model/derive.js';
import { FAULT_SORTS, faultReport, type FaultReport, type FaultRow, type FaultSort } from '../analyze/faults.js';
import { formatCount } from '../fields/units.js';
import { parseChoiceArg, parseIntervalArg, parseLimitArg, sampleTwice } from './interval.js';
import { renderTable, type Column } from './table.js';
import { jsonText } from './json.js';

interface FaultsOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  interval?: string;
  sort: string;
  limit?: string;
}

export function configure(cmd: Command): void {
  cmd
    .option('--interval <seconds>', 'measure over this many seconds', '1')
    .option('--sort <field>', `rank by ${FAULT_SORTS.join('|')} (then by the other)`, 'majflt')
    .option('--limit <n>', 'show at most n processes (default 30; totals cover all)')
    .action((opts: FaultsOptions) => runFaults(opts));
}

/** Two samples (rollup off: faults need only /proc/[pid]/stat) and the report between them. */
export async function measureFaults(root: ProcRoot, seconds: number, sort: FaultSort): Promise<FaultReport> {
  const [prev, cur] = await sampleTwice(root, seconds, { rollup: false, oom: false });
  return faultReport(derive(prev, cur), sort);
}

async function runFaults(opts: FaultsOptions): Promise<void> {
  const seconds = parseIntervalArg(opts.interval);
  const sort = parseChoiceArg('--sort', opts.sort, FAULT_SORTS);
  const limit = parseLimitArg(opts.limit) ?? (opts.json ? undefined : 30);
  const report = await measureFaults(ProcRoot.fromOptions(opts), seconds, sort);
  const shown = limit === undefined ? report.rows : report.rows.slice(0, limit);
  if (opts.json) {
    process.stdout.write(jsonText(faultsJson(report, shown, sort)) + '\n');
    return;
  }
  process.stdout.write(renderFaults(report, shown) + '\n');
}

const perSecond = (n: number | undefined): string => (n === undefined ? '?' : n < 10 && n > 0 ? n.toFixed(1) : formatCount(n));

function renderFaults(r: FaultReport, rows: FaultRow[]): string {
  const cols: Column<FaultRow>[] = [
    { title: 'PID', value: (x) => String(x.pid) },
    { title: 'USER', align: 'left', value: (x) => x.user ?? (x.uid === undefined ? '?' : String(x.uid)) },
    { title: 'MAJFLT/s', value: (x) => perSecond(x.majfltPerSecond) },
    { title: 'MINFLT/s', value: (x) => perSecond(x.minfltPerSecond) },
    { title: 'MAJFLT', value: (x) => formatCount(x.majfltCount) },
    { title: 'MINFLT', value: (x) => formatCount(x.minfltCount) },
    { title: 'COMMAND', align: 'left', value: (x) => command(x) },
  ];
  const s = r.system;
  const lines: string[] = [];
  const over = r.intervalSeconds === undefined ? 'no measurable interval' : `${r.intervalSeconds.toFixed(2)} s`;
  if (!r.sameBoot) lines.push('The machine rebooted between the two samples: every rate is unknown.');
  else if (r.intervalSeconds === undefined) lines.push('No interval between the two samples (a captured tree is one moment): rates are unknown.');
  if (rows.length > 0) lines.push(renderTable(cols, rows));
  else if (r.intervalSeconds !== undefined) lines.push('No process faulted during the interval.');
  const timed = hasInterval(r);
  const count = (n: number | undefined): string => (timed && n !== undefined ? formatCount(n) : '?');
  lines.push(
    '',
    `System (/proc/vmstat, over ${over}): ${perSecond(s.pgfaultPerSecond)} faults/s (pgfault: minor and major), ${perSecond(s.pgmajfaultPerSecond)} major faults/s (pgmajfault).`,
    `Listed processes: ${count(r.attributed.minfltCount)} minor + ${count(r.attributed.majfltCount)} major faults; system: ${count(s.pgfaultCount)} ` +
      '(also processes that started or exited meanwhile; each scan reads vmstat before the processes, so on a quiet machine the listed sum can run slightly ahead).',
    'Minor fault: the page was already in memory (page cache, zero page, copy-on-write) and only had to be mapped. ' +
      'Major fault: the page had to be read in (file or swap I/O), and the process waited for it.',
    timed
      ? `Counts from /proc/<pid>/stat fields 10 and 12, all threads. Not shown: ${r.quietCount} processes with no faults, ` +
          `${r.newCount} started during the interval (no earlier count, rate unknown), ${r.exitedCount} exited.`
      : 'Counts from /proc/<pid>/stat fields 10 and 12, all threads: with no interval, no process can be said to have faulted.',
  );
  if (rows.length < r.rows.length) lines.push(`Showing ${rows.length} of ${r.rows.length} faulting processes (--limit).`);
  return lines.join('\n');
}

function command(x: { comm: string; cmdline?: string[] }): string {
  const c = x.cmdline && x.cmdline.length > 0 ? x.cmdline.join(' ') : `[${x.comm}]`;
  return c.length > 80 ? `${c.slice(0, 79)}…` : c;
}

/** Counts over the interval mean something only when there was one, within one boot. */
function hasInterval(r: FaultReport): boolean {
  return r.sameBoot && r.intervalSeconds !== undefined;
}

/** `faults --json` (schema memledger.faults/1): unknown values are null. */
function faultsJson(r: FaultReport, rows: FaultRow[], sort: FaultSort) {
  const n = (x: number | undefined) => x ?? null;
  // Without an interval the deltas below are 0 by construction: unknown, not "no faults".
  const delta = (x: number | undefined) => (hasInterval(r) ? n(x) : null);
  return {
    schema: 'memledger.faults/1',
    intervalSeconds: n(r.intervalSeconds),
    sameBoot: r.sameBoot,
    sort,
    system: { pgfaultCount: delta(r.system.pgfaultCount), pgmajfaultCount: delta(r.system.pgmajfaultCount), pgfaultPerSecond: n(r.system.pgfaultPerSecond), pgmajfaultPerSecond: n(r.system.pgmajfaultPerSecond) },
    attributed: { minfltCount: delta(r.attributed.minfltCount), majfltCount: delta(r.attributed.majfltCount) },
    rows: rows.map((x) => ({
      key: x.key,
      pid: x.pid,
      comm: x.comm,
      cmdline: x.cmdline ?? null,
      user: x.user ?? null,
      minfltCount: x.minfltCount,
      majfltCount: x.majfltCount,
      minfltPerSecond: n(x.minfltPerSecond),
      majfltPerSecond: n(x.majfltPerSecond),
    })),
    faultingCount: hasInterval(r) ? r.rows.length : null,
    quietCount: delta(r.quietCount),
    newCount: r.newCount,
    exitedCount: r.exitedCount,
  };
}
