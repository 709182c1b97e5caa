import type { Command } from 'commander';
import { ProcRoot } from '../fs/proc-root.js';
import { collectSample } from '../collect/collector.js';
import { derive } from '../model/derive.js';
import { reclaimSystem, type ReclaimPair, type ReclaimSystem } from '../analyze/reclaim.js';
import { memcgReclaim, type MemcgReclaimRow } from '../analyze/reclaim-memcg.js';
import { formatBytes, formatCount, formatPercent } from '../fields/units.js';
import { parseIntervalArg, parseLimitArg, sleep } from './interval.js';
import { readMemcgReadings } from './reclaim-memcg.js';
import { renderTable, type Column } from './table.js';
import { jsonText } from './json.js';

interface ReclaimOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  interval?: string;
  limit?: string;
  all?: boolean;
}

export interface ReclaimMeasurement {
  system: ReclaimSystem;
  hierarchy?: 'v1' | 'v2';
  /** Memory cgroups ranked by how much they reclaimed (only those that did, unless `all`). */
  memcgs: MemcgReclaimRow[];
  notes: string[];
}

export function configure(cmd: Command): void {
  cmd
    .option('--interval <seconds>', 'measure over this many seconds', '1')
    .option('--limit <n>', 'show at most n memory cgroups (default 20)')
    .option('--all', 'list every memory cgroup, also those that did not reclaim')
    .action((opts: ReclaimOptions) => runReclaim(opts));
}

/** vmstat and every memory cgroup's counters, `seconds` apart. No per-process data is read. */
export async function measureReclaim(root: ProcRoot, seconds: number, opts: { all?: boolean } = {}): Promise<ReclaimMeasurement> {
  const sampleOpts = { pids: [], rollup: false, oom: false };
  const prev = collectSample(root, sampleOpts);
  const cgPrev = readMemcgReadings(root);
  // A captured tree is one moment: paired with itself, it has no interval (see sampleTwice).
  if (root.live) await sleep(seconds);
  const cur = root.live ? collectSample(root, sampleOpts) : prev;
  const cgCur = root.live ? readMemcgReadings(root) : cgPrev;
  const snap = derive(prev, cur);
  const memcgs = snap.sameBoot ? memcgReclaim(cgPrev.readings, cgCur.readings, opts) : [];
  const system = reclaimSystem(snap);
  return { system: hasInterval(system) ? system : withoutCounts(system), hierarchy: cgCur.hierarchy, memcgs, notes: [...new Set([...cgPrev.notes, ...cgCur.notes])] };
}

function hasInterval(s: ReclaimSystem): boolean {
  return s.sameBoot && s.intervalSeconds !== undefined;
}

/**
 * A captured tree paired with itself (or two samples across a reboot) has counts that are 0 by
 * construction: unknown, not "nothing was reclaimed".
 */
function withoutCounts(s: ReclaimSystem): ReclaimSystem {
  const pair = (p: ReclaimPair | undefined): ReclaimPair | undefined =>
    p && { ...p, scannedPages: undefined, stolenPages: undefined, scannedPerSecond: undefined, stolenPerSecond: undefined, efficiency: undefined };
  return {
    ...s,
    kswapd: pair(s.kswapd)!,
    direct: pair(s.direct)!,
    khugepaged: pair(s.khugepaged),
    proactive: pair(s.proactive),
    all: pair(s.all),
    cgroupLimit: pair(s.cgroupLimit),
    counters: s.counters.map((c) => ({ ...c, count: undefined, perSecond: undefined })),
  };
}

async function runReclaim(opts: ReclaimOptions): Promise<void> {
  const seconds = parseIntervalArg(opts.interval);
  const limit = parseLimitArg(opts.limit) ?? (opts.json ? undefined : 20);
  const m = await measureReclaim(ProcRoot.fromOptions(opts), seconds, { all: opts.all });
  const shown = limit === undefined ? m.memcgs : m.memcgs.slice(0, limit);
  if (opts.json) {
    process.stdout.write(jsonText({ schema: 'memledger.reclaim/1', ...m, memcgs: shown, memcgCount: m.memcgs.length }) + '\n');
    return;
  }
  process.stdout.write(renderReclaim(m, shown) + '\n');
}

const rate = (n: number | undefined): string => (n === undefined ? '?' : n > 0 && n < 10 ? n.toFixed(1) : formatCount(n));

interface PairRow extends ReclaimPair {
  who: string;
  meaning: string;
}

