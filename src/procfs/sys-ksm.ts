import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { parseSysChoice, readSysDir, type SysChoice } from './sys-dir.js';

/**
 * /sys/kernel/mm/ksm/* (Documentation/admin-guide/mm/ksm.rst), one value per file.
 *
 *   pages_sharing: 255
 *
 * pages_shared: KSM pages in use (one physical copy each); pages_sharing: further mappings of
 * them (what KSM saves); pages_unshared/pages_volatile: scanned but not merged. Page counts are
 * converted to bytes with `pageSizeBytes`. Newer files: max_page_sharing and stable_node_* (4.13+),
 * use_zero_pages (4.11+), general_profit (6.6+, bytes, may be negative), ksm_zero_pages (6.x:
 * empty pages merged with the zero page), pages_scanned/pages_skipped/smart_scan (6.7+),
 * advisor_* (6.9+, advisor_mode is a bracketed choice).
 */

const PAGE_FIELDS = {
  pages_shared: 'pagesSharedBytes',
  pages_sharing: 'pagesSharingBytes',
  pages_unshared: 'pagesUnsharedBytes',
  pages_volatile: 'pagesVolatileBytes',
  ksm_zero_pages: 'ksmZeroPagesBytes',
} as const;

const COUNT_FIELDS = {
  run: 'run', // 0 stopped, 1 running, 2 unmerge all
  full_scans: 'fullScans',
  pages_to_scan: 'pagesToScan',
  sleep_millisecs: 'sleepMs',
  merge_across_nodes: 'mergeAcrossNodes',
  max_page_sharing: 'maxPageSharing',
  use_zero_pages: 'useZeroPages',
  stable_node_chains: 'stableNodeChains',
  stable_node_dups: 'stableNodeDups',
  pages_scanned: 'pagesScanned',
  pages_skipped: 'pagesSkipped',
  general_profit: 'generalProfitBytes',
} as const;

type Name = (typeof PAGE_FIELDS)[keyof typeof PAGE_FIELDS] | (typeof COUNT_FIELDS)[keyof typeof COUNT_FIELDS];

export type SysKsm = { [K in Name]?: number } & {
  /** Every numeric file by name, as printed (pages where the file counts pages). */
  raw: Record<string, number>;
  /** Bracketed files (advisor_mode). */
  choices: Record<string, SysChoice>;
  pageSizeBytes: number;
};

export function parseSysKsm(files: Record<string, string>, dir = '/sys/kernel/mm/ksm', pageSizeBytes = 4096): SysKsm {
  const out: Record<string, unknown> = { raw: {}, choices: {}, pageSizeBytes };
  const raw = out.raw as Record<string, number>;
  const choices = out.choices as Record<string, SysChoice>;
  for (const [name, text] of Object.entries(files)) {
    const t = text.replace(/\0+$/, '').trim();
    if (t.includes('[')) {
      choices[name] = parseSysChoice(t, `${dir}/${name}`);
      continue;
    }
    const known = name in PAGE_FIELDS || name in COUNT_FIELDS;
    if (!/^-?\d+$/.test(t)) {
      if (known) throw new ParseError(`${dir}/${name}`, 1, text.split('\n')[0] ?? '', name, 'expected an integer');
      continue;
    }
    const v = Number(t);
    raw[name] = v;
    const p = (PAGE_FIELDS as Record<string, string>)[name];
    if (p) out[p] = v * pageSizeBytes;
    const c = (COUNT_FIELDS as Record<string, string>)[name];
    if (c) out[c] = v;
  }
  return out as SysKsm;
}

/** Absent without CONFIG_KSM (ProcError 'absent'). */
export function readSysKsm(root: ProcRoot, pageSizeBytes = 4096, rel = 'kernel/mm/ksm'): SysKsm {
  return parseSysKsm(readSysDir(root, rel), root.sysPath(rel), pageSizeBytes);
}
