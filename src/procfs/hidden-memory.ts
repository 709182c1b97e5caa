import type { ProcRoot } from '../fs/proc-root.js';
import { isProcError } from '../fs/errors.js';
import { parseCgroupValue } from './cgroup-kv.js';
import { readModules, type ModuleEntry } from './modules.js';
import { readZramDevices } from './zram.js';
import {
  VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
  VIRTIO_ID_BALLOON,
  VIRTIO_ID_MEM,
  parseHvBalloon,
  parseSysKbFile,
  parseVirtioDeviceId,
  parseVmwBalloon,
  virtioFeatureBit,
} from './balloon.js';
import { listSysOptional, readSysOptional, type SysGap } from './sys-optional.js';

/**
 * Memory that no /proc/meminfo line holds on its own: balloons (pages handed back to the
 * hypervisor; meminfo "Balloon:" only since 6.12), zram devices (their zsmalloc pages are
 * counted nowhere but in MemTotal - MemFree), zswap's pool (meminfo "Zswap:" only since 5.19),
 * and GPU drivers that pin system RAM (amdgpu GTT; i915/nouveau/nvidia allocations that show up
 * at most as unreclaimable kernel memory).
 *
 * Drivers are found three ways: /proc/modules (loadable modules; absent without CONFIG_MODULES),
 * /sys/module/<name> (loaded modules, and built-in ones that have parameters) and
 * /sys/bus/<bus>/drivers/<name> (any registered driver, built in or not).
 */

export type HiddenMemoryKind = 'balloon' | 'memory-device' | 'zram' | 'zswap' | 'gpu';

export interface HiddenMemorySource {
  kind: HiddenMemoryKind;
  /** Driver or device name: "virtio_balloon", "zram0", "zswap", "amdgpu" ... */
  name: string;
  /** The file (or directory) this was learned from, as an absolute path under the root. */
  path: string;
  /** Bytes held out of sight, where the source says; undefined when it does not. */
  bytes?: number;
  detail?: Record<string, number | string | boolean | undefined>;
}

export interface HiddenMemory {
  sources: HiddenMemorySource[];
  /** /proc/modules when readable; undefined on a kernel without loadable modules. */
  modules?: ModuleEntry[];
  gaps: SysGap[];
}

/** Driver/module names that hide memory, by kind. */
export const HIDDEN_MEMORY_DRIVERS: Record<string, HiddenMemoryKind> = {
  virtio_balloon: 'balloon',
  vmw_balloon: 'balloon',
  hv_balloon: 'balloon',
  xen_balloon: 'balloon',
  virtio_mem: 'memory-device',
  i915: 'gpu',
  xe: 'gpu',
  amdgpu: 'gpu',
  radeon: 'gpu',
  nouveau: 'gpu',
  nvidia: 'gpu',
  nvidia_uvm: 'gpu',
  vmwgfx: 'gpu',
  virtio_gpu: 'gpu',
  qxl: 'gpu',
  msm: 'gpu',
  panfrost: 'gpu',
  lima: 'gpu',
};

/** Buses whose drivers/<name> directory shows a registered driver. */
export const DRIVER_BUSES = ['virtio', 'pci', 'vmbus', 'xen', 'platform'];

function driverSources(root: ProcRoot, modules: ModuleEntry[] | undefined): HiddenMemorySource[] {
  const out: HiddenMemorySource[] = [];
  for (const m of modules ?? []) {
    const kind = HIDDEN_MEMORY_DRIVERS[m.name];
    if (kind) out.push({ kind, name: m.name, path: root.procPath('modules'), detail: { moduleSizeBytes: m.sizeBytes, refcount: m.refcount, state: m.state } });
  }
  for (const [name, kind] of Object.entries(HIDDEN_MEMORY_DRIVERS)) {
    for (const bus of DRIVER_BUSES) {
      const rel = `bus/${bus}/drivers/${name}`;
      if (root.existsSys(rel)) out.push({ kind, name, path: root.sysPath(rel), detail: { bus } });
    }
    // Only when /proc/modules did not already say so: built-in drivers with parameters show here.
    if (!modules?.some((m) => m.name === name) && root.existsSys(`module/${name}`)) {
      out.push({ kind, name, path: root.sysPath(`module/${name}`) });
    }
  }
  return out;
}

/** virtio balloon (id 5) and virtio-mem (id 24) devices, and whether a driver is bound to them. */
function virtioSources(root: ProcRoot, gaps: SysGap[]): HiddenMemorySource[] {
  const out: HiddenMemorySource[] = [];
  for (const dev of listSysOptional(root, 'bus/virtio/devices').sort()) {
    const rel = `bus/virtio/devices/${dev}/device`;
    const id = readSysOptional(root, rel, parseVirtioDeviceId, gaps);
    if (id !== VIRTIO_ID_BALLOON && id !== VIRTIO_ID_MEM) continue;
    const driver = id === VIRTIO_ID_BALLOON ? 'virtio_balloon' : 'virtio_mem';
    const bound = root.existsSys(`bus/virtio/drivers/${driver}/${dev}`);
    // The inflated size lives in the device's config space, not in sysfs: meminfo "Balloon:" (6.12+).
    const detail: HiddenMemorySource['detail'] = { device: dev, virtioId: id, bound };
    if (id === VIRTIO_ID_BALLOON) {
      const featuresRel = `bus/virtio/devices/${dev}/features`;
      detail.deflateOnOom = readSysOptional(root, featuresRel, (t, p) => virtioFeatureBit(t, VIRTIO_BALLOON_F_DEFLATE_ON_OOM, p), gaps);
    }
    out.push({ kind: id === VIRTIO_ID_BALLOON ? 'balloon' : 'memory-device', name: driver, path: root.sysPath(rel), detail });
  }
  return out;
}

