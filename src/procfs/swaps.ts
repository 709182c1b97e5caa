import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/swaps (mm/swapfile.c swap_show).
 *
 *   /dev/zram0                              partition	8388604		76		100
 *
 * A header line, then one line per active swap area: the path (seq_file_path escapes space,
 * tab, newline and backslash as \ooo octal, and a removed file ends in " (deleted)"), the type
 * (partition or file), size and used in KiB, and the priority (negative when assigned by the
 * kernel). Sizes are converted to bytes.
 */

export interface SwapArea {
  filename: string;
  type: string;
  sizeBytes: number;
  usedBytes: number;
  priority: number;
}

export interface Swaps {
  areas: SwapArea[];
  sizeBytes: number;
  usedBytes: number;
}

const HEADER = /^Filename\s+Type\s+Size\s+Used\s+Priority\s*$/;
const ROW = /^(.+?)\s+(\S+)\s+(\d+)\s+(\d+)\s+(-?\d+)\s*$/;

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseSwaps(text: string, path = '/proc/swaps'): Swaps {
  const head = text.split('\n', 1)[0];
  if (!HEADER.test(head)) throw new ParseError(path, 1, head, 'header');
  const areas: SwapArea[] = [];
  for (const { line, lineNo } of numberedLines(text, 1)) {
    const m = ROW.exec(line);
    if (!m) throw new ParseError(path, lineNo, line, 'swap area');
    areas.push({
      filename: unescapeOctal(m[1]),
      type: m[2],
      sizeBytes: Number(m[3]) * 1024,
      usedBytes: Number(m[4]) * 1024,
      priority: Number(m[5]),
    });
  }
  return {
    areas,
    sizeBytes: areas.reduce((a, s) => a + s.sizeBytes, 0),
    usedBytes: areas.reduce((a, s) => a + s.usedBytes, 0),
  };
}

export function readSwaps(root: ProcRoot): Swaps {
  return parseSwaps(root.readProc('swaps'), root.procPath('swaps'));
}
