import type { ProcRoot } from '../fs/proc-root.js';
import { isProcError } from '../fs/errors.js';
import { readMountinfo, readMounts, type MountEntry } from './pid-mountinfo.js';
import { readProcCgroups, type ProcCgroupsRow } from './cgroups.js';
import { readSysOptional, type SysGap } from './sys-optional.js';

/**
 * Where the memory cgroup hierarchies are, and which cgroup directories they hold.
 *
 * cgroup2 mounts have fsType "cgroup2"; a v1 hierarchy with the memory controller has fsType
 * "cgroup" and "memory" among its super options (mountinfo) or options (/proc/mounts). The
 * memory controller lives on exactly one of them: /proc/cgroups gives it hierarchy id 0 when it
 * is on v2 (or unbound), and the v2 root's cgroup.controllers lists it when it is enabled there.
 *
 * Reading goes through ProcRoot.readSys/listSys, so a mount point must lie under /sys (the usual
 * /sys/fs/cgroup/...); mounts elsewhere (RHEL6's /cgroup/memory) have no `sysRel`.
 */

export interface CgroupMount {
  version: 1 | 2;
  mountPoint: string;
  /** The hierarchy path mounted there: "/" normally, "/docker/<id>" or "/../.." inside containers. */
  root: string;
  /** mountPoint relative to the sys root ("fs/cgroup/memory"), when it lies under /sys. */
  sysRel?: string;
  /** v1: the controllers of this hierarchy (from the super options). */
  controllers: string[];
}

const V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'io', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

/** The cgroup mounts among a mount table (mountinfo or /proc/mounts), in table order. */
export function cgroupMounts(mounts: MountEntry[]): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const m of mounts) {
    if (m.fsType !== 'cgroup' && m.fsType !== 'cgroup2') continue;
    const version = m.fsType === 'cgroup2' ? 2 : 1;
    const controllers = version === 1 ? m.superOptions.filter((o) => V1_CONTROLLERS.has(o)) : [];
    const sysRel = m.mountPoint === '/sys' ? '' : m.mountPoint.startsWith('/sys/') ? m.mountPoint.slice(5) : undefined;
    out.push({ version, mountPoint: m.mountPoint, root: m.root, sysRel, controllers });
  }
  return out;
}

export interface MemoryHierarchies {
  /** Every cgroup2 mount (bind mounts of the one v2 hierarchy included), root "/" first. */
  v2: CgroupMount[];
  /** Mounts of the v1 hierarchy that carries the memory controller. */
  v1Memory: CgroupMount[];
  /** /proc/cgroups "memory" row, when readable. */
  memoryRow?: ProcCgroupsRow;
  /**
   * Whether the memory controller is on the v2 hierarchy: from the v2 root's cgroup.controllers
   * when readable, else from /proc/cgroups (hierarchy id 0 and enabled, with a cgroup2 mount).
   */
  memoryOnV2?: boolean;
}

function byRootFirst(a: CgroupMount, b: CgroupMount): number {
  return Number(b.root === '/') - Number(a.root === '/');
}

/** Pure: the memory hierarchies from a mount table and /proc/cgroups rows. */
export function memoryHierarchies(mounts: MountEntry[], procCgroups?: ProcCgroupsRow[], v2RootControllers?: string[]): MemoryHierarchies {
  const all = cgroupMounts(mounts);
  const v2 = all.filter((m) => m.version === 2).sort(byRootFirst);
  const v1Memory = all.filter((m) => m.version === 1 && m.controllers.includes('memory')).sort(byRootFirst);
  const memoryRow = procCgroups?.find((r) => r.subsysName === 'memory');
  let memoryOnV2: boolean | undefined;
  if (v2RootControllers) memoryOnV2 = v2RootControllers.includes('memory');
  else if (memoryRow) memoryOnV2 = v2.length > 0 && memoryRow.enabled && memoryRow.hierarchyId === 0;
  return { v2, v1Memory, memoryRow, memoryOnV2 };
}

/** Reads /proc/self/mountinfo (or /proc/mounts), /proc/cgroups and the v2 root's cgroup.controllers. */
export function readMemoryHierarchies(root: ProcRoot): MemoryHierarchies {
  let mounts: MountEntry[];
  try {
    mounts = readMountinfo(root);
  } catch (e) {
    if (!isProcError(e, 'absent', 'vanished')) throw e;
    mounts = readMounts(root);
  }
  let rows: ProcCgroupsRow[] | undefined;
  try {
    rows = readProcCgroups(root);
  } catch (e) {
    if (!isProcError(e, 'absent')) throw e;
  }
  let controllers: string[] | undefined;
  const v2root = cgroupMounts(mounts).find((m) => m.version === 2 && m.root === '/' && m.sysRel !== undefined);
  if (v2root) {
    const gaps: SysGap[] = [];
    controllers = readSysOptional(root, `${v2root.sysRel}/cgroup.controllers`, (t) => t.trim().split(/\s+/).filter(Boolean), gaps);
  }
  return memoryHierarchies(mounts, rows, controllers);
}

export interface CgroupDir {
  /** Path within the hierarchy, as /proc/<pid>/cgroup prints it ("/", "/system.slice/x.service"). */
  path: string;
  /** Directory relative to the sys root, for readCgroupV1Memory / readCgroupV2Memory. */
  rel: string;
  depth: number;
}

export interface WalkOptions {
  /** Stop after this many cgroups (default 100000). */
  maxCgroups?: number;
}

/**
 * Every cgroup directory under `sysRel` (a hierarchy mount point relative to the sys root),
 * depth first, parents before children, the root itself first with path "/". A directory that
 * vanishes while we walk (a cgroup removed) is skipped.
 */
export function walkCgroupTree(root: ProcRoot, sysRel: string, opts: WalkOptions = {}): CgroupDir[] {
  const max = opts.maxCgroups ?? 100000;
  const base = sysRel.replace(/\/+$/, '');
  const out: CgroupDir[] = [];
  const stack: CgroupDir[] = [{ path: '/', rel: base, depth: 0 }];
  while (stack.length > 0 && out.length < max) {
    const dir = stack.pop()!;
    let children: string[];
    try {
      children = root.listSysDirs(dir.rel).sort().reverse();
    } catch (e) {
      // A cgroup removed while we walk (ENOENT) surfaces as 'absent'.
      if (isProcError(e, 'absent') && dir.depth > 0) continue;
      throw e;
    }
    out.push(dir);
    for (const n of children) {
      stack.push({ path: dir.path === '/' ? `/${n}` : `${dir.path}/${n}`, rel: `${dir.rel}/${n}`, depth: dir.depth + 1 });
    }
  }
  return out;
}

/**
 * The sys-relative directory of a cgroup path from /proc/<pid>/cgroup on a given mount, or
 * undefined when the mount does not show that part of the hierarchy (a container's mount of
 * "/docker/<id>" cannot show "/system.slice"). Under a cgroup namespace, /proc/<pid>/cgroup paths
 * are relative to the reader's namespace root, which is what a mount root of "/" shows.
 */
export function cgroupDirOf(mount: CgroupMount, cgroupPath: string): string | undefined {
  if (mount.sysRel === undefined || !cgroupPath.startsWith('/')) return undefined;
  const r = mount.root.replace(/\/+$/, '');
  let inside: string;
  if (r === '') inside = cgroupPath;
  else if (cgroupPath === r) inside = '/';
  else if (cgroupPath.startsWith(`${r}/`)) inside = cgroupPath.slice(r.length);
  else return undefined;
  return inside === '/' ? mount.sysRel : `${mount.sysRel}${inside}`;
}
