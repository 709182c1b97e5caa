import { ParseError } from '../fs/errors.js';

/**
 * The line walk most text parsers share: split on newlines, skip blank lines (every file ends
 * in one), and keep each line's 1-based number for the ParseError that names it.
 */

export interface NumberedLine {
  line: string;
  /** 1-based, counting blank lines too: what an editor shows for the file. */
  lineNo: number;
}

/** Every non-blank line of `text` with its number; `from` skips that many leading lines (a header). */
export function numberedLines(text: string, from = 0): NumberedLine[] {
  const out: NumberedLine[] = [];
  const lines = text.split('\n');
  for (let i = from; i < lines.length; i++) {
    if (lines[i].trim() !== '') out.push({ line: lines[i], lineNo: i + 1 });
  }
  return out;
}

/** The one non-blank line of a single-line file (memory.current, zram mm_stat); throws when there is none or more. */
export function onlyLine(text: string, path: string, field: string): NumberedLine {
  const [found, extra] = numberedLines(text);
  if (extra) throw new ParseError(path, extra.lineNo, extra.line, field, 'expected a single line');
  if (!found) throw new ParseError(path, 1, '', field, 'empty file');
  return found;
}
