import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/slabinfo, format 2.x (mm/slab_common.c cache_show; Documentation/mm/slub.rst).
 *
 *   dentry  79149  79149  192  21  1 : tunables    0    0    0 : slabdata   3769   3769      0
 *
 * Root only (mode 0400). SLUB (the only allocator since 6.8, when SLAB was removed) prints the
 * tunables as 0 and active_slabs == num_slabs; SLAB printed real tunables, and with
 * CONFIG_DEBUG_SLAB marked the header "(statistics)" and appended ": globalstat ..." and
 * ": cpustat ..." sections, ignored here.
 * SLUB merges caches of like size and flags: one line stands for every alias (slabinfo -a).
 * kmalloc() beyond KMALLOC_MAX_CACHE_SIZE (8 KiB with 4 KiB pages) goes to the page allocator
 * and shows up in no line, so the sum is below meminfo "Slab:".
 */

export interface SlabCache {
  name: string;
  activeObjs: number;
  numObjs: number;
  /** "<objsize>": object size in bytes, without per-object metadata. */
  objSizeBytes: number;
  objPerSlab: number;
  pagesPerSlab: number;
  /** SLAB tunables (0 on SLUB). */
  limit: number;
  batchCount: number;
  sharedFactor: number;
  activeSlabs: number;
  numSlabs: number;
  sharedAvail: number;
  /** num_slabs * pagesperslab * page size: the pages the cache holds. */
  slabBytes: number;
  /** active_objs * objsize: bytes in live objects (the rest is free slots, padding, metadata). */
  activeObjectsBytes: number;
}

export interface Slabinfo {
  /** "slabinfo - version: 2.1" -> "2.1". */
  version: string;
  caches: SlabCache[];
  /** Sum of slabBytes over every cache. */
  slabBytes: number;
  /** Sum of activeObjectsBytes over every cache. */
  activeObjectsBytes: number;
  pageSizeBytes: number;
}

const HEADER = /^slabinfo - version: (2\.\d+)(?: \(statistics\))?\s*$/;
const N = '\\s+(\\d+)';
const LINE = new RegExp(
  `^(\\S(?:.*?\\S)?)${N}${N}${N}${N}${N}\\s*:\\s*tunables${N}${N}${N}\\s*:\\s*slabdata${N}${N}${N}(?:\\s*:.*)?\\s*$`,
);

export function parseSlabinfo(text: string, path = '/proc/slabinfo', pageSizeBytes = 4096): Slabinfo {
  const head = text.split('\n', 1)[0];
  const h = HEADER.exec(head);
  if (!h) throw new ParseError(path, 1, head, 'version', 'expected "slabinfo - version: 2.x"');
  const caches: SlabCache[] = [];
  let slabBytes = 0;
  let activeObjectsBytes = 0;
  for (const { line, lineNo } of numberedLines(text, 1)) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'cache');
    const n = m.slice(2, 14).map(Number);
    const c: SlabCache = {
      name: m[1],
      activeObjs: n[0],
      numObjs: n[1],
      objSizeBytes: n[2],
      objPerSlab: n[3],
      pagesPerSlab: n[4],
      limit: n[5],
      batchCount: n[6],
      sharedFactor: n[7],
      activeSlabs: n[8],
      numSlabs: n[9],
      sharedAvail: n[10],
      slabBytes: n[9] * n[4] * pageSizeBytes,
      activeObjectsBytes: n[0] * n[2],
    };
    caches.push(c);
    slabBytes += c.slabBytes;
    activeObjectsBytes += c.activeObjectsBytes;
  }
  return { version: h[1], caches, slabBytes, activeObjectsBytes, pageSizeBytes };
}

export function readSlabinfo(root: ProcRoot, pageSizeBytes = 4096): Slabinfo {
  return parseSlabinfo(root.readProc('slabinfo'), root.procPath('slabinfo'), pageSizeBytes);
}
