import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/zoneinfo (mm/vmstat.c zoneinfo_show_print; Documentation/filesystems/proc.rst).
 *
 *   Node 0, zone   Normal
 *     pages free     1837497
 *           min      12380
 *           protection: (0, 0, 0, 0, 0)
 *
 * All values are pages. Per zone: free pages, the watermarks (min/low/high; boost 5.0+, promo
 * 6.1+ with memory tiering), spanned/present/managed (managed 3.7+), cma (5.x+), the
 * lowmem_reserve "protection" array, the zone's vm_stat counters, per-CPU pagesets (skipped) and
 * a tail of "key: value" lines (start_pfn, node_unreclaimable 4.8+, all_unreclaimable before).
 * Since 4.8 (node-based LRU) the first populated zone of each node also prints "per-node stats"
 * (nr_inactive_anon, nr_file_pages ...). An unpopulated zone (Movable, Device) stops after
 * "protection". The kernel prints page counts only: multiply by the page size for bytes.
 */

/** Watermark and size lines of a zone -> property (pages). */
const ZONE_PAGES = {
  boost: 'boostPages',
  min: 'minPages',
  low: 'lowPages',
  high: 'highPages',
  promo: 'promoPages',
  scanned: 'scannedPages',
  spanned: 'spannedPages',
  present: 'presentPages',
  managed: 'managedPages',
  cma: 'cmaPages',
} as const;

type ZonePageName = (typeof ZONE_PAGES)[keyof typeof ZONE_PAGES];

export type Zone = { [K in ZonePageName]?: number } & {
  node: number;
  /** "Node 0, zone   Normal" -> "Normal". */
  zone: string;
  /** "pages free". */
  freePages: number;
  /** "protection: (...)": lowmem_reserve[] in pages, one per zone type. */
  protectionPages?: number[];
  /** The zone's counters ("nr_free_pages", "nr_zone_active_anon", "numa_hit" ...). */
  stats: Record<string, number>;
  /** "start_pfn:". */
  startPfn?: number;
  /** "node_unreclaimable:" (4.8+) or "all_unreclaimable:" (before). */
  unreclaimable?: boolean;
  /** Every "key: value" tail line, as printed. */
  tail: Record<string, number>;
};

export interface ZoneinfoNode {
  node: number;
  /** "per-node stats" counters (4.8+), in pages. */
  stats: Record<string, number>;
}

export interface Zoneinfo {
  zones: Zone[];
  /** Nodes that printed a "per-node stats" block (none before 4.8). */
  nodes: ZoneinfoNode[];
}

const ZONE_HEAD = /^Node (\d+), zone\s+(\S+)\s*$/;
const KV = /^\s+([a-z_0-9]+)\s+(-?\d+)\s*$/;
const TAIL = /^ {2}([a-z_]+):\s+(-?\d+)\s*$/;

export function parseZoneinfo(text: string, path = '/proc/zoneinfo'): Zoneinfo {
  const zones: Zone[] = [];
  const nodes: ZoneinfoNode[] = [];
  let zone: (Omit<Zone, 'freePages'> & { freePages?: number; lineNo: number; line: string }) | undefined;
  let nodeStats: Record<string, number> | undefined;
  let mode: 'head' | 'node' | 'zone' | 'pagesets' = 'head';
  const finish = () => {
    if (!zone) return;
    if (zone.freePages === undefined) throw new ParseError(path, zone.lineNo, zone.line, 'pages free', 'missing');
    const { lineNo: _l, line: _t, ...z } = zone;
    zones.push(z as Zone);
  };
  for (const { line, lineNo } of numberedLines(text)) {
    const fail = (field: string): never => {
      throw new ParseError(path, lineNo, line, field);
    };
    let m = ZONE_HEAD.exec(line);
    if (m) {
      finish();
      zone = { node: Number(m[1]), zone: m[2], stats: {}, tail: {}, lineNo, line };
      mode = 'head';
      continue;
    }
    if (!zone) fail('Node N, zone NAME');
    const z = zone!;
    if (/^\s+per-node stats\s*$/.test(line)) {
      nodeStats = {};
      nodes.push({ node: z.node, stats: nodeStats });
      mode = 'node';
    } else if ((m = /^\s+pages free\s+(\d+)\s*$/.exec(line))) {
      z.freePages = Number(m[1]);
      mode = 'zone';
    } else if ((m = /^\s+protection:\s*\(([\d,\s]*)\)\s*$/.exec(line))) {
      z.protectionPages = m[1].trim() === '' ? [] : m[1].split(',').map((s) => Number(s.trim()));
    } else if (/^\s+pagesets\s*$/.test(line)) {
      mode = 'pagesets';
    } else if ((m = TAIL.exec(line))) {
      const v = Number(m[2]);
      z.tail[m[1]] = v;
      if (m[1] === 'start_pfn') z.startPfn = v;
      if (m[1] === 'node_unreclaimable' || m[1] === 'all_unreclaimable') z.unreclaimable = v !== 0;
    } else if (/^\s+-?\d+\s*$/.test(line)) {
      // A value with no name: a distro 4.x kernel (PCP meminfo-root-006) prints one for a
      // backported counter that lacks its vmstat_text entry. Nothing to key it by.
    } else if (mode === 'pagesets' && line.includes(':')) {
      // per-CPU pageset lines ("cpu: 0", "count: 5332", "vm stats threshold: 32"): not memory.
    } else if ((m = KV.exec(line))) {
      const v = Number(m[2]);
      const typed = (ZONE_PAGES as Record<string, string>)[m[1]];
      if (mode === 'node') nodeStats![m[1]] = v;
      else if (typed && mode === 'zone') (z as Record<string, unknown>)[typed] = v;
      else if (mode === 'zone') z.stats[m[1]] = v;
      else fail('pages free');
    } else fail('zone line');
  }
  finish();
  if (zones.length === 0) throw new ParseError(path, 1, text.split('\n', 1)[0], 'Node N, zone NAME', 'no zones');
  return { zones, nodes };
}

export function readZoneinfo(root: ProcRoot): Zoneinfo {
  return parseZoneinfo(root.readProc('zoneinfo'), root.procPath('zoneinfo'));
}
