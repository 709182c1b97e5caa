import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/fs/errors.js';
import { numberedLines, onlyLine } from '../../src/procfs/lines.js';

describe('numberedLines', () => {
  it('skips blank lines and keeps the file line numbers', () => {
    expect(numberedLines('a 1\n\n  \nb 2\n')).toEqual([
      { line: 'a 1', lineNo: 1 },
      { line: 'b 2', lineNo: 4 },
    ]);
  });

  it('skips a header when asked, numbering from the top of the file', () => {
    expect(numberedLines('Filename Type\n/dev/zram0 partition\n', 1)).toEqual([{ line: '/dev/zram0 partition', lineNo: 2 }]);
  });

  it('gives nothing for empty text', () => {
    expect(numberedLines('')).toEqual([]);
    expect(numberedLines('\n\n')).toEqual([]);
  });
});

describe('onlyLine', () => {
  it('returns the single line of a value file', () => {
    expect(onlyLine('\n536870912\n', 'memory.max', 'limit')).toEqual({ line: '536870912', lineNo: 2 });
  });

  it('names the second line when there is one', () => {
    const err = ((): unknown => {
      try {
        onlyLine('1\n\n2\n', 'memory.current', 'bytes');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).lineNo).toBe(3);
  });

  it('throws on an empty file', () => {
    expect(() => onlyLine('\n', 'memory.current', 'bytes')).toThrow(/empty file/);
  });
});