function debugfsBalloons(root: ProcRoot, gaps: SysGap[]): HiddenMemorySource[] {
  const out: HiddenMemorySource[] = [];
  const vmw = readSysOptional(root, 'kernel/debug/vmmemctl', parseVmwBalloon, gaps);
  if (vmw) {
    out.push({ kind: 'balloon', name: 'vmw_balloon', path: root.sysPath('kernel/debug/vmmemctl'), bytes: vmw.currentBytes, detail: { targetBytes: vmw.targetBytes, currentPages: vmw.currentPages } });
  }
  const hv = readSysOptional(root, 'kernel/debug/hv-balloon', parseHvBalloon, gaps);
  if (hv) {
    out.push({ kind: 'balloon', name: 'hv_balloon', path: root.sysPath('kernel/debug/hv-balloon'), bytes: hv.balloonedBytes, detail: { pagesBallooned: hv.pagesBallooned, pagesAdded: hv.pagesAdded, state: hv.state } });
  }
  // Xen: info/low_kb + info/high_kb are the pages sitting in the balloon (drivers/xen/xen-balloon.c).
  const xen = 'devices/system/xen_memory/xen_memory0';
  if (root.existsSys(xen)) {
    const kb = (f: string) => readSysOptional(root, `${xen}/${f}`, parseSysKbFile, gaps);
    const low = kb('info/low_kb');
    const high = kb('info/high_kb');
    out.push({
      kind: 'balloon',
      name: 'xen_balloon',
      path: root.sysPath(`${xen}/info/current_kb`),
      bytes: low !== undefined && high !== undefined ? low + high : undefined,
      detail: { currentBytes: kb('info/current_kb'), targetBytes: kb('target_kb') },
    });
  }
  return out;
}

/** Numeric zswap debugfs counters (/sys/kernel/debug/zswap/<name>, one integer each). */
export function parseZswapCounter(text: string, path = 'zswap'): number {
  return parseCgroupValue(text, path, 'zswap counter');
}

function zswapSource(root: ProcRoot, gaps: SysGap[]): HiddenMemorySource | undefined {
  const dir = 'kernel/debug/zswap';
  const detail: Record<string, number | string | boolean | undefined> = {};
  for (const name of listSysOptional(root, dir)) detail[name] = readSysOptional(root, `${dir}/${name}`, parseZswapCounter, gaps);
  const enabled = readSysOptional(root, 'module/zswap/parameters/enabled', (t) => t.trim(), gaps);
  if (enabled === undefined && Object.keys(detail).length === 0) return undefined;
  if (enabled !== undefined) detail.enabled = enabled === 'Y' || enabled === '1';
  const pool = detail.pool_total_size;
  const path = Object.keys(detail).length > 1 || enabled === undefined ? root.sysPath(dir) : root.sysPath('module/zswap/parameters/enabled');
  return { kind: 'zswap', name: 'zswap', path, bytes: typeof pool === 'number' ? pool : undefined, detail };
}

/** amdgpu: system RAM mapped through the GART (mem_info_gtt_used, bytes; 4.10+). */
function gpuSources(root: ProcRoot, gaps: SysGap[]): HiddenMemorySource[] {
  const out: HiddenMemorySource[] = [];
  for (const card of listSysOptional(root, 'class/drm').filter((n) => /^card\d+$/.test(n))) {
    const rel = `class/drm/${card}/device/mem_info_gtt_used`;
    const gtt = readSysOptional(root, rel, (t, p) => parseCgroupValue(t, p, 'mem_info_gtt_used'), gaps);
    if (gtt !== undefined) out.push({ kind: 'gpu', name: 'amdgpu', path: root.sysPath(rel), bytes: gtt, detail: { card } });
  }
  return out;
}

/** Everything found on this root. Nothing here throws for a missing file; see `gaps`. */
export function readHiddenMemorySources(root: ProcRoot): HiddenMemory {
  const gaps: SysGap[] = [];
  let modules: ModuleEntry[] | undefined;
  try {
    modules = readModules(root);
  } catch (e) {
    if (!isProcError(e, 'absent')) throw e;
  }
  const sources: HiddenMemorySource[] = driverSources(root, modules);
  if (root.hasSys()) {
    sources.push(...virtioSources(root, gaps), ...debugfsBalloons(root, gaps));
    for (const z of readZramDevices(root)) {
      gaps.push(...z.gaps);
      sources.push({
        kind: 'zram',
        name: z.name,
        path: root.sysPath(z.mmStat ? `${z.rel}/mm_stat` : `${z.rel}/mem_used_total`),
        bytes: z.memUsedTotalBytes,
        detail: { disksizeBytes: z.disksizeBytes, origDataSizeBytes: z.mmStat?.origDataSizeBytes, comprDataSizeBytes: z.mmStat?.comprDataSizeBytes, memLimitBytes: z.mmStat?.memLimitBytes },
      });
    }
    const zswap = zswapSource(root, gaps);
    if (zswap) sources.push(zswap);
    sources.push(...gpuSources(root, gaps));
  }
  return { sources, modules, gaps };
}
