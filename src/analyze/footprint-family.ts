import type { ProcRoot } from '../fs/proc-root.js';
import type { ProcSample } from '../collect/sample.js';
import { groupExact, scanProcs, summedRss, type GroupExact, type ProcScan } from './footprint.js';

/**
 * Sharing inside a set of processes (a fork family, a program, a user, a cgroup, a pid list):
 * per member, what it shares with the other members, what it shares with the rest of the
 * machine, and what is its alone; for the set, the RAM it really uses against its summed RSS.
 * Two scans taken some seconds apart show copy-on-write at work: frames a member newly owns
 * alone, while every RSS stays flat.
 */
export interface SetMember {
  key: string;
  pid: number;
  ppid: number;
  comm: string;
  /** status "VmRSS:". */
  rssBytes?: number;
  /** smaps_rollup "Pss:" (the fallback without root). */
  pssBytes?: number;
  /** Frames another member maps too (a fork family: still shared with parent and siblings). */
  sharedInSetBytes?: number;
  /** Frames no other member maps but some process outside the set does. */
  sharedOutsideBytes?: number;
  /** Frames only this process maps (exact USS). */
  privateBytes?: number;
  privateAnonBytes?: number;
  /** Pagemap bit 56: pages of mapcount 1. Readable without root. */
  exclusiveBytes?: number;
  /** With two scans: frames private at the second scan that the set did not map at the first. */
  copiedBytes?: number;
  /** With two scans: VmRSS change. */
  rssDeltaBytes?: number;
}

export interface SetReport {
  label: string;
  exact: boolean;
  /** Why figures are not exact, when they are not. */
  reason?: string;
  members: SetMember[];
  summedRssBytes?: number;
  /** Exact: distinct frames of the set. */
  group?: GroupExact;
  /** Fallback: sum of the members' PSS. */
  summedPssBytes?: number;
  /** Outside processes sharing the most frames with the set. */
  sharedWith: { pid: number; comm: string; bytes: number }[];
  sharedWithCount: number;
  interval?: { seconds: number; footprintGrowthBytes?: number; summedRssDeltaBytes?: number; copiedBytes?: number };
}

/** A scan plus the family's frame marks, kept to compare with a later scan. */
export interface SetSnapshot {
  report: SetReport;
  ps: ProcScan;
  /** 1 for each frame id of ps.scan.table the set mapped. */
  mark?: Uint8Array;
}

/** A process and all its descendants (by ppid), the process first. */
export function familyOf(procs: ProcSample[], rootPid: number): ProcSample[] {
  const kids = new Map<number, ProcSample[]>();
  for (const p of procs) {
    const list = kids.get(p.ppid);
    if (list) list.push(p);
    else kids.set(p.ppid, [p]);
  }
  const root = procs.find((p) => p.pid === rootPid);
  if (!root) return [];
  const out: ProcSample[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    for (const k of kids.get(p.pid) ?? []) queue.push(k);
  }
  return out;
}

/** Measure a set of processes against every process in `all`. */
export function measureSet(root: ProcRoot, all: ProcSample[], members: ProcSample[], label: string, pageSizeBytes = 4096, withPfns = false): SetSnapshot & { privatePfns: Map<string, Float64Array> } {
  const ps = scanProcs(root, all, pageSizeBytes);
  const { scan } = ps;
  const page = scan.pageSizeBytes;
  const exact = scan.pfnsVisible && scan.kpageCount !== undefined;
  const group = groupExact(ps, label, label, members);
  const splits = ps.sets.splitMembers(withPfns);
  const byIdx = new Map(splits.map((s) => [s.procIdx, s]));
  const privatePfns = new Map<string, Float64Array>();
  const rows: SetMember[] = members.map((p) => {
    const i = ps.index.get(p.key);
    const s = i === undefined ? undefined : byIdx.get(i);
    const pf = i === undefined ? undefined : scan.procs[i];
    if (s?.privatePfns) privatePfns.set(p.key, s.privatePfns);
    const ok = exact && pf !== undefined && !pf.error;
    return {
      key: p.key, pid: p.pid, ppid: p.ppid, comm: p.comm, rssBytes: p.status?.vmRssBytes, pssBytes: p.rollup?.pssBytes,
      sharedInSetBytes: ok ? s!.sharedInSetFrames * page : undefined,
      sharedOutsideBytes: ok ? s!.sharedOutsideFrames * page : undefined,
      privateBytes: ok && s!.privateFrames !== undefined ? s!.privateFrames * page : undefined,
      privateAnonBytes: ok && s!.privateAnonFrames !== undefined ? s!.privateAnonFrames * page : undefined,
      exclusiveBytes: pf && !pf.error ? pf.exclusivePages * page : undefined,
    };
  });
  const shared = ps.sets.sharedWith();
  const report: SetReport = {
    label, exact, members: rows, summedRssBytes: summedRss(members), sharedWith: [], sharedWithCount: shared.length,
  };
  let mark: Uint8Array | undefined;
  if (exact) {
    report.group = group;
    mark = new Uint8Array(scan.table.frameCount);
    for (const id of ps.sets.lastDistinct()) mark[id] = 1;
    report.sharedWith = shared.slice(0, 5).map((w) => ({ pid: ps.procs[w.procIdx].pid, comm: ps.procs[w.procIdx].comm, bytes: w.frames * page }));
  } else {
    report.reason = !scan.pfnsVisible
      ? 'page frame numbers are hidden without CAP_SYS_ADMIN (Linux 4.2+); figures are PSS from smaps_rollup and USS from pagemap bit 56'
      : '/proc/kpagecount is not readable; figures are PSS from smaps_rollup';
    const pss = members.map((p) => p.rollup?.pssBytes);
    report.summedPssBytes = pss.some((v) => v === undefined) ? undefined : pss.reduce<number>((a, b) => a + b!, 0);
  }
  return { report, ps, mark, privatePfns };
}

/**
 * Compare two snapshots of the same set: per member, frames it owns alone now that the set did
 * not map before (copy-on-write copies and new allocations), and the growth of the set's footprint.
 */
export function compareSets(before: SetSnapshot, after: SetSnapshot & { privatePfns: Map<string, Float64Array> }, seconds: number): SetReport {
  const r = after.report;
  const prev = new Map(before.report.members.map((m) => [m.key, m]));
  const page = after.ps.scan.pageSizeBytes;
  let copiedTotal: number | undefined = before.mark ? 0 : undefined;
  for (const m of r.members) {
    const old = prev.get(m.key);
    if (old && old.rssBytes !== undefined && m.rssBytes !== undefined) m.rssDeltaBytes = m.rssBytes - old.rssBytes;
    const pfns = after.privatePfns.get(m.key);
    if (!before.mark || !pfns) continue;
    let copied = 0;
    for (const pfn of pfns) {
      const id = before.ps.scan.table.idOf(pfn);
      if (id < 0 || before.mark[id] === 0) copied++;
    }
    m.copiedBytes = copied * page;
    copiedTotal! += m.copiedBytes;
  }
  const growth = r.group && before.report.group ? r.group.footprintBytes - before.report.group.footprintBytes : undefined;
  const rssDelta = r.summedRssBytes !== undefined && before.report.summedRssBytes !== undefined ? r.summedRssBytes - before.report.summedRssBytes : undefined;
  r.interval = { seconds, footprintGrowthBytes: growth, summedRssDeltaBytes: rssDelta, copiedBytes: copiedTotal };
  return r;
}
