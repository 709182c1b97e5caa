import type { Command } from 'commander';
import { pc } from './color.js';
import { ProcRoot } from '../fs/proc-root.js';
import { collectSample } from '../collect/collector.js';
import type { Sample } from '../collect/sample.js';
import { ledgerReport, type LedgerReport } from '../analyze/report.js';
import { formatBytes, formatPercent } from '../fields/units.js';
import { renderTable, wrap } from './table.js';
import { jsonText } from './json.js';

interface LedgerOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  bytes?: boolean;
}

export function configure(cmd: Command): void {
  cmd.option('--bytes', 'exact byte counts instead of human units').action((opts: LedgerOptions) => runLedger(opts));
}

function runLedger(opts: LedgerOptions): void {
  const root = ProcRoot.fromOptions(opts);
  const sample = collectSample(root, { system: ['slabinfo', 'vmallocinfo', 'sysfs', 'sysctl'] });
  const fmt = (n: number): string => formatBytes(n, opts.bytes);
  const report = ledgerReport(sample, fmt);
  if (opts.json) {
    process.stdout.write(jsonText(ledgerJson(sample, report)) + '\n');
    return;
  }
  process.stdout.write(renderLedger(sample, report, fmt) + '\n');
}

const BAR_WIDTH = 12;

function bar(part: number, whole: number): string {
  const n = Math.max(0, Math.min(BAR_WIDTH, Math.round((part / whole) * BAR_WIDTH)));
  return '█'.repeat(n) + (part > 0 && n === 0 ? '▏' : '');
}

