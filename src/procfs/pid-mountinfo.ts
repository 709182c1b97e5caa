import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/<pid>/mountinfo (2.6.26+; Documentation/filesystems/proc.rst 3.5) and /proc/<pid>/mounts
 * (fstab format; /proc/mounts links to /proc/self/mounts since 2.6.25).
 *
 *   41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw
 *   cgroup2 /sys/fs/cgroup cgroup2 rw,seclabel,nosuid,nodev,noexec,relatime 0 0
 *
 * Paths and sources are escaped by the kernel's mangle(): space, tab, newline and backslash
 * as \040 \011 \012 \134 (fs/proc_namespace.c); decoded here.
 */

export interface MountEntry {
  /** mountinfo only. */
  mountId?: number;
  parentId?: number;
  /** "major:minor" of st_dev (mountinfo only). */
  devMajorMinor?: string;
  /** Root of the mount within its filesystem: for cgroups, the hierarchy path ("/" or "/docker/<id>"). */
  root: string;
  mountPoint: string;
  /** Per-mount options (rw,nosuid,...). In /proc/mounts: mount and super options merged. */
  mountOptions: string[];
  /** mountinfo optional fields (shared:N, master:N, propagate_from:N, unbindable). */
  optionalFields: string[];
  fsType: string;
  source: string;
  /** Superblock options: for cgroup v1 they name the controllers ("rw,memory"). */
  superOptions: string[];
}

export function unmangle(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string, path = '/proc/self/mountinfo'): MountEntry[] {
  return numberedLines(text).map(({ line, lineNo }) => {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 6 || f.length < sep + 4) throw new ParseError(path, lineNo, line, 'mountinfo', 'expected 10+ fields with " - "');
    if (!/^\d+$/.test(f[0]) || !/^\d+$/.test(f[1])) throw new ParseError(path, lineNo, line, 'mount id');
    if (!/^\d+:\d+$/.test(f[2])) throw new ParseError(path, lineNo, line, 'major:minor');
    return {
      mountId: Number(f[0]),
      parentId: Number(f[1]),
      devMajorMinor: f[2],
      root: unmangle(f[3]),
      mountPoint: unmangle(f[4]),
      mountOptions: f[5].split(','),
      optionalFields: f.slice(6, sep),
      fsType: f[sep + 1],
      source: unmangle(f[sep + 2]),
      // Super options may themselves hold spaces only if escaped; keep the rest of the line together.
      superOptions: f.slice(sep + 3).join(' ').split(','),
    };
  });
}

/** /proc/mounts: "source mountpoint fstype options freq passno". The root is always "/" here. */
export function parseMounts(text: string, path = '/proc/mounts'): MountEntry[] {
  return numberedLines(text).map(({ line, lineNo }) => {
    const f = line.split(' ');
    if (f.length !== 6 || !/^\d+$/.test(f[4]) || !/^\d+$/.test(f[5])) {
      throw new ParseError(path, lineNo, line, 'mounts', 'expected 6 space-separated fields');
    }
    const opts = f[3].split(',');
    return {
      root: '/',
      mountPoint: unmangle(f[1]),
      mountOptions: opts,
      optionalFields: [],
      fsType: f[2],
      source: unmangle(f[0]),
      superOptions: opts,
    };
  });
}

/** /proc/<pid>/mountinfo, default the reader's own ("self"). */
export function readMountinfo(root: ProcRoot, pid: number | 'self' = 'self'): MountEntry[] {
  return parseMountinfo(root.readProc(`${pid}/mountinfo`), root.procPath(`${pid}/mountinfo`));
}

/** /proc/mounts. */
export function readMounts(root: ProcRoot): MountEntry[] {
  return parseMounts(root.readProc('mounts'), root.procPath('mounts'));
}
