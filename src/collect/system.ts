import type { ProcRoot } from '../fs/proc-root.js';
import { readMeminfo, type Meminfo } from '../procfs/meminfo.js';
import { readSlabinfo, type Slabinfo } from '../procfs/slabinfo.js';
import { readSwaps, type Swaps } from '../procfs/swaps.js';
import { readVmallocinfo, type Vmallocinfo } from '../procfs/vmallocinfo.js';
import { readVmstat, type Vmstat } from '../procfs/vmstat.js';
import { readPressureMemory, type Pressure } from '../procfs/pressure.js';
import { readSysVm, type SysVm } from '../procfs/sys-vm.js';
import { readSysThp } from '../procfs/sys-thp.js';
import { readSysKsm } from '../procfs/sys-ksm.js';
import { readHiddenMemorySources } from '../procfs/hidden-memory.js';
import { optional, type GapLog } from './gaps.js';

/** The machine-wide part of a Sample. Every section but meminfo is optional (kernel, config, root). */
export interface SystemSample {
  meminfo: Meminfo;
  vmstat?: Vmstat;
  pressure?: Pressure;
  swaps?: Swaps;
  /** Root only (0400 since 2.6.x). */
  slabinfo?: Slabinfo;
  /** Root only. */
  vmallocinfo?: Vmallocinfo;
  /** /proc/sys/vm/* */
  sysVm?: SysVm;
  /** /proc/sys/vm/overcommit_memory: 0 heuristic, 1 always, 2 strict. */
  overcommitMemory?: number;
  /** The selected mode of /sys/kernel/mm/transparent_hugepage/enabled. */
  thpEnabled?: string;
  /** KSM: pages_sharing x page size is what merging saves. */
  ksm?: { savedBytes?: number; pagesShared?: number; pagesSharing?: number };
  /** Memory that no meminfo counter holds: balloon drivers, zram pools, GPU drivers loaded. */
  hidden?: HiddenHolder[];
}

export interface HiddenHolder {
  what: string;
  bytes?: number;
  /** The file it was read from. */
  source: string;
  /**
   * A virtio balloon without DEFLATE_ON_OOM: its inflated pages were taken out of MemTotal, so
   * meminfo "Balloon:" counts memory outside the ledger's total.
   */
  balloonOutsideMemTotal?: boolean;
}

export type SystemSection = 'slabinfo' | 'vmallocinfo' | 'sysctl' | 'sysfs';

/**
 * Read the system files. The expensive or many-file sections are read only when asked for:
 * slabinfo, vmallocinfo (walks every vmap area under a lock), /proc/sys/vm and sysfs.
 */
export function collectSystem(root: ProcRoot, gaps: GapLog, pageSizeBytes: number, extra: SystemSection[] = []): SystemSample {
  const sys: SystemSample = { meminfo: readMeminfo(root) };
  sys.vmstat = optional(gaps, '/proc/vmstat', () => readVmstat(root, pageSizeBytes));
  sys.pressure = optional(gaps, '/proc/pressure/memory', () => readPressureMemory(root));
  sys.swaps = optional(gaps, '/proc/swaps', () => readSwaps(root));
  if (extra.includes('slabinfo')) sys.slabinfo = optional(gaps, '/proc/slabinfo', () => readSlabinfo(root, pageSizeBytes));
  if (extra.includes('vmallocinfo')) sys.vmallocinfo = optional(gaps, '/proc/vmallocinfo', () => readVmallocinfo(root, pageSizeBytes));
  // /proc/sys/vm is some 50 files: read only by the commands that use the settings.
  if (extra.includes('sysctl')) {
    sys.sysVm = optional(gaps, '/proc/sys/vm', () => readSysVm(root));
    sys.overcommitMemory = sys.sysVm?.overcommitMemory;
  }
  if (extra.includes('sysfs') && root.hasSys()) readSysfsSections(root, gaps, pageSizeBytes, sys);
  return sys;
}

/** THP mode, KSM savings and hidden-memory holders: small sysfs reads the ledger wants. */
function readSysfsSections(root: ProcRoot, gaps: GapLog, pageSizeBytes: number, sys: SystemSample): void {
  sys.thpEnabled = optional(gaps, '/sys/kernel/mm/transparent_hugepage', () => readSysThp(root).enabled);
  const ksm = optional(gaps, '/sys/kernel/mm/ksm', () => readSysKsm(root, pageSizeBytes));
  if (ksm) {
    // pages_sharing counts the page-table entries pointing at a KSM page beyond the first one:
    // the copies merging avoided (Documentation/admin-guide/mm/ksm.rst).
    sys.ksm = { savedBytes: ksm.pagesSharingBytes, pagesShared: ksm.raw.pages_shared, pagesSharing: ksm.raw.pages_sharing };
  }
  const hidden = optional(gaps, '/sys', () => readHiddenMemorySources(root));
  if (hidden) {
    // One holder per driver or device, however many sysfs paths revealed it.
    const byName = new Map<string, HiddenHolder>();
    for (const h of hidden.sources) {
      const what = `${h.name} (${h.kind})`;
      const seen = byName.get(what);
      if (!seen) byName.set(what, { what, bytes: h.bytes, source: h.path, ...(h.detail?.deflateOnOom === false ? { balloonOutsideMemTotal: true } : {}) });
      else if (seen.bytes === undefined && h.bytes !== undefined) Object.assign(seen, { bytes: h.bytes, source: h.path });
    }
    sys.hidden = [...byName.values()];
  }
}
