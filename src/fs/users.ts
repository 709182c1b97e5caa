import * as fs from 'node:fs';

/**
 * uid -> user name from /etc/passwd of the machine we run on. Only meaningful for the live
 * /proc: a captured tree's uids belong to another machine, so callers pass `live`.
 * Missing or unreadable passwd -> empty map (names fall back to the numeric uid).
 */
let cache: Map<number, string> | undefined;

export function userNames(live: boolean, passwdPath = '/etc/passwd'): Map<number, string> {
  if (!live) return new Map();
  if (cache) return cache;
  cache = new Map();
  try {
    for (const line of fs.readFileSync(passwdPath, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && /^\d+$/.test(f[2]) && !cache.has(Number(f[2]))) cache.set(Number(f[2]), f[0]);
    }
  } catch {
    // No passwd (minimal containers): numeric uids are shown.
  }
  return cache;
}
