import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { parseSysChoice, parseSysNumber, readSysDir, type SysChoice } from './sys-dir.js';

/**
 * /sys/kernel/mm/transparent_hugepage (Documentation/admin-guide/mm/transhuge.rst).
 *
 *   enabled: always [madvise] never
 *
 * enabled, defrag and shmem_enabled print every choice with the active one in brackets;
 * use_zero_page, hpage_pmd_size (bytes, 4.11+), shrink_underused (6.12+) and khugepaged/* are
 * numbers. Since 6.8 each mTHP size has hugepages-<size>kB/enabled ("inherit" follows the
 * top-level file), 6.11+ also shmem_enabled, and 6.9+ a stats/ directory of counters. Anonymous
 * mTHP needs order >= 2, so an order-1 directory (8 KiB on x86_64) has shmem_enabled only.
 * Parsed from a map of relative path -> text, e.g. "khugepaged/pages_collapsed".
 */

export interface ThpSize {
  /** From the directory name "hugepages-64kB". */
  sizeBytes: number;
  enabled?: string;
  shmemEnabled?: string;
  /** stats/* counters (anon_fault_alloc, nr_anon, split ...), 6.9+. */
  stats: Record<string, number>;
}

export interface SysThp {
  /** "enabled": always, madvise or never. */
  enabled?: string;
  defrag?: string;
  shmemEnabled?: string;
  useZeroPage?: boolean;
  hpagePmdSizeBytes?: number;
  /** Every bracketed file, by relative path, with its options. */
  choices: Record<string, SysChoice>;
  /** khugepaged/* (pages_to_scan, scan_sleep_millisecs, pages_collapsed, full_scans, max_ptes_* ...). */
  khugepaged: Record<string, number>;
  /** mTHP sizes (6.8+), ascending. */
  sizes: ThpSize[];
  /** Top-level numeric files by name (use_zero_page, hpage_pmd_size, shrink_underused ...). */
  numbers: Record<string, number>;
}

const SIZE_DIR = /^hugepages-(\d+)kB$/;

export function parseSysThp(files: Record<string, string>, dir = '/sys/kernel/mm/transparent_hugepage'): SysThp {
  const out: SysThp = { choices: {}, khugepaged: {}, sizes: [], numbers: {} };
  const sizes = new Map<number, ThpSize>();
  for (const [rel, text] of Object.entries(files)) {
    const path = `${dir}/${rel}`;
    const parts = rel.split('/');
    const name = parts[parts.length - 1];
    const isChoice = text.includes('[');
    if (parts.length === 1) {
      if (isChoice) out.choices[rel] = parseSysChoice(text, path);
      else if (/^\s*-?\d+\s*$/.test(text)) out.numbers[rel] = parseSysNumber(text, path);
      else if (['enabled', 'defrag', 'shmem_enabled', 'use_zero_page', 'hpage_pmd_size'].includes(rel)) {
        throw new ParseError(path, 1, text.split('\n')[0] ?? '', rel);
      }
      continue;
    }
    if (parts[0] === 'khugepaged' && parts.length === 2) {
      out.khugepaged[name] = parseSysNumber(text, path);
      continue;
    }
    const m = SIZE_DIR.exec(parts[0]);
    if (!m) continue;
    const kb = Number(m[1]);
    let s = sizes.get(kb);
    if (!s) sizes.set(kb, (s = { sizeBytes: kb * 1024, stats: {} }));
    if (parts.length === 2 && (name === 'enabled' || name === 'shmem_enabled')) {
      out.choices[rel] = parseSysChoice(text, path);
      s[name === 'enabled' ? 'enabled' : 'shmemEnabled'] = out.choices[rel].selected;
    } else if (parts.length === 3 && parts[1] === 'stats') {
      s.stats[name] = parseSysNumber(text, path);
    }
  }
  out.enabled = out.choices.enabled?.selected;
  out.defrag = out.choices.defrag?.selected;
  out.shmemEnabled = out.choices.shmem_enabled?.selected;
  if (out.numbers.use_zero_page !== undefined) out.useZeroPage = out.numbers.use_zero_page !== 0;
  out.hpagePmdSizeBytes = out.numbers.hpage_pmd_size;
  out.sizes = [...sizes.values()].sort((a, b) => a.sizeBytes - b.sizeBytes);
  for (const k of ['enabled', 'defrag', 'shmemEnabled', 'useZeroPage', 'hpagePmdSizeBytes'] as const) {
    if (out[k] === undefined) delete out[k];
  }
  return out;
}

/** Reads the whole tree; absent (no CONFIG_TRANSPARENT_HUGEPAGE) throws ProcError 'absent'. */
export function readSysThp(root: ProcRoot, rel = 'kernel/mm/transparent_hugepage'): SysThp {
  const files: Record<string, string> = {};
  const add = (sub: string) => {
    for (const [name, text] of Object.entries(readSysDir(root, sub ? `${rel}/${sub}` : rel))) {
      files[sub ? `${sub}/${name}` : name] = text;
    }
  };
  add('');
  for (const entry of root.listSys(rel)) {
    if (entry === 'khugepaged') add(entry);
    else if (SIZE_DIR.test(entry)) {
      add(entry);
      if (root.existsSys(`${rel}/${entry}/stats`)) add(`${entry}/stats`);
    }
  }
  return parseSysThp(files, root.sysPath(rel));
}