export function renderLedger(sample: Sample, r: LedgerReport, fmt: (n: number) => string): string {
  const { ledger, owners } = r;
  const h = sample.header;
  const out: string[] = [];
  out.push(pc.bold(`Memory ledger of ${h.hostname ?? 'this machine'}${h.kernel ? ` (Linux ${h.kernel})` : ''}`));
  out.push(`${fmt(ledger.memTotalBytes)} of RAM (MemTotal), split into lines that add up to it exactly.`, '');
  type Row = { label: string; bytes?: number; pct: string; bar: string; source: string };
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const l of ledger.lines) {
    const isUnexplained = l.id === 'unexplained';
    rows.push({
      label: isUnexplained ? pc.yellow(l.label) : l.label,
      bytes: l.bytes,
      pct: l.bytes === undefined ? '?' : formatPercent(l.bytes, ledger.memTotalBytes),
      bar: l.bytes === undefined ? '' : bar(l.bytes, ledger.memTotalBytes),
      source: l.source,
    });
    for (const d of l.details ?? []) {
      if (d.bytes === undefined || d.bytes === 0) continue;
      rows.push({ label: pc.dim(`  of which ${d.label}`), bytes: d.bytes, pct: '', bar: '', source: pc.dim(d.source) });
    }
    // A note matters where the line holds something (or cannot be known).
    if (l.note && (l.bytes === undefined || l.bytes !== 0)) notes.push(`${l.label}: ${l.note}.`);
  }
  out.push(
    renderTable<Row>(
      [
        { title: 'LINE', align: 'left', value: (x) => x.label },
        { title: 'SIZE', value: (x) => formatBytesCell(x.bytes, fmt) },
        { title: '%RAM', value: (x) => x.pct },
        { title: '', align: 'left', value: (x) => x.bar },
        { title: 'COUNTER (/proc/meminfo)', align: 'left', value: (x) => x.source },
      ],
      rows,
    ),
  );
  for (const n of notes) out.push(...wrap(n, '  ').map((l) => pc.dim(l)));
  for (const o of ledger.outside) {
    out.push(...wrap(`Not in MemTotal: ${o.label} ${formatBytesCell(o.bytes, fmt)} (${o.source}), ${o.note}.`, '  '));
  }

  out.push('', pc.bold('By owner (processes, from smaps_rollup)'));
  const para = (text: string): void => {
    const [first, ...rest] = wrap(text, '    ');
    out.push(`  ${first.trimStart()}`, ...rest);
  };
  if (owners.pssSumBytes === undefined) {
    para(`${owners.processCount} processes, summed RSS ${fmt(owners.rssSumBytes)}; PSS unknown (run as root to read other users' smaps_rollup).`);
  } else {
    const split = [
      ['anon', owners.pssAnonSumBytes],
      ['file', owners.pssFileSumBytes],
      ['shmem', owners.pssShmemSumBytes],
    ].filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${fmt(v as number)}`).join(', ');
    para(`${owners.processCount} processes (${owners.withPssCount} readable): summed PSS ${fmt(owners.pssSumBytes)}${split ? ` (${split})` : ''}; summed RSS ${fmt(owners.rssSumBytes)}.`);
    const c = owners.crossCheck;
    if (c.kernelMappableBytes !== undefined) para(`Cross-check: AnonPages + Mapped + Shmem = ${fmt(c.kernelMappableBytes)} (pages processes can map, each counted once).`);
    // A difference of two counts read a few milliseconds apart can come out slightly negative.
    const diff = (n: number): string => (n >= 0 ? fmt(n) : `none (${fmt(n)}: the counts were read moments apart)`);
    if (c.anonNotInPssBytes !== undefined) para(`Anonymous memory in no readable process's PSS: ${diff(c.anonNotInPssBytes)} (AnonPages - sum of Pss_Anon).`);
    if (c.shmemUnmappedBytes !== undefined) para(`Shared memory no process maps (tmpfs files, unattached shm, memfd): ${diff(c.shmemUnmappedBytes)} (Shmem - sum of Pss_Shmem).`);
    if (c.pageCacheUnmappedBytes !== undefined) para(`Page cache of files no process maps: ${diff(c.pageCacheUnmappedBytes)} (Cached - Shmem - sum of Pss_File).`);
    para(`Top programs by PSS: ${owners.topOwners.slice(0, 5).map((o) => `${o.label} ${fmt(o.pssBytes)}${o.processCount > 1 ? ` (${o.processCount})` : ''}`).join(', ')}.`);
  }

  out.push('', pc.bold('"Used", as each tool counts it'));
  out.push(
    renderTable(
      [
        { title: '  TOOL', align: 'left', value: (u: (typeof r.used)[number]) => `  ${u.tool}` },
        { title: 'USED', value: (u) => formatBytesCell(u.bytes, fmt) },
        { title: 'FORMULA', align: 'left', value: (u) => u.formula },
      ],
      r.used,
    ),
  );
  para(r.usedSentence);

  out.push('', pc.bold('Findings'));
  if (r.findings.length === 0) out.push('  None: nothing unusual in how this machine uses its memory.');
  for (const f of r.findings) {
    const sev = f.severity === 'warning' || f.severity === 'critical' ? pc.red(f.severity.toUpperCase()) : f.severity === 'notice' ? pc.yellow('NOTICE') : pc.cyan('INFO');
    const [title, ...more] = wrap(`${f.severity.toUpperCase()} [${f.id}] ${f.title}`, '    ');
    out.push(`  ${title.trimStart().replace(f.severity.toUpperCase(), sev)}`, ...more);
    out.push(...wrap(f.explanation, '    '), ...wrap(`What to do: ${f.action}`, '    '));
  }
  const hints: string[] = [...h.hints];
  if (h.vanished) hints.push(`${h.vanished} processes exited during the scan.`);
  if (!sample.system.vmallocinfo && !h.caps.root) hints.push('Not root: slab caches and vmalloc callers are estimated from meminfo.');
  if (hints.length) out.push('', ...hints.flatMap((n) => wrap(n, '')).map((n) => pc.dim(n)));
  return out.join('\n');
}

function formatBytesCell(b: number | undefined, fmt: (n: number) => string): string {
  return b === undefined ? '?' : fmt(b);
}

function ledgerJson(sample: Sample, r: LedgerReport) {
  return {
    schema: 'memledger.ledger/1',
    takenAtMs: sample.header.takenAtMs,
    bootId: sample.header.bootId ?? null,
    kernel: sample.header.kernel ?? null,
    hostname: sample.header.hostname ?? null,
    ledger: {
      memTotalBytes: r.ledger.memTotalBytes,
      lines: r.ledger.lines.map((l) => ({ id: l.id, label: l.label, bytes: l.bytes ?? null, source: l.source, note: l.note ?? null, details: (l.details ?? []).map((d) => ({ ...d, bytes: d.bytes ?? null })) })),
      unexplainedBytes: r.ledger.unexplainedBytes,
      unknownLines: r.ledger.unknownLines,
      outside: r.ledger.outside.map((l) => ({ id: l.id, label: l.label, bytes: l.bytes ?? null, source: l.source, note: l.note ?? null })),
    },
    owners: r.owners,
    used: r.used.map((u) => ({ ...u, bytes: u.bytes ?? null })),
    usedSentence: r.usedSentence,
    findings: r.findings,
    hints: sample.header.hints,
    gaps: sample.header.gaps,
  };
}
