import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUptime } from '../../src/procfs/uptime.js';
import { ParseError } from '../../src/fs/errors.js';

describe('parseUptime', () => {
  it('reads the seconds since boot', () => {
    expect(parseUptime('2032.51 3850.07\n')).toBe(2032.51);
    expect(parseUptime('12 30\n')).toBe(12);
  });
  it('reads the live file', () => {
    expect(parseUptime(fs.readFileSync('/proc/uptime', 'utf8'))).toBeGreaterThan(0);
  });
  it('throws ParseError on anything else', () => {
    for (const bad of ['', 'abc def', '1.0', '1.0 2.0 3.0', '-1 2']) expect(() => parseUptime(bad)).toThrow(ParseError);
  });
});
