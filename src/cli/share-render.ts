import type { SetMember, SetReport } from '../analyze/footprint-family.js';
import type { GroupExact } from '../analyze/footprint.js';
import { formatBytes, formatPercent } from '../fields/units.js';
import { renderTable, type Column } from './table.js';

/** "101 processes show 10.1 GiB of RSS but use 104 MiB of RAM: 99% of what they map is shared." */
export function describeSet(r: SetReport): string {
  const n = r.members.length;
  const who = n === 1 ? '1 process shows' : `${n} processes show`;
  const rss = r.summedRssBytes;
  if (!r.exact || !r.group) {
    return `${who} ${formatBytes(rss)} of RSS; their summed PSS is ${formatBytes(r.summedPssBytes)} (not exact: ${r.reason}).`;
  }
  const g = r.group;
  const base = rss ?? g.mappedBytes;
  const pct = base > 0 ? Math.max(0, Math.round((1 - g.footprintBytes / base) * 100)) : 0;
  const first = `${who} ${formatBytes(base)} of RSS but use ${formatBytes(g.footprintBytes)} of RAM: ${pct}% of what they map is shared.`;
  if (!g.only) return first;
  const others = r.sharedWithCount === 1 ? '1 other process' : `${r.sharedWithCount} other processes`;
  const outside = g.sharedScannedBytes + (g.sharedUnscannedBytes ?? 0);
  return (
    `${first} Ending them would free ${formatBytes(g.only.anonBytes)} of anonymous memory; ` +
    `${formatBytes(g.only.fileBytes)} of file pages only they map would stay in the page cache` +
    (g.only.shmemBytes > 0 ? `, and ${formatBytes(g.only.shmemBytes)} of shared memory stays while its file, segment or memfd exists` : '') +
    `; ${formatBytes(outside)} is shared with ${others}` +
    (g.sharedUnscannedBytes ? ` (${formatBytes(g.sharedUnscannedBytes)} with processes that could not be scanned)` : '') +
    '.'
  );
}

/**
 * The footprint by kind of page, from /proc/kpageflags: "anon 100 MiB, file 4.5 MiB, ...".
 * Dirty, KSM, THP and hugetlb overlap the first three; kinds that hold nothing are left out.
 */
