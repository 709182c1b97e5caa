import type { ProcRoot } from '../fs/proc-root.js';
import type { Capabilities } from './sample.js';

/**
 * The capabilities a probe can tell without reading a sample. Whether meminfo has "MemAvailable:"
 * is read off each sample's own meminfo (collector.ts), so the probe never reads that file twice.
 */
export type ProbedCapabilities = Omit<Capabilities, 'memAvailable'>;

const cache = new WeakMap<ProcRoot, ProbedCapabilities>();

/** What this kernel and this user let us read; probed once per root. */
export function probeCapabilities(root: ProcRoot): ProbedCapabilities {
  const hit = cache.get(root);
  if (hit) return hit;
  const root0 = root.live && process.getuid?.() === 0;
  const caps: ProbedCapabilities = {
    root: root0,
    live: root.live,
    smapsRollup: root.live ? root.existsProc('self/smaps_rollup') : anyPidHas(root, 'smaps_rollup'),
    psi: root.existsProc('pressure/memory'),
    kpageflags: root0 && root.existsProc('kpageflags'),
    sys: root.hasSys(),
    pageSizeBytes: pageSize(root),
    clockTicksPerSecond: 100,
  };
  cache.set(root, caps);
  return caps;
}

function anyPidHas(root: ProcRoot, file: string): boolean {
  try {
    return root.listProc().some((n) => /^\d+$/.test(n) && root.existsProc(`${n}/${file}`));
  } catch {
    return false;
  }
}

/** The base page size, from the first "KernelPageSize:" of our own smaps; 4096 when unknown. */
function pageSize(root: ProcRoot): number {
  if (!root.live) return 4096;
  try {
    const m = /^KernelPageSize:\s+(\d+) kB/m.exec(root.readProc('self/smaps', 1 << 20));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Fall through.
  }
  return 4096;
}
