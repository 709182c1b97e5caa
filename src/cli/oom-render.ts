import type { OomKillAnalysis } from '../analyze/oom.js';
import { pressureReading } from '../analyze/oom-pressure.js';
import { formatBytes, formatCount, UNKNOWN } from '../fields/units.js';
import type { OomReport } from '../procfs/kmsg-oom.js';
import type { OomNow } from './oom-live.js';
import { renderTable } from './table.js';

const fb = (b: number | undefined | null) => (b === null ? 'no limit' : formatBytes(b));
const secs = (t: number | undefined) => (t === undefined ? undefined : `${t.toFixed(6)} s after boot`);

function when(r: OomReport): string {
  const parts = [secs(r.timeSec), r.wallTime].filter(Boolean);
  return parts.length ? parts.join(', ') : 'time not printed';
}

function title(r: OomReport): string {
  const inv = r.invoker;
  const who = inv.comm ? `${inv.comm}${inv.pid !== undefined ? ` (pid ${inv.pid})` : ''}` : 'unknown task';
  const gfp = inv.gfpMask ? `gfp_mask ${inv.gfpMask}${inv.gfpFlags ? ` (${inv.gfpFlags.join('|')})` : ''}` : undefined;
  const order = inv.order !== undefined ? `order ${inv.order}` : undefined;
  const alloc = [gfp, order, inv.requestBytes !== undefined ? `request ${formatBytes(inv.requestBytes)}` : undefined].filter(Boolean).join(', ');
  if (r.kind === 'oom-kill') return `OOM kill at ${when(r)}: ${who} invoked the OOM killer${alloc ? ` (${alloc})` : ''}`;
  if (r.kind === 'alloc-failure') return `Allocation failure at ${when(r)}: ${who}${alloc ? ` (${alloc})` : ''}`;
  return `Memory dump (Mem-Info) at ${when(r)} with no header in the log`;
}

/** One report with its analysis, as text. `limit`: candidates shown. */
export function renderOomKill(a: OomKillAnalysis, limit: number): string {
  const r = a.report;
  const out = [title(r)];
  if (r.constraint) out.push(`  constraint: ${r.constraint}${r.constraintInferred ? ' (inferred: this kernel does not print it)' : ''}`);
  const mc = r.memcg;
  if (mc) {
    const mem = mc.memory;
    out.push(
      `  memcg ${mc.path ?? UNKNOWN}${mc.taskPath && mc.taskPath !== mc.path ? ` (victim in ${mc.taskPath})` : ''}: ` +
        (mem ? `usage ${fb(mem.usageBytes)} of limit ${fb(mem.limitBytes)}, failcnt ${mem.failcnt} ("memory:" line)` : 'usage not printed'),
    );
    const sw = mc.memsw ?? mc.swap;
    if (sw) out.push(`    ${mc.memsw ? 'memory+swap' : 'swap'}: usage ${fb(sw.usageBytes)} of limit ${fb(sw.limitBytes)}, failcnt ${sw.failcnt}`);
  }
  const mi = r.memInfo;
  if (mi) {
    out.push(
      `  Mem-Info (pages x ${r.pageSizeBytes} B, page size from ${r.pageSizeFrom}): free ${fb(mi.freeBytes)}, anon ${fb(sum(mi.activeAnonBytes, mi.inactiveAnonBytes))}, ` +
        `file ${fb(sum(mi.activeFileBytes, mi.inactiveFileBytes))}, shmem ${fb(mi.shmemBytes)}, slab unreclaimable ${fb(mi.slabUnreclaimableBytes)}, ` +
        `page tables ${fb(mi.pageTablesBytes)}; RAM ${fb(mi.ramBytes)}, swap free ${fb(mi.swapFreeBytes)} of ${fb(mi.swapTotalBytes)}`,
    );
  }
  const v = r.victim;
  if (v) {
    out.push(
      `  killed: ${v.comm} (pid ${v.pid}${v.uid !== undefined ? `, uid ${v.uid}` : ''}) anon-rss ${fb(v.anonRssBytes)}, file-rss ${fb(v.fileRssBytes)}, ` +
        `shmem-rss ${fb(v.shmemRssBytes)}, total-vm ${fb(v.totalVmBytes)}, page tables ${fb(v.pgtablesBytes)}, oom_score_adj ${v.oomScoreAdj ?? UNKNOWN} ("Killed process" line${v.timeSec !== undefined ? ` at ${v.timeSec.toFixed(6)} s` : ''})`,
    );
    if (v.selectedPid !== undefined) out.push(`    the kernel chose pid ${v.selectedPid} and sacrificed this child instead`);
    const rp = r.reaper;
    out.push(
      rp
        ? rp.reaped
          ? `  oom_reaper: reaped, left anon-rss ${fb(rp.anonRssBytes)}, file-rss ${fb(rp.fileRssBytes)}, shmem-rss ${fb(rp.shmemRssBytes)}`
          : '  oom_reaper: unable to reap (the victim held mmap_lock); memory came back only when it exited'
        : '  oom_reaper: no line in the log (before 4.6, the victim exited by itself first, or the log ends)',
    );
  }
  out.push(`  likely cause: ${a.cause.sentence}`);
  if (a.candidates.length) {
    const total = a.totalPages !== undefined ? `${formatCount(a.totalPages)} pages (${a.totalPagesFrom})` : 'unknown (adj term left out)';
    out.push(`  candidates by oom_badness (rss + swap + page tables in pages, + oom_score_adj x totalpages/1000; totalpages ${total}), from the tasks table:`);
    const shown = a.candidates.slice(0, limit);
    const victim = a.candidates.find((c) => c.isVictim);
    if (victim && !shown.includes(victim)) shown.push(victim);
    const table = renderTable(
      [
        { title: '#', value: (c) => String(a.candidates.indexOf(c) + 1) },
        { title: 'PID', value: (c) => String(c.pid) },
        { title: 'NAME', align: 'left', value: (c) => c.name + (c.isVictim ? ' (killed)' : '') },
        { title: 'UID', value: (c) => String(c.uid) },
        { title: 'RSS', value: (c) => formatBytes(c.rssBytes) },
        { title: 'SWAP', value: (c) => formatBytes(c.swapBytes) },
        { title: 'PGTABLES', value: (c) => formatBytes(c.pgtablesBytes) },
        { title: 'ADJ', value: (c) => String(c.oomScoreAdj) },
        { title: 'BADNESS(pages)', value: (c) => formatCount(c.badnessPages) },
        { title: 'SCORE(/1000)', value: (c) => (c.score === undefined ? UNKNOWN : String(c.score)) },
      ],
      shown,
    );
    out.push(indent(table, 4));
    if (a.runnerUp) out.push(`    next in line: ${a.runnerUp.candidate.name} (pid ${a.runnerUp.candidate.pid}) at ${(a.runnerUp.ratioToVictim * 100).toFixed(0)}% of the victim's badness`);
    if (a.candidates.length > shown.length) out.push(`    (${a.candidates.length - shown.length} more candidates; --limit to show more)`);
  }
  if (r.missing.length) out.push(`  not in the log: ${r.missing.join('; ')}`);
  return out.join('\n');
}

