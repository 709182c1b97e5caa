import type { KmsgRecord } from '../fs/kmsg.js';
import { kmsgRecordLines, splitLogLines, type LogLine } from './kmsg-oom-lines.js';
import * as S from './kmsg-oom-sections.js';
import type { OomMemInfo, OomReport } from './kmsg-oom-types.js';

export type * from './kmsg-oom-types.js';
export { kmsgRecordLines, splitLogLines, type LogLine } from './kmsg-oom-lines.js';

/**
 * OOM kill and allocation-failure reports from kernel log text (/dev/kmsg records, dmesg,
 * dmesg -T, syslog, journalctl -k; formats by version in kmsg-oom-types.ts).
 *
 *   [  549.985325] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
 *
 * A report opens at its header ("invoked oom-killer", "page allocation failure", "Mem-Info:")
 * and an OOM report closes at its "Killed process" line; the reaper line that follows later is
 * matched by pid. Lines inside a report that match none of its parts (other CPUs' output, stack
 * traces, registers) are skipped, so interleaving does not split a report. Nothing is dropped:
 * a kill whose header scrolled away still yields a record, with `missing: ['header', ...]`.
 * Never throws: text without reports gives [].
 */
export function parseKmsgOom(text: string): OomReport[] {
  return parseOomLines(splitLogLines(text));
}

/** Reports in records read from /dev/kmsg (kernel facility only). */
export function parseKmsgOomRecords(records: KmsgRecord[]): OomReport[] {
  return parseOomLines(kmsgRecordLines(records));
}

type Section = 'none' | 'meminfo' | 'memcg-stats' | 'tasks';

interface Draft {
  r: OomReport;
  sawHeader: boolean;
  section: Section;
  sawMemInfo: boolean;
  memPages: Record<string, number>;
  trailer: Map<string, { value: number; unit: 'pages' | 'kB' }>;
  columns?: string[];
  /** 3.x-4.x "Kill process N (comm) score S or sacrifice child", until its "Killed process" line. */
  selected?: { pid: number; comm: string; message: string; score: number };
}

const DEFAULT_PAGE = 4096;

