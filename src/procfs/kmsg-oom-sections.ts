import { UNLIMITED_THRESHOLD_BYTES } from './cgroup-kv.js';
import type { OomBuddyZone, OomConstraint, OomInvoker, OomMemcgCounter, OomReaper, OomTask, OomVictim } from './kmsg-oom-types.js';

/**
 * Line matchers for the pieces of an OOM report (formats and versions: kmsg-oom-types.ts).
 * Each takes one message text (prefix already removed) and returns undefined when the line is
 * not its kind, so lines another CPU printed in the middle of a report simply match nothing.
 */

const KB = 1024;

/** "python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0" */
export function matchOomHeader(text: string): OomInvoker | undefined {
  const m = /^(.*?) invoked oom-killer: (.*)$/.exec(text);
  if (!m) return undefined;
  const inv: OomInvoker = { comm: m[1] };
  const rest = m[2];
  const gfp = /gfp_mask=(0x[0-9a-f]+)(?:\(([^)]*)\))?/.exec(rest);
  if (gfp) {
    inv.gfpMask = gfp[1];
    if (gfp[2] !== undefined) inv.gfpFlags = gfp[2] === '' ? [] : gfp[2].split('|');
  }
  const nm = /nodemask=(\(null\)|[\d,-]+)/.exec(rest);
  if (nm) inv.nodemask = nm[1];
  const order = /order=(-?\d+)/.exec(rest);
  if (order) inv.order = Number(order[1]);
  const adj = /oom_score_adj=(-?\d+)/.exec(rest);
  if (adj) inv.oomScoreAdj = Number(adj[1]);
  return inv;
}

/**
 * warn_alloc(): "syz: page allocation failure: order:0, mode:0x24000c2(GFP_..), nodemask=(null)";
 * vmalloc: "syz: vmalloc: allocation failure: 8589934588 bytes, mode:0x14080c0(GFP_KERNEL|__GFP_ZERO)"
 * (4.4 prints "vmalloc: allocation failure: N bytes" without the comm).
 */
export function matchAllocFailure(text: string): OomInvoker | undefined {
  const m = /^(?:(.*?): )?(?:page allocation failure: order:(\d+)|vmalloc: allocation failure: (\d+) bytes)(.*)$/.exec(text);
  if (!m) return undefined;
  const inv: OomInvoker = {};
  if (m[1] !== undefined && m[1] !== 'vmalloc') inv.comm = m[1];
  if (m[2] !== undefined) inv.order = Number(m[2]);
  if (m[3] !== undefined) inv.requestBytes = Number(m[3]);
  const mode = /mode:(0x[0-9a-f]+)(?:\(([^)]*)\))?/.exec(m[4]);
  if (mode) {
    inv.gfpMask = mode[1];
    if (mode[2] !== undefined) inv.gfpFlags = mode[2] === '' ? [] : mode[2].split('|');
  }
  const nm = /nodemask=(\(null\)|[\d,-]+)/.exec(m[4]);
  if (nm) inv.nodemask = nm[1];
  return inv;
}

/** "sed cpuset=/ mems_allowed=0-1" (cpuset_print_current_mems_allowed, before 4.19). */
export function matchCpusetLine(text: string): { comm: string; cpuset: string; memsAllowed: string } | undefined {
  const m = /^(.*) cpuset=(\S*) mems_allowed=(\S*)$/.exec(text);
  return m ? { comm: m[1], cpuset: m[2], memsAllowed: m[3] } : undefined;
}

/** dump_stack(): "CPU: 1 UID: 0 PID: 4857 Comm: python3 Not tainted ..." */
export function matchCpuLine(text: string): { pid: number; comm: string } | undefined {
  const m = /^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (.{1,16}?) (?:Not tainted|Tainted)/.exec(text);
  return m ? { pid: Number(m[1]), comm: m[2] } : undefined;
}

export interface OomSummary {
  constraint?: OomConstraint;
  nodemask?: string;
  cpuset?: string;
  memsAllowed?: string;
  globalOom: boolean;
  oomMemcg?: string;
  taskMemcg?: string;
  task?: string;
  pid?: number;
  uid?: number;
}

/** dump_oom_summary() (4.19+): "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),...,pid=4857,uid=0" */
export function matchOomSummary(text: string): OomSummary | undefined {
  if (!text.startsWith('oom-kill:')) return undefined;
  const out: OomSummary = { globalOom: false };
  // Values may hold commas (mems_allowed=0,2): split only before "key=" or "global_oom".
  for (const part of text.slice('oom-kill:'.length).split(/,(?=[a-z_]+=|global_oom\b)/)) {
    if (part === 'global_oom') out.globalOom = true;
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq);
    const v = part.slice(eq + 1);
    if (k === 'constraint' && /^CONSTRAINT_(NONE|CPUSET|MEMORY_POLICY|MEMCG)$/.test(v)) out.constraint = v as OomConstraint;
    else if (k === 'nodemask') out.nodemask = v;
    else if (k === 'cpuset') out.cpuset = v;
    else if (k === 'mems_allowed') out.memsAllowed = v;
    else if (k === 'oom_memcg') out.oomMemcg = v;
    else if (k === 'task_memcg') out.taskMemcg = v;
    else if (k === 'task') out.task = v;
    else if (k === 'pid' && /^\d+$/.test(v)) out.pid = Number(v);
    else if (k === 'uid' && /^\d+$/.test(v)) out.uid = Number(v);
  }
  return out;
}