export function renderOomNow(now: OomNow, limit: number): string {
  const out = ['Who would die next (by /proc/PID/oom_score, 0-2000; RSS from status VmRSS):'];
  out.push(
    indent(
      renderTable(
        [
          { title: 'PID', value: (v) => String(v.pid) },
          { title: 'COMM', align: 'left', value: (v) => v.comm },
          { title: 'USER', align: 'left', value: (v) => v.user ?? UNKNOWN },
          { title: 'OOM_SCORE', value: (v) => String(v.oomScore) },
          { title: 'ADJ', value: (v) => (v.oomScoreAdj === undefined ? UNKNOWN : String(v.oomScoreAdj)) },
          { title: 'RSS', value: (v) => formatBytes(v.rssBytes) },
          { title: 'SWAP', value: (v) => formatBytes(v.swapBytes) },
        ],
        now.next.slice(0, limit),
      ),
      2,
    ),
  );
  if (now.memcgs.length) {
    out.push('Memory cgroups with a limit (next victim by oom_badness against the cgroup limit):');
    for (const { memcg: m, ranked } of now.memcgs) {
      const files = m.hierarchy === 'v1' ? 'memory.limit_in_bytes, memory.usage_in_bytes, memory.oom_control' : 'memory.max, memory.high, memory.current, memory.events';
      const lim = [m.limitBytes !== undefined ? `limit ${fb(m.limitBytes)}` : undefined, m.highBytes !== undefined ? `high ${fb(m.highBytes)}` : undefined].filter(Boolean).join(', ');
      const ev = [m.oomEvents !== undefined ? `oom ${m.oomEvents}` : undefined, `oom_kill ${m.oomKillEvents ?? UNKNOWN}`, m.failcnt !== undefined ? `failcnt ${m.failcnt}` : undefined].filter(Boolean).join(', ');
      out.push(`  ${m.hierarchy} ${m.path}: ${lim}, usage ${fb(m.usageBytes)}, ${ev} (${files})`);
      const top = ranked[0];
      // A badness built without VmSwap, VmPTE or oom_score_adj is a lower bound: the order may differ.
      const partial = ranked.some((r) => r.memcgBadnessPartial) ? ' (ranking partial: swap, page tables or oom_score_adj unreadable for some)' : '';
      out.push(top ? `    next: ${top.comm} (pid ${top.pid}), RSS ${formatBytes(top.rssBytes)}, oom_score_adj ${top.oomScoreAdj ?? UNKNOWN}${partial}` : '    no process in it');
      if (m.pressure) out.push(`    pressure (memory.pressure): ${pressureReading(m.pressure)}`);
    }
  }
  out.push(`Memory pressure (/proc/pressure/memory): ${now.pressure ? pressureReading(now.pressure) : UNKNOWN}`);
  for (const n of now.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}

function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
