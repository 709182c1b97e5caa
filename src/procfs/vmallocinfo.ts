import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/vmallocinfo (mm/vmalloc.c vmalloc_info_show / s_show; root only).
 *
 *   0x00000000d6fa4ca4-0x00000000b945a351   20480 kernel_clone+0x94/0x3e0 pages=4 vmalloc N0=4
 *
 * Per line: the range, its size in bytes (includes the guard page unless VM_NO_GUARD), the
 * caller (%pS, "sym+off/len [module]"), then "pages=N" (pages vmalloc allocated for the area),
 * "phys=ADDR" (ioremap), the flags ioremap, sparse, vmalloc, vmap, user, dma-coherent, "vpages"
 * (the page array itself was vmalloc'ed) and, with NUMA, "N<node>=<pages>". Lazily freed areas
 * print "unpurged vm_area" (pages already freed); vmap blocks "vm_map_ram".
 *
 * Only `pages=` holds RAM: vmap maps pages owned by someone else and ioremap maps device memory,
 * so their size is address space, not memory. Addresses go through %pK: all zeros under
 * kptr_restrict=2 or without CAP_SYSLOG, hashed values otherwise (4.15+): never subtract them.
 */

export type VmallocKind = 'vmalloc' | 'vmap' | 'ioremap' | 'user' | 'vm_map_ram' | 'unpurged' | 'other';

export interface VmallocArea {
  /** Start and end of the range as printed (hex text; zeros or hashes, see above). */
  startAddr: string;
  endAddr: string;
  /** The printed size: virtual address space, including the guard page. */
  sizeBytes: number;
  /** "%pS" caller as printed, with the module in brackets when there is one; undefined if none. */
  caller?: string;
  /** The caller's symbol without "+off/len" and module: the grouping key. */
  callerSymbol?: string;
  module?: string;
  /** "pages=N". */
  pages?: number;
  /** "phys=ADDR" (hex text). */
  phys?: string;
  /** Flag words in print order: ioremap, vmalloc, vmap, user, vpages, unpurged ... */
  flags: string[];
  kind: VmallocKind;
  /** "N<node>=<pages>" (CONFIG_NUMA). */
  nodePages?: Record<number, number>;
  /** pages * page size: RAM held by this area (0 when there is no "pages="). */
  ramBytes: number;
}

export interface VmallocTotals {
  count: number;
  sizeBytes: number;
  ramBytes: number;
}

export interface Vmallocinfo {
  areas: VmallocArea[];
  /** Every printed address was zero (kptr_restrict): ranges carry no information. */
  addressesHidden: boolean;
  byKind: Record<string, VmallocTotals>;
  /** Keyed by callerSymbol ("(none)" when the line has no caller). */
  byCaller: Record<string, VmallocTotals>;
  /** Sum of ramBytes: what vmalloc allocations hold (compare meminfo "VmallocUsed:", 5.3+). */
  ramBytes: number;
  pageSizeBytes: number;
}

const FLAGS = new Set(['ioremap', 'sparse', 'vmalloc', 'vmap', 'user', 'dma-coherent', 'vpages', 'unpurged', 'vm_area', 'vm_map_ram']);
const KIND_ORDER: VmallocKind[] = ['unpurged', 'vm_map_ram', 'ioremap', 'vmalloc', 'vmap', 'user'];
const HEAD = /^(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\s+(\d+)(?:\s+(.*?))?\s*$/;

function addTo(map: Record<string, VmallocTotals>, key: string, a: VmallocArea): void {
  const t = (map[key] ??= { count: 0, sizeBytes: 0, ramBytes: 0 });
  t.count++;
  t.sizeBytes += a.sizeBytes;
  t.ramBytes += a.ramBytes;
}

export function parseVmallocinfo(text: string, path = '/proc/vmallocinfo', pageSizeBytes = 4096): Vmallocinfo {
  const areas: VmallocArea[] = [];
  const byKind: Record<string, VmallocTotals> = {};
  const byCaller: Record<string, VmallocTotals> = {};
  let ramBytes = 0;
  let hidden = true;
  for (const { line, lineNo } of numberedLines(text)) {
    const m = HEAD.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'range');
    const a: VmallocArea = { startAddr: m[1], endAddr: m[2], sizeBytes: Number(m[3]), flags: [], kind: 'other', ramBytes: 0 };
    if (!/^0x0+$/.test(m[1]) || !/^0x0+$/.test(m[2])) hidden = false;
    const tokens = m[4] ? m[4].split(/\s+/) : [];
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t];
      let kv: RegExpExecArray | null;
      if ((kv = /^pages=(\d+)$/.exec(tok))) a.pages = Number(kv[1]);
      else if ((kv = /^phys=(\S+)$/.exec(tok))) a.phys = kv[1];
      else if ((kv = /^N(\d+)=(\d+)$/.exec(tok))) (a.nodePages ??= {})[Number(kv[1])] = Number(kv[2]);
      else if (FLAGS.has(tok)) a.flags.push(tok);
      else if (t === 0 && !tok.includes('=')) {
        a.caller = tok;
        a.callerSymbol = tok.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, '');
        const mod = /^\[(\S+)\]$/.exec(tokens[t + 1] ?? '');
        if (mod) {
          a.module = mod[1];
          a.caller += ` ${tokens[t + 1]}`;
          t++;
        }
      } else a.flags.push(tok); // a flag word newer than this parser
    }
    a.kind = KIND_ORDER.find((k) => a.flags.includes(k)) ?? 'other';
    a.ramBytes = (a.pages ?? 0) * pageSizeBytes;
    ramBytes += a.ramBytes;
    areas.push(a);
    addTo(byKind, a.kind, a);
    addTo(byCaller, a.callerSymbol ?? '(none)', a);
  }
  return { areas, addressesHidden: areas.length > 0 && hidden, byKind, byCaller, ramBytes, pageSizeBytes };
}

export function readVmallocinfo(root: ProcRoot, pageSizeBytes = 4096): Vmallocinfo {
  return parseVmallocinfo(root.readProc('vmallocinfo'), root.procPath('vmallocinfo'), pageSizeBytes);
}
