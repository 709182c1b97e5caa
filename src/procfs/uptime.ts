import { ParseError } from '../fs/errors.js';
import { onlyLine } from './lines.js';

/**
 * /proc/uptime (fs/proc/uptime.c): seconds since boot and summed idle seconds of all CPUs.
 *
 *   2032.51 3850.07
 */
export function parseUptime(text: string, path = '/proc/uptime'): number {
  const { line, lineNo } = onlyLine(text, path, 'uptime');
  const m = /^\s*(\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?\s*$/.exec(line);
  if (!m) throw new ParseError(path, lineNo, line, 'uptime', 'expected "seconds idle-seconds"');
  return Number(m[1]);
}