export function describeKinds(g: GroupExact): string {
  const f = g.footprint;
  const main = [`anon ${formatBytes(f.anonBytes)}`, `file ${formatBytes(f.fileBytes)}`, `shmem ${formatBytes(f.shmemBytes)}`];
  const extra = (
    [
      ['dirty', f.dirtyBytes],
      ['in KSM pages', f.ksmBytes],
      ['in transparent huge pages', f.thpBytes],
      ['hugetlb', f.hugetlbBytes],
    ] as const
  ).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${formatBytes(v)}`);
  return `Footprint by kind (kpageflags): ${main.join(', ')}${extra.length ? `; of which ${extra.join(', ')}` : ''}.`;
}

/** "In 5 s the footprint grew by +300 MiB while the summed RSS changed by +12 KiB: pid 12 copied 100 MiB, ..." */
export function describeInterval(r: SetReport): string | undefined {
  const iv = r.interval;
  if (!iv) return undefined;
  if (iv.footprintGrowthBytes === undefined) return `In ${iv.seconds} s the summed RSS changed by ${signed(iv.summedRssDeltaBytes)} (footprint growth needs root).`;
  const top = r.members.filter((m) => (m.copiedBytes ?? 0) >= 1 << 20).sort((a, b) => b.copiedBytes! - a.copiedBytes!);
  const who =
    top.length === 0
      ? 'no member copied 1 MiB or more'
      : top.slice(0, 5).map((m) => `pid ${m.pid} copied ${formatBytes(m.copiedBytes)}`).join(', ') + (top.length > 5 ? `, and ${top.length - 5} more` : '');
  return `In ${iv.seconds} s the footprint grew by ${signed(iv.footprintGrowthBytes)} while the summed RSS changed by ${signed(iv.summedRssDeltaBytes)}: ${who}.`;
}

export function signed(v: number | undefined): string {
  return v === undefined ? formatBytes(undefined) : `${v >= 0 ? '+' : ''}${formatBytes(v)}`;
}

export function memberTable(r: SetReport, fmt: (n: number | undefined) => string): string {
  const interval = r.interval !== undefined;
  const cols: Column<SetMember>[] = [
    { title: 'PID', value: (m) => (m.pid < 0 ? 'TOTAL' : String(m.pid)) },
    { title: 'PPID', value: (m) => (m.pid < 0 ? '' : String(m.ppid)) },
    { title: 'RSS', value: (m) => fmt(m.rssBytes) },
  ];
  if (r.exact) {
    cols.push(
      { title: 'SHARED-IN-SET', value: (m) => fmt(m.sharedInSetBytes) },
      { title: 'SHARED-OUTSIDE', value: (m) => fmt(m.sharedOutsideBytes) },
      { title: 'PRIVATE(USS)', value: (m) => fmt(m.privateBytes) },
    );
  } else {
    cols.push({ title: 'PSS', value: (m) => fmt(m.pssBytes) }, { title: 'EXCLUSIVE', value: (m) => fmt(m.exclusiveBytes) });
  }
  if (interval) cols.push({ title: 'RSS-DELTA', value: (m) => signedFmt(m.rssDeltaBytes, fmt) }, { title: 'COPIED', value: (m) => fmt(m.copiedBytes) });
  cols.push({ title: 'COMMAND', align: 'left', value: (m) => m.comm });
  const total: SetMember = {
    key: 'total', pid: -1, ppid: -1, comm: r.exact && r.group ? `footprint ${fmt(r.group.footprintBytes)} (distinct frames)` : `summed PSS ${fmt(r.summedPssBytes)}`,
    rssBytes: r.summedRssBytes, pssBytes: r.summedPssBytes, sharedInSetBytes: sum(r.members, 'sharedInSetBytes'), sharedOutsideBytes: sum(r.members, 'sharedOutsideBytes'),
    privateBytes: sum(r.members, 'privateBytes'), exclusiveBytes: sum(r.members, 'exclusiveBytes'), rssDeltaBytes: r.interval?.summedRssDeltaBytes, copiedBytes: r.interval?.copiedBytes,
  };
  return renderTable(cols, r.members, [total]);
}

export function groupTable(groups: GroupExact[], fmtAll: (n: number | undefined) => string): string {
  // A group none of whose members could be scanned has unknown figures, not zero ones.
  let cur: GroupExact | undefined;
  const fmt = (n: number | undefined): string => fmtAll(cur && cur.members === 0 ? undefined : n);
  const cols: Column<GroupExact>[] = [
    { title: 'PROCS', value: (g) => String((cur = g).members) },
    { title: 'RSS', value: (g) => fmtAll(g.summedRssBytes) },
    { title: 'FOOTPRINT', value: (g) => fmt(g.footprintBytes) },
    { title: 'SHARED%', value: (g) => formatPercent(g.summedRssBytes === undefined ? undefined : Math.max(0, g.summedRssBytes - g.footprintBytes), g.summedRssBytes, 0) },
    { title: 'FREED-ON-KILL', value: (g) => fmt(g.only?.anonBytes) },
    { title: 'CACHE-KEPT', value: (g) => fmt(g.only?.fileBytes) },
    { title: 'SHARED-OUTSIDE', value: (g) => fmt(g.sharedUnscannedBytes === undefined ? undefined : g.sharedScannedBytes + g.sharedUnscannedBytes) },
    { title: 'GROUP', align: 'left', value: (g) => g.label },
  ];
  return renderTable(cols, groups);
}

export const LEGEND_EXACT =
  'source: RSS = /proc/PID/status VmRSS; other columns count distinct 4 KiB frames from /proc/PID/pagemap, ' +
  'checked against /proc/kpagecount (mappings machine-wide) and /proc/kpageflags (anon/file/shmem). ' +
  'PRIVATE = every mapping of the frame is this process (exact USS); SHARED-IN-SET = another member maps it; ' +
  'SHARED-OUTSIDE = only processes outside the set share it; FOOTPRINT = distinct frames of the set; ' +
  'FREED-ON-KILL = anonymous frames only the set maps; CACHE-KEPT = file frames only the set maps (unmapped, not freed).';

export const LEGEND_FALLBACK =
  'source: RSS = /proc/PID/status VmRSS; PSS = smaps_rollup "Pss:" (shared pages divided among their mappers); ' +
  'EXCLUSIVE = pages whose pagemap bit 56 says mapcount 1 (readable without root).';

function sum(ms: SetMember[], k: 'sharedInSetBytes' | 'sharedOutsideBytes' | 'privateBytes' | 'exclusiveBytes'): number | undefined {
  let t = 0;
  for (const m of ms) {
    const v = m[k];
    if (v === undefined) return undefined;
    t += v;
  }
  return t;
}

function signedFmt(v: number | undefined, fmt: (n: number | undefined) => string): string {
  return v === undefined ? fmt(undefined) : `${v >= 0 ? '+' : '-'}${fmt(Math.abs(v))}`;
}
