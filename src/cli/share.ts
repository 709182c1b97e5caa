import type { Command } from 'commander';
import { ProcRoot } from '../fs/proc-root.js';
import { collectSample } from '../collect/collector.js';
import { probeCapabilities } from '../collect/probe.js';
import type { ProcSample } from '../collect/sample.js';
import { groupProcs, type GroupBy } from '../analyze/groups.js';
import { exactFootprints } from '../analyze/footprint.js';
import { compareSets, familyOf, measureSet, type SetReport } from '../analyze/footprint-family.js';
import { formatBytes } from '../fields/units.js';
import { UsageError } from './errors.js';
import { LEGEND_EXACT, LEGEND_FALLBACK, describeInterval, describeKinds, describeSet, groupTable, memberTable } from './share-render.js';
import { jsonText } from './json.js';

interface ShareOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  tree?: string;
  pids?: string;
  group?: string;
  key?: string;
  interval?: string;
  bytes?: boolean;
}

const SHARE_GROUPS: GroupBy[] = ['program', 'user', 'cgroup', 'tree'];

export function configure(cmd: Command): void {
  cmd
    .option('--tree <pid>', 'a process and all its descendants (a fork family)')
    .option('--pids <pids>', 'an explicit set of pids, comma-separated')
    .option('--group <by>', `every group of ${SHARE_GROUPS.join('|')}, or one group with --key`)
    .option('--key <name>', 'with --group: the one group to break down (its label or key, e.g. "python3" or "root")')
    .option('--interval <seconds>', 'scan twice, this many seconds apart, and show what each member copied in between')
    .option('--bytes', 'exact byte counts instead of human units')
    .action(async (opts: ShareOptions) => runShare(opts));
}

function parseInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new UsageError(`--interval takes seconds between 0 and 3600, not '${text}'`);
  return n;
}

function parsePids(text: string): number[] {
  const pids = text.split(',').map((s) => s.trim());
  if (pids.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--pids takes pids separated by commas, not '${text}'`);
  return pids.map(Number);
}

/** The members of the set asked for, in a fresh sample. */
function pickMembers(opts: ShareOptions, procs: ProcSample[]): { label: string; members: ProcSample[] } {
  if (opts.tree !== undefined) {
    if (!/^\d+$/.test(opts.tree)) throw new UsageError(`--tree takes a pid, not '${opts.tree}'`);
    const members = familyOf(procs, Number(opts.tree));
    if (members.length === 0) throw new UsageError(`no process ${opts.tree}`);
    return { label: `${members[0].comm} [${members[0].pid}] and descendants`, members };
  }
  if (opts.pids !== undefined) {
    const want = new Set(parsePids(opts.pids));
    const members = procs.filter((p) => want.has(p.pid));
    if (members.length === 0) throw new UsageError(`none of the pids ${opts.pids} exist`);
    return { label: `pids ${[...want].join(',')}`, members };
  }
  const groups = groupProcs(procs, opts.group as GroupBy);
  const g = groups.find((x) => x.label === opts.key || x.key === opts.key);
  if (!g) throw new UsageError(`no ${opts.group} group '${opts.key}' (some: ${groups.slice(0, 8).map((x) => x.label).join(', ')})`);
  return { label: `${opts.group} ${g.label}`, members: g.procs };
}

async function runShare(opts: ShareOptions): Promise<void> {
  const chosen = [opts.tree, opts.pids, opts.group].filter((x) => x !== undefined).length;
  if (chosen !== 1) throw new UsageError('give exactly one of --tree PID, --pids LIST, --group BY');
  if (opts.group !== undefined && !SHARE_GROUPS.includes(opts.group as GroupBy)) throw new UsageError(`--group takes ${SHARE_GROUPS.join(', ')}, not '${opts.group}'`);
  if (opts.key !== undefined && opts.group === undefined) throw new UsageError('--key goes with --group');
  const interval = parseInterval(opts.interval);
  const root = ProcRoot.fromOptions(opts);
  const caps = probeCapabilities(root);
  const exactPossible = caps.kpageflags;
  const fmt = (n: number | undefined): string => formatBytes(n, opts.bytes);
  // PSS is only needed for the fallback: smaps_rollup takes every target's mmap lock.
  const sample = (): ProcSample[] => collectSample(root, { rollup: !exactPossible, oom: false }).procs;

  if (opts.group !== undefined && opts.key === undefined) {
    if (interval !== undefined) throw new UsageError('--interval needs one set: add --key, or use --tree or --pids');
    const procs = sample();
    const groups = groupProcs(procs, opts.group as GroupBy);
    const ex = exactFootprints(root, procs, groups, { pageSizeBytes: caps.pageSizeBytes });
    const rows = ex.groups.sort((a, b) => (b.summedRssBytes ?? 0) - (a.summedRssBytes ?? 0));
    if (opts.json) {
      process.stdout.write(jsonText({ schema: 'memledger.share-groups/1', by: opts.group, exact: ex.exact, reason: ex.reason, pageSizeBytes: ex.pageSizeBytes, scanMs: ex.scanMs, groups: rows }) + '\n');
      return;
    }
    if (!ex.exact) process.stdout.write(`not exact: ${ex.reason}\n`);
    process.stdout.write(groupTable(rows, fmt) + '\n\n' + LEGEND_EXACT + '\n');
    return;
  }

  const all1 = sample();
  const first = pickMembers(opts, all1);
  const snap1 = measureSet(root, all1, first.members, first.label, caps.pageSizeBytes);
  let report: SetReport = snap1.report;
  if (interval !== undefined) {
    await new Promise((r) => setTimeout(r, interval * 1000));
    const all2 = sample();
    const snap2 = measureSet(root, all2, sameMembers(first.members, all2), first.label, caps.pageSizeBytes, true);
    report = compareSets(snap1, snap2, interval);
  }
  const sentence = describeSet(report);
  const intervalSentence = describeInterval(report);
  if (opts.json) {
    process.stdout.write(jsonText({ schema: 'memledger.share/1', ...report, sentence, intervalSentence, pageSizeBytes: caps.pageSizeBytes }) + '\n');
    return;
  }
  const out = [memberTable(report, fmt), '', sentence];
  if (report.exact && report.group) out.push(describeKinds(report.group));
  if (intervalSentence) out.push(intervalSentence);
  if (report.sharedWith.length > 0) out.push(`Shared most with: ${report.sharedWith.map((w) => `${w.comm} [${w.pid}] ${fmt(w.bytes)}`).join(', ')}.`);
  out.push('', report.exact ? LEGEND_EXACT : LEGEND_FALLBACK);
  process.stdout.write(out.join('\n') + '\n');
}

/** The same processes (by pid:starttime) in another sample; ones that exited drop out. */
function sameMembers(members: ProcSample[], all: ProcSample[]): ProcSample[] {
  const keys = new Set(members.map((m) => m.key));
  return all.filter((p) => keys.has(p.key));
}
