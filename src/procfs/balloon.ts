import { ParseError } from '../fs/errors.js';
import { type KvEntry, kvEntries } from './kv.js';

/**
 * Memory balloon status files: pages the hypervisor took back from this guest. They are gone
 * from MemTotal (or counted as used) and, before meminfo "Balloon:" (6.12+), no counter names them.
 *
 *   VMware vmw_balloon, debugfs "vmmemctl":  current               :          1024000
 *   Hyper-V hv_balloon, debugfs "hv-balloon" (5.19+): pages_ballooned       : 3276800
 *   Xen balloon, /sys/devices/system/xen_memory/xen_memory0/: target_kb, info/current_kb ...
 */

/** "key : value" lines of the two debugfs status files: the kv.ts grammar, keys padded before the colon. */
function colonLines(text: string, path: string, field: string): KvEntry[] {
  return kvEntries(text, path, field).map((e) => ({ ...e, key: e.key.trimEnd() }));
}

/** VMware balloon pages are always 4 KiB (the 2M counters count 2 MiB pages separately). */
const VMW_PAGE_BYTES = 4096;

export interface VmwBalloonStatus {
  /** Size the host asks for. */
  targetPages: number;
  /** Pages currently held in the balloon (4 KiB units). */
  currentPages: number;
  targetBytes: number;
  currentBytes: number;
  /** Every "name : number" line, first occurrence only ("target" also reappears as a call counter). */
  raw: Record<string, number>;
}

/**
 * drivers/misc/vmw_balloon.c vmballoon_debug_show. 4.20+: "current               :          1024000";
 * older: "current:            %8u pages". The first "target"/"current" lines are the balloon state;
 * a later "target (0 failed)" line counts hypervisor calls.
 */
export function parseVmwBalloon(text: string, path = '/sys/kernel/debug/vmmemctl'): VmwBalloonStatus {
  const raw: Record<string, number> = {};
  for (const e of colonLines(text, path, 'vmmemctl')) {
    const m = /^(\d+)(?:\s+pages)?(?:\s+\(\d+ failed\))?$/.exec(e.value);
    if (m && !(e.key in raw)) raw[e.key] = Number(m[1]);
  }
  const target = raw.target;
  const current = raw.current;
  if (target === undefined || current === undefined) throw new ParseError(path, 1, text.split('\n')[0] ?? '', 'target/current', 'missing');
  return { targetPages: target, currentPages: current, targetBytes: target * VMW_PAGE_BYTES, currentBytes: current * VMW_PAGE_BYTES, raw };
}

export interface HvBalloonStatus {
  pageSizeBytes: number;
  pagesBallooned: number;
  balloonedBytes: number;
  /** Memory hot-added by the host. */
  pagesAdded?: number;
  pagesOnlined?: number;
  totalPagesCommitted?: number;
  maxDynamicPageCount?: number;
  hostVersion?: string;
  capabilities?: string[];
  state?: string;
  raw: Record<string, string>;
}

/** drivers/hv/hv_balloon.c hv_balloon_debug_show (5.19+). */
export function parseHvBalloon(text: string, path = '/sys/kernel/debug/hv-balloon'): HvBalloonStatus {
  const raw: Record<string, string> = {};
  for (const e of colonLines(text, path, 'hv-balloon')) raw[e.key] = e.value;
  const num = (k: string): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new ParseError(path, 1, `${k}: ${v}`, k, 'expected an integer');
    return Number(v);
  };
  const pageSize = num('page_size');
  const pages = num('pages_ballooned');
  if (pageSize === undefined || pages === undefined) throw new ParseError(path, 1, text.split('\n')[0] ?? '', 'page_size/pages_ballooned', 'missing');
  return {
    pageSizeBytes: pageSize,
    pagesBallooned: pages,
    balloonedBytes: pages * pageSize,
    pagesAdded: num('pages_added'),
    pagesOnlined: num('pages_onlined'),
    totalPagesCommitted: num('total_pages_committed'),
    maxDynamicPageCount: num('max_dynamic_page_count'),
    hostVersion: raw.host_version,
    capabilities: raw.capabilities?.split(/\s+/).filter(Boolean),
    state: raw.state,
    raw,
  };
}

/** A sysfs "<n>" file in kB (xen_memory0/target_kb, info/current_kb, info/low_kb, info/high_kb). */
export function parseSysKbFile(text: string, path: string): number {
  const v = text.trim();
  if (!/^\d+$/.test(v)) throw new ParseError(path, 1, text.split('\n')[0] ?? '', 'kB', 'expected an integer');
  return Number(v) * 1024;
}

/** virtio device ids (include/uapi/linux/virtio_ids.h) that matter for memory. */
export const VIRTIO_ID_BALLOON = 5;
export const VIRTIO_ID_MEM = 24;

/**
 * VIRTIO_BALLOON_F_DEFLATE_ON_OOM (include/uapi/linux/virtio_balloon.h). Without it the driver
 * takes inflated pages out of MemTotal (adjust_managed_page_count in
 * drivers/virtio/virtio_balloon.c); with it they stay in MemTotal and look used.
 */
export const VIRTIO_BALLOON_F_DEFLATE_ON_OOM = 2;

/**
 * /sys/bus/virtio/devices/virtio<N>/features: one '0' or '1' per feature bit, bit 0 first
 * (drivers/virtio/virtio.c features_show). Returns whether `bit` is set.
 */
export function virtioFeatureBit(text: string, bit: number, path: string): boolean {
  const v = text.trim();
  if (!/^[01]+$/.test(v)) throw new ParseError(path, 1, v.slice(0, 80), 'features', 'expected a string of 0 and 1');
  return v[bit] === '1';
}

/** /sys/bus/virtio/devices/virtio<N>/device: "0x0005". */
export function parseVirtioDeviceId(text: string, path: string): number {
  const v = text.trim();
  if (!/^0x[0-9a-f]+$/i.test(v)) throw new ParseError(path, 1, v, 'device', 'expected 0x<hex>');
  return parseInt(v, 16);
}
