import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';
import { parseMeminfo, type Meminfo } from './meminfo.js';

/**
 * /sys/devices/system/node/node<N>/meminfo (drivers/base/node.c node_read_meminfo).
 *
 *   Node 0 MemTotal:       24684092 kB
 *
 * The /proc/meminfo grammar behind a "Node <N> " prefix, with the same field names where the
 * line exists in both; node-only lines: MemUsed, FilePages (and HugePages_* counts for the
 * default size). Lines without a unit (HugePages_*) are counts.
 */

export type NodeMeminfo = Meminfo & {
  node: number;
  /** "MemUsed:" (MemTotal - MemFree). */
  memUsedBytes?: number;
  /** "FilePages:" (meminfo's Cached + Buffers + SwapCached, per node). */
  filePagesBytes?: number;
};

const PREFIX = /^Node (\d+) (.*)$/;

export function parseNodeMeminfo(text: string, path = '/sys/devices/system/node/node0/meminfo'): NodeMeminfo {
  let node: number | undefined;
  const body: string[] = [];
  for (const { line, lineNo } of numberedLines(text.replace(/\0+$/, ''))) {
    const m = PREFIX.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'Node N');
    const n = Number(m[1]);
    if (node !== undefined && n !== node) throw new ParseError(path, lineNo, line, 'Node N', `node ${n} after node ${node}`);
    node = n;
    body.push(m[2]);
  }
  if (node === undefined) throw new ParseError(path, 1, text.split('\n', 1)[0], 'Node N', 'empty');
  const m = parseMeminfo(body.join('\n') + '\n', path) as NodeMeminfo;
  m.node = node;
  if (m.raw.MemUsed !== undefined) m.memUsedBytes = m.raw.MemUsed;
  if (m.raw.FilePages !== undefined) m.filePagesBytes = m.raw.FilePages;
  return m;
}

/** Node numbers under /sys/devices/system/node (node0, node1 ...), ascending. */
export function listNodes(root: ProcRoot): number[] {
  return root
    .listSys('devices/system/node')
    .flatMap((d) => {
      const m = /^node(\d+)$/.exec(d);
      return m ? [Number(m[1])] : [];
    })
    .sort((a, b) => a - b);
}

export function readNodeMeminfo(root: ProcRoot, node: number): NodeMeminfo {
  const rel = `devices/system/node/node${node}/meminfo`;
  return parseNodeMeminfo(root.readSys(rel), root.sysPath(rel));
}