/** "memory: usage 102400kB, limit 102400kB, failcnt 400" and its memory+swap / swap / kmem siblings. */
export function matchMemcgCounter(text: string): { which: 'memory' | 'memsw' | 'swap' | 'kmem'; counter: OomMemcgCounter } | undefined {
  const m = /^(memory|memory\+swap|swap|kmem): usage (\d+)kB, limit (\d+)kB, failcnt (\d+)/.exec(text);
  if (!m) return undefined;
  const which = m[1] === 'memory+swap' ? 'memsw' : (m[1] as 'memory' | 'swap' | 'kmem');
  // "No limit" prints as PAGE_COUNTER_MAX pages (9007199254740988kB on 64-bit), or
  // RES_COUNTER_MAX >> 10 (18014398509481983kB) on 3.x: the same threshold as the limit files.
  const limitBytes = Number(m[3]) * KB;
  return { which, counter: { usageBytes: Number(m[2]) * KB, limitBytes: limitBytes >= UNLIMITED_THRESHOLD_BYTES ? null : limitBytes, failcnt: Number(m[4]) } };
}

/** "Task in /mem2 killed as a result of limit of /mem2" (mem_cgroup_print_oom_info, before 4.19). */
export function matchTaskInMemcg(text: string): { taskPath: string; path: string } | undefined {
  const m = /^Task in (\S+) killed as a result of limit of (\S+)$/.exec(text);
  return m ? { taskPath: m[1], path: m[2] } : undefined;
}

/** "Memory cgroup stats for /mltest:" (4.x+), or 3.x "Memory cgroup stats for /mem2: cache:0KB rss:980KB ...". */
export function matchMemcgStatsHeader(text: string): { path: string; inline: Record<string, number> } | undefined {
  const m = /^Memory cgroup stats for (.*?):(?: (.*))?$/.exec(text);
  if (!m) return undefined;
  const inline: Record<string, number> = {};
  for (const t of (m[2] ?? '').matchAll(/([a-z_]+):(\d+)KB/g)) inline[t[1]] = Number(t[2]) * KB;
  return { path: m[1], inline };
}

/** One "key value" line of memory.stat printed in a memcg report. */
export function matchMemcgStat(text: string): [string, number] | undefined {
  const m = /^\s*([a-z][a-z0-9_]*) (\d+)$/.exec(text);
  return m ? [m[1], Number(m[2])] : undefined;
}

/**
 * Killed-process line. 5.3+: "Out of memory: Killed process 4857 (python3) total-vm:112184kB, anon-rss:102016kB,
 * file-rss:6380kB, shmem-rss:0kB, UID:0 pgtables:260kB oom_score_adj:0"; 3.x: "Killed process 1532 (x) total-vm:..kB,
 * anon-rss:..kB, file-rss:..kB".
 */
export function matchKilled(text: string): OomVictim | undefined {
  const m =
    /^(?:(.*?): )?Killed process (\d+) \((.*)\)(?: in VE "[^"]*")? total-vm:(\d+)kB, anon-rss:(\d+)kB, file-rss:(\d+)kB(?:, shmem-rss:(\d+)kB)?(?:,? UID:(\d+))?(?: pgtables:(\d+)kB)?(?: oom_score_adj:(-?\d+))?/.exec(text);
  if (!m) return undefined;
  const v: OomVictim = {
    pid: Number(m[2]),
    comm: m[3],
    totalVmBytes: Number(m[4]) * KB,
    anonRssBytes: Number(m[5]) * KB,
    fileRssBytes: Number(m[6]) * KB,
  };
  if (m[1] !== undefined) v.message = m[1];
  if (m[7] !== undefined) v.shmemRssBytes = Number(m[7]) * KB;
  if (m[8] !== undefined) v.uid = Number(m[8]);
  if (m[9] !== undefined) v.pgtablesBytes = Number(m[9]) * KB;
  if (m[10] !== undefined) v.oomScoreAdj = Number(m[10]);
  return v;
}

/** 3.x-4.x: "Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child". */
export function matchKillSelect(text: string): { message: string; pid: number; comm: string; score: number } | undefined {
  const m = /^(.*?): Kill process (\d+) \((.*)\) score (\d+) or sacrifice child/.exec(text);
  return m ? { message: m[1], pid: Number(m[2]), comm: m[3], score: Number(m[4]) } : undefined;
}

/** "oom_reaper: reaped process 473206 (doxygen), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB" or "unable to reap". */
export function matchReaper(text: string): OomReaper | undefined {
  let m = /^oom_reaper: reaped process (\d+) \((.*)\), now anon-rss:(\d+)kB, file-rss:(\d+)kB, shmem-rss:(\d+)kB/.exec(text);
  if (m) {
    return {
      pid: Number(m[1]),
      comm: m[2],
      reaped: true,
      anonRssBytes: Number(m[3]) * KB,
      fileRssBytes: Number(m[4]) * KB,
      shmemRssBytes: Number(m[5]) * KB,
    };
  }
  m = /^oom_reaper: unable to reap pid:(\d+) \((.*)\)/.exec(text);
  return m ? { pid: Number(m[1]), comm: m[2], reaped: false } : undefined;
}