function renderReclaim(m: ReclaimMeasurement, memcgs: MemcgReclaimRow[]): string {
  const s = m.system;
  const over = s.intervalSeconds === undefined ? 'no measurable interval' : `${s.intervalSeconds.toFixed(2)} s`;
  const lines: string[] = [`Page reclaim over ${over} (/proc/vmstat; a page is ${formatBytes(s.pageSizeBytes)}).`];
  if (!s.sameBoot) lines.push('The machine rebooted between the two samples: every count is unknown.');
  else if (s.intervalSeconds === undefined) lines.push('No interval between the two samples (a captured tree is one moment): counts and rates are unknown.');
  const pairs: PairRow[] = [
    { who: 'kswapd', ...s.kswapd, meaning: 'background reclaim, woken below the low watermark (pgscan/pgsteal_kswapd)' },
    { who: 'direct', ...s.direct, meaning: 'allocating tasks reclaiming themselves, and waiting (pgscan/pgsteal_direct)' },
  ];
  if (s.khugepaged) pairs.push({ who: 'khugepaged', ...s.khugepaged, meaning: 'reclaim for huge-page collapse (6.3+; was direct)' });
  if (s.proactive) pairs.push({ who: 'proactive', ...s.proactive, meaning: 'reclaim asked for through memory.reclaim' });
  if (s.cgroupLimit) pairs.push({ who: 'cgroup limits', ...s.cgroupLimit, meaning: 'a memory cgroup at its limit reclaiming from itself (all minus the above)' });
  if (s.all) pairs.push({ who: 'all', ...s.all, meaning: 'every reclaim (pgscan/pgsteal_anon + _file, 5.8+)' });
  const pairCols: Column<PairRow>[] = [
    { title: 'RECLAIMER', align: 'left', value: (r) => r.who },
    { title: 'SCANNED', value: (r) => formatCount(r.scannedPages) },
    { title: 'STOLEN', value: (r) => formatCount(r.stolenPages) },
    { title: 'STOLEN/s', value: (r) => rate(r.stolenPerSecond) },
    { title: 'EFFICIENCY', value: (r) => (r.scannedPages === undefined ? '?' : r.efficiency === undefined ? '-' : formatPercent(r.efficiency, 1, 0)) },
    { title: 'MEANING', align: 'left', wrap: true, value: (r) => r.meaning },
  ];
  lines.push('', renderTable(pairCols, pairs));
  lines.push('Scanned and stolen are pages; efficiency = stolen / scanned ("-": nothing scanned). Low efficiency: reclaim scans much to free little.');
  if (s.counters.length > 0) {
    const cols: Column<(typeof s.counters)[number]>[] = [
      { title: 'COUNTER', align: 'left', value: (c) => c.name },
      { title: 'COUNT', value: (c) => formatCount(c.count) },
      { title: 'PER SEC', value: (c) => rate(c.perSecond) },
      { title: 'UNIT', align: 'left', value: (c) => c.unit },
      { title: 'MEANING', align: 'left', wrap: true, value: (c) => c.meaning },
    ];
    lines.push('', renderTable(cols, s.counters));
  }
  lines.push('', ...renderMemcgs(m, memcgs));
  for (const n of m.notes) lines.push(n);
  return lines.join('\n');
}

function renderMemcgs(m: ReclaimMeasurement, rows: MemcgReclaimRow[]): string[] {
  if (m.hierarchy === undefined) return ['Per memory cgroup: unknown (no memory cgroup hierarchy readable).'];
  const head = `Memory cgroups (${m.hierarchy}) that reclaimed: ${m.memcgs.length}${rows.length < m.memcgs.length ? `, showing ${rows.length}` : ''}.`;
  if (m.memcgs.length === 0) return [`${head} No memory cgroup hit its limit, scanned or refaulted.`];
  const common: Column<MemcgReclaimRow>[] = [
    { title: 'LIMIT', value: (r) => (r.limitBytes === undefined ? '-' : formatBytes(r.limitBytes)) },
    { title: 'USAGE', value: (r) => formatBytes(r.usageBytes) },
    { title: 'LIMIT HITS', value: (r) => formatCount(r.limitHits) },
  ];
  const tail: Column<MemcgReclaimRow>[] = [
    { title: 'REFAULTS', value: (r) => formatCount(r.refaultPages) },
    { title: 'MAJFLT', value: (r) => formatCount(r.majfaults) },
    { title: 'CGROUP', align: 'left', value: (r) => r.path },
  ];
  if (m.hierarchy === 'v2') {
    const v2: Column<MemcgReclaimRow>[] = [
      ...common,
      { title: 'SCANNED', value: (r) => formatCount(r.scannedPages) },
      { title: 'STOLEN', value: (r) => formatCount(r.stolenPages) },
      { title: 'EFFICIENCY', value: (r) => (r.efficiency === undefined ? '-' : formatPercent(r.efficiency, 1, 0)) },
      ...tail,
    ];
    return [
      head,
      renderTable(v2, rows),
      'Own counts of each cgroup (children subtracted from memory.stat, which includes them): SCANNED/STOLEN pages from pgscan_*/pgsteal_* ' +
        '(kswapd, direct, khugepaged, proactive); LIMIT HITS from memory.events(.local) "max"; REFAULTS from workingset_refault_* (pages).',
    ];
  }
  const v1: Column<MemcgReclaimRow>[] = [...common, { title: 'UNCHARGES', value: (r) => formatCount(r.unchargeEvents) }, ...tail];
  return [
    head,
    renderTable(v1, rows),
    'cgroup v1 memory.stat has no scan/steal counters per cgroup. Measured instead, per cgroup alone: LIMIT HITS = rise of memory.failcnt ' +
      '(charges that found the cgroup at memory.limit_in_bytes and reclaimed from it first); REFAULTS = workingset_refault_* (pages evicted ' +
      'from this cgroup and read back); UNCHARGES = pgpgout (folios leaving the cgroup: reclaim, but also exit, unmap, truncation); MAJFLT = pgmajfault.',
  ];
}