export function parseOomLines(lines: LogLine[]): OomReport[] {
  const done: OomReport[] = [];
  let cur: Draft | undefined;

  const open = (kind: OomReport['kind'], l: LogLine, sawHeader: boolean): Draft => {
    if (cur) done.push(finish(cur));
    cur = { r: newReport(kind, l), sawHeader, section: 'none', sawMemInfo: false, memPages: {}, trailer: new Map() };
    return cur;
  };
  const memcgOf = (d: Draft) => (d.r.memcg ??= { stats: {} });

  for (const l of lines) {
    const t = l.text;
    let d = cur;

    const header = S.matchOomHeader(t);
    if (header) {
      open('oom-kill', l, true).r.invoker = header;
      continue;
    }
    const alloc = S.matchAllocFailure(t);
    if (alloc) {
      if (d && d.r.kind === 'alloc-failure' && !d.sawMemInfo) {
        d.r.invoker = { ...alloc, ...stripUndefined(d.r.invoker) };
        d.r.lastLine = l.lineNo;
      } else if (d && d.r.kind === 'oom-kill' && !d.r.victim) {
        // Another CPU's warning inside an OOM report: its own record, without claiming this Mem-Info.
        const side = newReport('alloc-failure', l);
        side.invoker = alloc;
        side.missing.push('mem-info (printed while an OOM report was being written)');
        done.push(side);
      } else {
        open('alloc-failure', l, true).r.invoker = alloc;
      }
      continue;
    }
    if (/^\s*Mem-Info:\s*$/.test(t)) {
      if (!d || d.sawMemInfo || d.r.victim) d = open('mem-info', l, false);
      d.sawMemInfo = true;
      d.section = 'meminfo';
      d.r.lastLine = l.lineNo;
      continue;
    }
    const killed = S.matchKilled(t);
    if (killed) {
      if (!d || d.r.victim || d.r.kind === 'alloc-failure') d = open('oom-kill', l, false);
      d.r.kind = 'oom-kill';
      if (l.timeSec !== undefined) killed.timeSec = l.timeSec;
      const sel = d.selected;
      if (sel) {
        if (sel.pid !== killed.pid) killed.selectedPid = sel.pid;
        killed.selectedScore = sel.score;
        killed.message ??= sel.message;
        d.selected = undefined;
      }
      d.r.victim = killed;
      d.r.lastLine = l.lineNo;
      done.push(finish(d));
      cur = undefined;
      continue;
    }
    const reaper = S.matchReaper(t);
    if (reaper) {
      if (l.timeSec !== undefined) reaper.timeSec = l.timeSec;
      const target = [...done].reverse().find((r) => r.victim?.pid === reaper.pid && !r.reaper);
      if (target) {
        target.reaper = reaper;
        target.lastLine = Math.max(target.lastLine, l.lineNo);
      }
      continue;
    }
    const summary = S.matchOomSummary(t);
    if (summary) {
      if (!d || d.r.kind !== 'oom-kill') d = open('oom-kill', l, false);
      if (summary.constraint) d.r.constraint = summary.constraint;
      const inv = d.r.invoker;
      if (summary.nodemask !== undefined) inv.nodemask ??= summary.nodemask;
      if (summary.cpuset !== undefined) inv.cpuset ??= summary.cpuset;
      if (summary.memsAllowed !== undefined) inv.memsAllowed ??= summary.memsAllowed;
      if (summary.oomMemcg !== undefined) memcgOf(d).path = summary.oomMemcg;
      if (summary.taskMemcg !== undefined && (summary.oomMemcg !== undefined || d.r.memcg)) memcgOf(d).taskPath = summary.taskMemcg;
      d.r.lastLine = l.lineNo;
      continue;
    }
    const select = S.matchKillSelect(t);
    if (select) {
      if (!d || d.r.kind !== 'oom-kill' || d.selected) d = open('oom-kill', l, false);
      // Kept until the "Killed process" line, which may name a sacrificed child instead.
      d.selected = { pid: select.pid, comm: select.comm, message: select.message, score: select.score };
      d.r.lastLine = l.lineNo;
      continue;
    }
    if (!d) continue;

    const cpu = S.matchCpuLine(t);
    if (cpu) {
      if (d.r.invoker.pid === undefined && d.section === 'none' && (d.r.invoker.comm === undefined || d.r.invoker.comm === cpu.comm)) {
        d.r.invoker.pid = cpu.pid;
        d.r.invoker.comm ??= cpu.comm;
        d.r.lastLine = l.lineNo;
      }
      continue;
    }
    const cs = S.matchCpusetLine(t);
    if (cs && (d.r.invoker.comm === undefined || cs.comm === d.r.invoker.comm)) {
      d.r.invoker.cpuset = cs.cpuset;
      d.r.invoker.memsAllowed = cs.memsAllowed;
      d.r.lastLine = l.lineNo;
      continue;
    }
    const counter = S.matchMemcgCounter(t);
    if (counter) {
      memcgOf(d)[counter.which] = counter.counter;
      d.r.lastLine = l.lineNo;
      continue;
    }
    const taskIn = S.matchTaskInMemcg(t);
    if (taskIn) {
      Object.assign(memcgOf(d), taskIn);
      d.r.lastLine = l.lineNo;
      continue;
    }
    const statsHeader = S.matchMemcgStatsHeader(t);
    if (statsHeader) {
      const mc = memcgOf(d);
      mc.path ??= statsHeader.path;
      Object.assign(mc.stats, statsHeader.inline);
      d.section = 'memcg-stats';
      d.r.lastLine = l.lineNo;
      continue;
    }
    const cols = S.matchTasksHeader(t);
    if (cols) {
      d.columns = cols;
      d.r.taskColumns = cols;
      d.r.tasks = [];
      d.section = 'tasks';
      d.r.lastLine = l.lineNo;
      continue;
    }
    if (d.section === 'tasks' && d.columns) {
      const row = S.matchTaskRow(t, d.columns);
      if (row) {
        d.r.tasks!.push(row);
        d.r.lastLine = l.lineNo;
      }
      continue;
    }
    if (d.section === 'memcg-stats') {
      const kv = S.matchMemcgStat(t);
      if (kv) {
        d.r.memcg!.stats[kv[0]] = kv[1];
        d.r.lastLine = l.lineNo;
      }
      continue;
    }
    if (d.sawMemInfo) {
      const counters = S.matchMemInfoCounters(t);
      const buddy = counters ? undefined : S.matchBuddy(t);
      const trailer = counters || buddy ? undefined : S.matchMemTrailer(t);
      if (counters) Object.assign(d.memPages, counters);
      else if (buddy) (d.r.memInfo ??= { pages: {}, zones: [] }).zones.push(buddy);
      else if (trailer) d.trailer.set(trailer.key, trailer);
      else continue;
      d.r.lastLine = l.lineNo;
    }
  }
  if (cur) done.push(finish(cur));
  return done;
}