/** The dump_tasks() header: "[  pid  ]   uid  tgid total_vm      rss ... oom_score_adj name" -> column names. */
export function matchTasksHeader(text: string): string[] | undefined {
  const m = /^\s*\[\s*pid\s*\]\s+(uid\s.*\bname)\s*$/.exec(text);
  return m ? ['pid', ...m[1].trim().split(/\s+/)] : undefined;
}

const TASK_NUMERIC: Record<string, keyof OomTask> = {
  uid: 'uid',
  tgid: 'tgid',
  total_vm: 'totalVmPages',
  rss: 'rssPages',
  rss_anon: 'rssAnonPages',
  rss_file: 'rssFilePages',
  rss_shmem: 'rssShmemPages',
  pgtables_bytes: 'pgtablesBytes',
  nr_ptes: 'nrPtes',
  nr_pmds: 'nrPmds',
  swapents: 'swapEntsPages',
  oom_score_adj: 'oomScoreAdj',
};

/** One dump_task() row: "[   4857]     0  4857    28046    27099 ... 0 python3", read by the header's columns. */
export function matchTaskRow(text: string, columns: string[]): OomTask | undefined {
  const m = /^\s*\[\s*(\d+)\]\s+(.*)$/.exec(text);
  if (!m) return undefined;
  const nums = columns.length - 2; // minus pid and name
  const tokens = m[2].split(/\s+/);
  if (tokens.length < nums + 1) return undefined;
  const row: Record<string, number | string> = { pid: Number(m[1]) };
  for (let i = 0; i < nums; i++) {
    if (!/^-?\d+$/.test(tokens[i])) return undefined;
    const key = TASK_NUMERIC[columns[i + 1]];
    if (key) row[key] = Number(tokens[i]);
  }
  // comm may hold spaces: everything after the numeric columns, as printed.
  const lead = new RegExp(`^(?:\\S+\\s+){${nums}}`).exec(m[2]);
  if (!lead) return undefined;
  row.name = m[2].slice(lead[0].length);
  for (const k of ['uid', 'tgid', 'totalVmPages', 'rssPages', 'oomScoreAdj'] as const) if (row[k] === undefined) return undefined;
  return row as unknown as OomTask;
}

const MEMINFO_KEYS = new Set([
  'active_anon', 'inactive_anon', 'isolated_anon', 'active_file', 'inactive_file', 'isolated_file', 'unevictable',
  'dirty', 'writeback', 'unstable', 'slab_reclaimable', 'slab_unreclaimable', 'mapped', 'shmem', 'pagetables',
  'sec_pagetables', 'bounce', 'kernel_misc_reclaimable', 'free', 'free_pcp', 'free_cma',
]);

/** The global block after "Mem-Info:", in pages: "active_anon:1413442 inactive_anon:1509191 isolated_anon:0". */
export function matchMemInfoCounters(text: string): Record<string, number> | undefined {
  const first = /^\s*([a-z_]+):\d+(?:\s|$)/.exec(text);
  if (!first || !MEMINFO_KEYS.has(first[1])) return undefined;
  const out: Record<string, number> = {};
  for (const t of text.matchAll(/([a-z_]+):(\d+)(?=\s|$)/g)) out[t[1]] = Number(t[2]);
  return out;
}

/** show_mem's trailer lines: "4115400 pages RAM", "Free swap  = 84kB", "44659 total pagecache pages". */
export function matchMemTrailer(text: string): { key: string; value: number; unit: 'pages' | 'kB' } | undefined {
  let m = /^(\d+) (pages RAM|pages reserved|total pagecache pages|pages in swap cache|pages HighMem\/MovableOnly|pages hwpoisoned|pages cma reserved)$/.exec(text.trim());
  if (m) return { key: m[2], value: Number(m[1]), unit: 'pages' };
  m = /^(Free swap|Total swap)\s*=\s*(\d+)kB$/.exec(text.trim());
  return m ? { key: m[1], value: Number(m[2]), unit: 'kB' } : undefined;
}

/** Buddy free lists: "Node 0 Normal: 6676*4kB (UME) 2120*8kB (UE) ... 0*4096kB = 62528kB". */
export function matchBuddy(text: string): OomBuddyZone | undefined {
  const m = /^Node (\d+) (\w+): ((?:\d+\*\d+kB(?: \([A-Z]+\))? )+)= (\d+)kB$/.exec(text.trim());
  if (!m) return undefined;
  const blocks = [...m[3].matchAll(/(\d+)\*(\d+)kB/g)];
  return {
    node: Number(m[1]),
    zone: m[2],
    freeBlocks: blocks.map((b) => Number(b[1])),
    order0Bytes: Number(blocks[0][2]) * KB,
    freeBytes: Number(m[4]) * KB,
  };
}
