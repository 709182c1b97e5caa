import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/buddyinfo (mm/vmstat.c frag_show_print; Documentation/filesystems/proc.rst).
 *
 *   Node 0, zone   Normal    449     98      1      1     81     95     69    290    342    241   1543
 *
 * Free blocks of each order (a block of order k is 2^k pages) per zone, orders 0 to
 * MAX_PAGE_ORDER (10 on x86_64; more on arm64 with 64 KiB pages or CONFIG_ARCH_FORCE_MAX_ORDER).
 * Some kernels end each line with a space.
 */

export interface BuddyZone {
  node: number;
  zone: string;
  /** Free blocks per order: index k counts blocks of 2^k pages. */
  freeBlocks: number[];
  /** Sum of freeBlocks[k] * 2^k: free pages in the zone. */
  freePages: number;
  freeBytes: number;
}

export interface Buddyinfo {
  zones: BuddyZone[];
  pageSizeBytes: number;
}

const LINE = /^Node (\d+), zone\s+(\S+)((?:\s+\d+)+)\s*$/;

export function parseBuddyinfo(text: string, path = '/proc/buddyinfo', pageSizeBytes = 4096): Buddyinfo {
  const zones = numberedLines(text).map(({ line, lineNo }): BuddyZone => {
    const m = LINE.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'Node N, zone NAME counts');
    const freeBlocks = m[3].trim().split(/\s+/).map(Number);
    const freePages = freeBlocks.reduce((a, n, k) => a + n * 2 ** k, 0);
    return { node: Number(m[1]), zone: m[2], freeBlocks, freePages, freeBytes: freePages * pageSizeBytes };
  });
  if (zones.length === 0) throw new ParseError(path, 1, text.split('\n', 1)[0], 'Node N, zone NAME counts', 'empty');
  return { zones, pageSizeBytes };
}

export function readBuddyinfo(root: ProcRoot, pageSizeBytes = 4096): Buddyinfo {
  return parseBuddyinfo(root.readProc('buddyinfo'), root.procPath('buddyinfo'), pageSizeBytes);
}
