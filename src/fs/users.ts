import * as fs from 'node:fs';

/**
 * uid -> user name from /etc/passwd of the machine we run on. Only meaningful for the live
 * /proc: a captured tree's uids belong to another machine, so callers pass `live`.
 * Missing or unreadable passwd -> empty map (names fall back to the numeric uid).
 */
const cache = new Map<string, Map<number, string>>();

export function userNames(live: boolean, passwdPath = '/etc/passwd'): Map<number, string> {
  if (!live) return new Map();
  const hit = cache.get(passwdPath);
  if (hit) return hit;
  const names = new Map<number, string>();
  cache.set(passwdPath, names);
  try {
    for (const line of fs.readFileSync(passwdPath, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && /^\d+$/.test(f[2]) && !names.has(Number(f[2]))) names.set(Number(f[2]), f[0]);
    }
  } catch {
    // No passwd (minimal containers): numeric uids are shown.
  }
  return names;
}
