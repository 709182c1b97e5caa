import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { parseCgroupValue } from './cgroup-kv.js';
import { onlyLine } from './lines.js';
import { listSysOptional, readSysOptional, type SysGap } from './sys-optional.js';

/**
 * zram devices, /sys/block/zram<id>/ (Documentation/admin-guide/blockdev/zram.rst).
 *
 *   mm_stat:  5373952     5451    73728        0    73728     1267        0        0
 *
 * mm_stat (4.1+) columns: orig_data_size compr_data_size mem_used_total mem_limit mem_used_max
 * (bytes), same_pages (4.13+, pages), pages_compacted (pages), huge_pages (4.19+, pages),
 * huge_pages_since (5.15+, pages). mem_used_total is the RAM the device really holds (zsmalloc
 * pages incl. fragmentation), memory that no meminfo line names. The per-attribute files of
 * 3.x (mem_used_total, orig_data_size ...) were removed in 4.11; mem_used_total is read when
 * mm_stat is absent. io_stat: failed_reads failed_writes invalid_io (printed 0 since 6.x)
 * notify_free. stat is the generic block-layer stat (Documentation/block/stat.rst).
 */

export interface ZramMmStat {
  origDataSizeBytes: number;
  comprDataSizeBytes: number;
  memUsedTotalBytes: number;
  /** 0 means no limit. */
  memLimitBytes: number;
  memUsedMaxBytes: number;
  samePages?: number;
  pagesCompacted?: number;
  hugePages?: number;
  hugePagesSince?: number;
}

function columns(text: string, path: string, field: string, min: number): number[] {
  const { line, lineNo } = onlyLine(text, path, field);
  const f = line.trim().split(/\s+/);
  if (f.length < min || !f.every((x) => /^\d+$/.test(x))) throw new ParseError(path, lineNo, line, field, `expected ${min}+ unsigned integers`);
  return f.map(Number);
}

export function parseZramMmStat(text: string, path = 'mm_stat'): ZramMmStat {
  const c = columns(text, path, 'mm_stat', 5);
  return {
    origDataSizeBytes: c[0],
    comprDataSizeBytes: c[1],
    memUsedTotalBytes: c[2],
    memLimitBytes: c[3],
    memUsedMaxBytes: c[4],
    samePages: c[5],
    pagesCompacted: c[6],
    hugePages: c[7],
    hugePagesSince: c[8],
  };
}

export interface ZramIoStat {
  failedReads: number;
  failedWrites: number;
  invalidIo: number;
  notifyFree: number;
}

export function parseZramIoStat(text: string, path = 'io_stat'): ZramIoStat {
  const c = columns(text, path, 'io_stat', 4);
  return { failedReads: c[0], failedWrites: c[1], invalidIo: c[2], notifyFree: c[3] };
}

/** Block-layer stat: 11 fields (2.6), 15 with discards (4.18+), 17 with flushes (5.5+). */
export interface SysBlockStat {
  readIos: number;
  readSectors: number;
  writeIos: number;
  writeSectors: number;
  inFlight: number;
  raw: number[];
}

export function parseSysBlockStat(text: string, path = 'stat'): SysBlockStat {
  const c = columns(text, path, 'stat', 11);
  return { readIos: c[0], readSectors: c[2], writeIos: c[4], writeSectors: c[6], inFlight: c[8], raw: c };
}

export interface ZramDevice {
  name: string;
  /** Directory relative to the sys root. */
  rel: string;
  /** Configured (uncompressed) capacity; 0 for an unconfigured device. */
  disksizeBytes?: number;
  mmStat?: ZramMmStat;
  /** mem_used_total from mm_stat, or from the pre-4.11 per-attribute file. */
  memUsedTotalBytes?: number;
  ioStat?: ZramIoStat;
  stat?: SysBlockStat;
  compAlgorithm?: string;
  gaps: SysGap[];
}

/** Every /sys/block/zram* device. */
export function readZramDevices(root: ProcRoot): ZramDevice[] {
  const out: ZramDevice[] = [];
  for (const name of listSysOptional(root, 'block').filter((n) => /^zram\d+$/.test(n)).sort()) {
    const gaps: SysGap[] = [];
    const rel = `block/${name}`;
    const f = <T>(file: string, parse: (t: string, p: string) => T) => readSysOptional(root, `${rel}/${file}`, parse, gaps);
    const mmStat = f('mm_stat', parseZramMmStat);
    const memUsedTotalBytes = mmStat?.memUsedTotalBytes ?? f('mem_used_total', (t, p) => parseCgroupValue(t, p, 'mem_used_total'));
    const algo = f('comp_algorithm', (t) => /\[([^\]]+)\]/.exec(t)?.[1] ?? (t.trim() || undefined));
    out.push({
      name,
      rel,
      disksizeBytes: f('disksize', (t, p) => parseCgroupValue(t, p, 'disksize')),
      mmStat,
      memUsedTotalBytes,
      ioStat: f('io_stat', parseZramIoStat),
      stat: f('stat', parseSysBlockStat),
      compAlgorithm: algo,
      gaps,
    });
  }
  return out;
}