function newReport(kind: OomReport['kind'], l: LogLine): OomReport {
  const r: OomReport = { kind, firstLine: l.lineNo, lastLine: l.lineNo, invoker: {}, pageSizeBytes: DEFAULT_PAGE, pageSizeFrom: 'assumed', missing: [] };
  if (l.timeSec !== undefined) r.timeSec = l.timeSec;
  if (l.wallTime !== undefined) r.wallTime = l.wallTime;
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Settle page size, convert Mem-Info pages to bytes, infer the constraint, list what is missing. */
function finish(d: Draft): OomReport {
  const r = d.r;
  if (d.selected) {
    const { pid, comm, message, score } = d.selected;
    r.missing.push(`victim (selected ${comm} ${pid} score ${score}: ${message}, but no "Killed process" line)`);
  }
  settlePageSize(r);
  if (d.sawMemInfo) r.memInfo = memInfoBytes(d, r.pageSizeBytes, r.memInfo?.zones ?? []);
  if (!r.constraint && r.kind === 'oom-kill') {
    const memcgSeen = r.memcg?.memory !== undefined || r.memcg?.path !== undefined || /cgroup/i.test(r.victim?.message ?? '');
    if (memcgSeen) r.constraint = 'CONSTRAINT_MEMCG';
    else if (r.victim || r.memInfo) r.constraint = 'CONSTRAINT_NONE';
    if (r.constraint) r.constraintInferred = true;
  }
  if (!d.sawHeader) r.missing.unshift('header');
  if (d.sawHeader && r.invoker.pid === undefined && r.kind === 'oom-kill') r.missing.push('invoker pid');
  if (r.kind === 'oom-kill') {
    if (!r.victim && !r.missing.some((m) => m.startsWith('victim'))) r.missing.push('victim');
    if (!r.tasks) r.missing.push('tasks');
    if (!r.constraint) r.missing.push('constraint');
    if (r.constraint === 'CONSTRAINT_MEMCG' && !r.memcg?.memory) r.missing.push('memcg usage');
    if (r.constraint !== 'CONSTRAINT_MEMCG' && !r.memInfo) r.missing.push('mem-info');
  }
  if (r.kind === 'alloc-failure' && !d.sawMemInfo && !r.missing.some((m) => m.startsWith('mem-info'))) r.missing.push('mem-info');
  return r;
}

/** Page size from the victim's row (rss pages vs the kB it was killed with), else the buddy lists. */
function settlePageSize(r: OomReport): void {
  const v = r.victim;
  const row = v && r.tasks?.find((t) => t.pid === v.pid);
  if (v && row && row.rssPages > 0) {
    const perPage = (v.anonRssBytes + v.fileRssBytes + (v.shmemRssBytes ?? 0)) / row.rssPages;
    const pow = 2 ** Math.round(Math.log2(perPage));
    if (pow >= 4096 && Math.abs(perPage - pow) / pow < 0.05) {
      r.pageSizeBytes = pow;
      r.pageSizeFrom = 'victim-rss';
      return;
    }
  }
  const z = r.memInfo?.zones[0];
  if (z) {
    r.pageSizeBytes = z.order0Bytes;
    r.pageSizeFrom = 'buddy';
  }
}

const NAMED: [string, keyof OomMemInfo][] = [
  ['active_anon', 'activeAnonBytes'],
  ['inactive_anon', 'inactiveAnonBytes'],
  ['active_file', 'activeFileBytes'],
  ['inactive_file', 'inactiveFileBytes'],
  ['unevictable', 'unevictableBytes'],
  ['slab_reclaimable', 'slabReclaimableBytes'],
  ['slab_unreclaimable', 'slabUnreclaimableBytes'],
  ['shmem', 'shmemBytes'],
  ['mapped', 'mappedBytes'],
  ['pagetables', 'pageTablesBytes'],
  ['free', 'freeBytes'],
];

const TRAILER: [string, keyof OomMemInfo][] = [
  ['pages RAM', 'ramBytes'],
  ['pages reserved', 'reservedBytes'],
  ['total pagecache pages', 'pageCacheBytes'],
  ['pages in swap cache', 'swapCacheBytes'],
  ['Free swap', 'swapFreeBytes'],
  ['Total swap', 'swapTotalBytes'],
];

function memInfoBytes(d: Draft, page: number, zones: OomMemInfo['zones']): OomMemInfo {
  const out: OomMemInfo = { pages: d.memPages, zones };
  const set = out as unknown as Record<string, number>;
  for (const [k, name] of NAMED) if (d.memPages[k] !== undefined) set[name] = d.memPages[k] * page;
  for (const [k, name] of TRAILER) {
    const t = d.trailer.get(k);
    if (t) set[name] = t.value * (t.unit === 'kB' ? 1024 : page);
  }
  return out;
}
