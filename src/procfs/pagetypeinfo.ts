import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/pagetypeinfo (mm/vmstat.c pagetypeinfo_show; root only since 5.4).
 *
 *   Node    0, zone   Normal, type      Movable      0      1      0      1      1 ...
 *
 * Three sections: "Page block order:" / "Pages per block:", free blocks per order for each
 * migrate type, then "Number of blocks type" (pageblocks per migrate type). With
 * CONFIG_PAGE_OWNER a "Number of mixed blocks" table follows in the same layout. Since 5.4
 * a free count stops at 100000 and prints ">100000" (zone->lock hold time): such orders are
 * listed in `cappedOrders` and hold the lower bound.
 */

export interface PagetypeFree {
  node: number;
  zone: string;
  /** Migrate type: Unmovable, Movable, Reclaimable, HighAtomic, CMA, Isolate (Reserve before 4.4). */
  type: string;
  /** Free blocks per order (index k: blocks of 2^k pages). */
  freeBlocks: number[];
  /** Orders printed as ">100000". */
  cappedOrders: number[];
}

export interface PagetypeBlocks {
  node: number;
  zone: string;
  /** Pageblocks per migrate type. */
  blocks: Record<string, number>;
}

export interface Pagetypeinfo {
  pageBlockOrder: number;
  pagesPerBlock: number;
  free: PagetypeFree[];
  blocks: PagetypeBlocks[];
  /** "Number of mixed blocks" (CONFIG_PAGE_OWNER), undefined without it. */
  mixedBlocks?: PagetypeBlocks[];
}

const FREE = /^Node\s+(\d+), zone\s+(\S+), type\s+(\S+)((?:\s+>?\d+)+)\s*$/;
const BLOCKS = /^Node\s+(\d+), zone\s+(\S+)((?:\s+\d+)+)\s*$/;

export function parsePagetypeinfo(text: string, path = '/proc/pagetypeinfo'): Pagetypeinfo {
  let pageBlockOrder: number | undefined;
  let pagesPerBlock: number | undefined;
  const free: PagetypeFree[] = [];
  const blocks: PagetypeBlocks[] = [];
  let mixed: PagetypeBlocks[] | undefined;
  let table: PagetypeBlocks[] | undefined;
  let types: string[] = [];
  for (const { line, lineNo } of numberedLines(text)) {
    const fail = (field: string, detail?: string): never => {
      throw new ParseError(path, lineNo, line, field, detail);
    };
    let m: RegExpExecArray | null;
    if ((m = /^Page block order:\s*(\d+)\s*$/.exec(line))) pageBlockOrder = Number(m[1]);
    else if ((m = /^Pages per block:\s*(\d+)\s*$/.exec(line))) pagesPerBlock = Number(m[1]);
    else if (/^Free pages count per migrate type at order/.test(line)) table = undefined;
    else if ((m = /^Number of (blocks type|mixed blocks)((?:\s+\S+)+)\s*$/.exec(line))) {
      types = m[2].trim().split(/\s+/);
      if (m[1] === 'blocks type') table = blocks;
      else table = mixed = [];
    } else if (!table && (m = FREE.exec(line))) {
      const cells = m[4].trim().split(/\s+/);
      free.push({
        node: Number(m[1]),
        zone: m[2],
        type: m[3],
        freeBlocks: cells.map((c) => Number(c.replace('>', ''))),
        cappedOrders: cells.flatMap((c, k) => (c.startsWith('>') ? [k] : [])),
      });
    } else if (table && (m = BLOCKS.exec(line))) {
      const counts = m[3].trim().split(/\s+/).map(Number);
      if (counts.length !== types.length) fail('blocks', `${counts.length} counts for ${types.length} types`);
      const b: Record<string, number> = {};
      types.forEach((t, k) => (b[t] = counts[k]));
      table.push({ node: Number(m[1]), zone: m[2], blocks: b });
    } else fail('pagetypeinfo line');
  }
  if (pageBlockOrder === undefined || pagesPerBlock === undefined) {
    throw new ParseError(path, 1, text.split('\n', 1)[0], 'Page block order', 'missing');
  }
  return { pageBlockOrder, pagesPerBlock, free, blocks, ...(mixed ? { mixedBlocks: mixed } : {}) };
}

export function readPagetypeinfo(root: ProcRoot): Pagetypeinfo {
  return parsePagetypeinfo(root.readProc('pagetypeinfo'), root.procPath('pagetypeinfo'));
}
