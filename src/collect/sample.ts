import type { ProcErrorKind } from '../fs/errors.js';
import type { PidStat } from '../procfs/pid-stat.js';
import type { PidStatus } from '../procfs/pid-status.js';
import type { PidSmapsRollup } from '../procfs/pid-smaps-rollup.js';
import type { SystemSample } from './system.js';

/**
 * One raw reading of the machine. Counters stay raw (bytes, ticks, counts): rates and deltas
 * are derived later (model/derive.ts), so that live use and replay share one path.
 *
 * The type lives in collect/ because the collector builds it and the import direction
 * (fs -> procfs -> collect -> model) forbids collect importing model; model re-exports it.
 */
export interface Sample {
  header: SampleHeader;
  system: SystemSample;
  procs: ProcSample[];
}

export interface Capabilities {
  /** Running with uid 0 on the live /proc: other users' smaps and pagemap PFNs are readable. */
  root: boolean;
  /** Reading the live /proc (not a captured tree). */
  live: boolean;
  /** /proc/[pid]/smaps_rollup exists (Linux 4.14+). Without it, smaps is summed. */
  smapsRollup: boolean;
  /** /proc/meminfo "MemAvailable:" (Linux 3.14+), as this sample's meminfo shows it. */
  memAvailable: boolean;
  /** /proc/pressure/memory (Linux 4.20+, CONFIG_PSI). */
  psi: boolean;
  /** /proc/kpagecount and /proc/kpageflags (root only). */
  kpageflags: boolean;
  /** A /sys root is available. */
  sys: boolean;
  pageSizeBytes: number;
  /** USER_HZ: the unit of /proc/[pid]/stat times. 100 on every mainstream architecture. */
  clockTicksPerSecond: number;
}

export interface Gap {
  kind: ProcErrorKind;
  /** What could not be read, as a path pattern: "/proc/<pid>/smaps_rollup". */
  what: string;
  /** How many times in this sample. */
  count: number;
  example?: string;
}

export interface SampleHeader {
  /** Wall clock when the scan started, ms since the epoch. */
  takenAtMs: number;
  /** /proc/sys/kernel/random/boot_id: a new boot starts new series. */
  bootId?: string;
  /** /proc/sys/kernel/osrelease */
  kernel?: string;
  /** /proc/sys/kernel/hostname */
  hostname?: string;
  /** /proc/uptime first field, at the start of the scan. */
  uptimeSeconds?: number;
  caps: Capabilities;
  /** Wall time the scan took. */
  collectMs: number;
  /** Processes that exited while being read (dropped from this sample). */
  vanished: number;
  gaps: Gap[];
  /** One-time hints for the user, e.g. "12 processes unreadable: run as root for PSS". */
  hints: string[];
}

export interface ProcSample {
  pid: number;
  /** /proc/[pid]/stat field 22, clock ticks after boot. With pid, the identity of a process. */
  startTimeTicks: number;
  /** "pid:starttime": pids are reused over hours of history. */
  key: string;
  ppid: number;
  comm: string;
  /** argv; empty for kernel threads and zombies; undefined if unreadable. */
  cmdline?: string[];
  /** Target of /proc/[pid]/exe (may end in " (deleted)"); undefined for kernel threads or when denied. */
  exe?: string;
  /** Effective uid from status "Uid:" (or the owner of /proc/[pid]). */
  uid?: number;
  user?: string;
  isKernelThread: boolean;
  stat: PidStat;
  status?: PidStatus;
  rollup?: PidSmapsRollup;
  rollupSource?: 'smaps_rollup' | 'smaps';
  /** When the rollup was read (ms since the epoch): smaps takes the target's mmap lock. */
  rollupReadAtMs?: number;
  /** Path in the cgroup v1 memory hierarchy, from /proc/[pid]/cgroup. */
  cgroupV1Memory?: string;
  /** Path in the unified (v2) hierarchy, from the "0::" line. */
  cgroupV2?: string;
  oomScore?: number;
  oomScoreAdj?: number;
}
