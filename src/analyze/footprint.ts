import type { ProcRoot } from '../fs/proc-root.js';
import type { ProcSample } from '../collect/sample.js';
import { FrameSets, scanFrames, type FrameBreakdown, type FrameScan } from '../pages/index.js';
import type { ProcGroup } from './groups.js';

/**
 * Exact physical footprints from page frames: /proc/[pid]/pagemap for every mapping of every
 * process, then /proc/kpagecount and /proc/kpageflags for the frames found (src/pages). Needs
 * CAP_SYS_ADMIN: without it the kernel zeroes PFNs (Linux 4.2+) and `exact` is false.
 */
export interface ProcExact {
  key: string;
  pid: number;
  /** Present pages with a visible frame, in bytes (pagemap; VmRSS plus zero-page mappings). */
  mappedBytes: number;
  /** Distinct frames this process maps. */
  residentBytes: number;
  /** Frames every mapping of which is this process's (kpagecount == our count): exact USS. */
  ussBytes?: number;
  ussAnonBytes?: number;
  /** Frames some other process maps too. */
  sharedBytes: number;
  /** Pagemap bit 56 (page mapcount 1), readable without root: USS as the kernel sees it per page. */
  exclusiveBytes: number;
  swapBytes: number;
}

/** A set of processes measured together; bytes are distinct frames times the page size. */
export interface GroupExact {
  key: string;
  label: string;
  members: number;
  /** Sum of the members' VmRSS (status), for comparison; undefined when any is unknown. */
  summedRssBytes?: number;
  /** Page table entries summed over members: what summed RSS would say, from pagemap. */
  mappedBytes: number;
  /** Distinct frames mapped by the set: the RAM it uses. */
  footprintBytes: number;
  footprint: BytesBreakdown;
  /** Frames only the set maps: ending it frees the anon part; see BytesBreakdown. */
  only?: BytesBreakdown;
  /** Frames also mapped by scanned processes outside the set. */
  sharedScannedBytes: number;
  /** Frames also mapped by processes that were not scanned (kpagecount is higher than our count). */
  sharedUnscannedBytes?: number;
  swapBytes: number;
  uniqueSwapBytes: number;
}

export interface BytesBreakdown {
  totalBytes: number;
  anonBytes: number;
  fileBytes: number;
  shmemBytes: number;
  dirtyBytes: number;
  ksmBytes: number;
  thpBytes: number;
  hugetlbBytes: number;
}

export interface ExactFootprints {
  /** True when frames were visible and kpagecount was read. */
  exact: boolean;
  /** Why not exact, in words. */
  reason?: string;
  pageSizeBytes: number;
  /** By process key ("pid:starttime"). */
  procs: Map<string, ProcExact>;
  groups: GroupExact[];
  scanMs: number;
  /** Memory held by the frame tables of this scan. */
  tableBytes: number;
  /** Processes whose pagemap could not be read (exited or denied). */
  unreadable: number;
}

/** A scan bound to the processes it covers. */
export interface ProcScan {
  scan: FrameScan;
  sets: FrameSets;
  /** Index in scan.procs by process key. */
  index: Map<string, number>;
  procs: ProcSample[];
}

/** Scan the frames of these processes (kernel threads skipped: they map no user memory). */
export function scanProcs(root: ProcRoot, procs: ProcSample[], pageSizeBytes = 4096): ProcScan {
  const users = procs.filter((p) => !p.isKernelThread);
  const scan = scanFrames(
    root,
    users.map((p) => ({ pid: p.pid })),
    { pageSizeBytes },
  );
  return { scan, sets: new FrameSets(scan), index: new Map(users.map((p, i) => [p.key, i])), procs: users };
}

function toBytes(b: FrameBreakdown, page: number): BytesBreakdown {
  return {
    totalBytes: b.frames * page, anonBytes: b.anonFrames * page, fileBytes: b.fileFrames * page, shmemBytes: b.shmemFrames * page,
    dirtyBytes: b.dirtyFrames * page, ksmBytes: b.ksmFrames * page, thpBytes: b.thpFrames * page, hugetlbBytes: b.hugetlbFrames * page,
  };
}

/** Sum of VmRSS over processes; undefined if any is unknown. */
export function summedRss(procs: ProcSample[]): number | undefined {
  let sum = 0;
  for (const p of procs) {
    const v = p.status?.vmRssBytes;
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}

export function groupExact(ps: ProcScan, key: string, label: string, members: ProcSample[]): GroupExact {
  const page = ps.scan.pageSizeBytes;
  const idx = members.map((p) => ps.index.get(p.key)).filter((i): i is number => i !== undefined);
  const fp = ps.sets.measure(idx);
  return {
    key, label, members: fp.members, summedRssBytes: summedRss(members), mappedBytes: fp.mappedPages * page,
    footprintBytes: fp.unique.frames * page, footprint: toBytes(fp.unique, page), only: fp.only && toBytes(fp.only, page),
    sharedScannedBytes: fp.sharedScannedFrames * page,
    sharedUnscannedBytes: fp.sharedUnscannedFrames === undefined ? undefined : fp.sharedUnscannedFrames * page,
    swapBytes: fp.swapPages * page, uniqueSwapBytes: fp.uniqueSwapSlots * page,
  };
}

/**
 * For `memledger ps --exact`: exact USS per process and exact footprint per group.
 * `procs` should be every process of the sample (sharing is judged against all of them).
 */
export function exactFootprints(root: ProcRoot, procs: ProcSample[], groups: ProcGroup[] = [], opts: { pageSizeBytes?: number } = {}): ExactFootprints {
  const ps = scanProcs(root, procs, opts.pageSizeBytes);
  const { scan } = ps;
  const page = scan.pageSizeBytes;
  const out: ExactFootprints = {
    exact: scan.pfnsVisible && scan.kpageCount !== undefined, pageSizeBytes: page, procs: new Map(), groups: [],
    scanMs: scan.stats.scanMs + scan.stats.kpageMs, tableBytes: scan.stats.tableBytes, unreadable: scan.procs.filter((p) => p.error).length,
  };
  if (!scan.pfnsVisible) out.reason = 'page frame numbers are hidden without CAP_SYS_ADMIN (Linux 4.2+): run as root';
  else if (!scan.kpageCount) out.reason = '/proc/kpagecount is not readable';
  const splits = ps.sets.splitEach();
  for (const p of ps.procs) {
    const i = ps.index.get(p.key)!;
    const pf = scan.procs[i];
    if (pf.error) continue;
    const m = splits[i];
    out.procs.set(p.key, {
      key: p.key, pid: p.pid, mappedBytes: (pf.mappedPages ?? pf.frames.length) * page, residentBytes: m.distinctFrames * page,
      ussBytes: m.privateFrames === undefined ? undefined : m.privateFrames * page,
      ussAnonBytes: m.privateAnonFrames === undefined ? undefined : m.privateAnonFrames * page,
      sharedBytes: (m.sharedInSetFrames + m.sharedOutsideFrames) * page,
      exclusiveBytes: pf.exclusivePages * page, swapBytes: pf.swapPages * page,
    });
  }
  for (const g of groups) out.groups.push(groupExact(ps, g.key, g.label, g.procs));
  return out;
}
