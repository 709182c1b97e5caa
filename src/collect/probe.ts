import type { ProcRoot } from '../fs/proc-root.js';
import type { Capabilities } from './sample.js';

const cache = new WeakMap<ProcRoot, Capabilities>();

/** What this kernel and this user let us read; probed once per root. */
export function probeCapabilities(root: ProcRoot): Capabilities {
  const hit = cache.get(root);
  if (hit) return hit;
  const root0 = root.live && process.getuid?.() === 0;
  let meminfo = '';
  try {
    meminfo = root.readProc('meminfo');
  } catch {
    // Reported by the meminfo reader itself.
  }
  const caps: Capabilities = {
    root: root0,
    live: root.live,
    smapsRollup: root.live ? root.existsProc('self/smaps_rollup') : anyPidHas(root, 'smaps_rollup'),
    memAvailable: /^MemAvailable:/m.test(meminfo),
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
