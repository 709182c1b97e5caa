import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/[pid]/maps (Documentation/filesystems/proc.rst, "maps"; fs/proc/task_mmu.c show_map_vma).
 *
 *   55a4fcbc0000-55a4fcbc1000 r--p 00000000 fe:00 26723                      /usr/bin/python3.11
 *
 * The same line opens every VMA of /proc/[pid]/smaps and the single entry of smaps_rollup.
 * Addresses are bigint: user space on x86_64 ends at 0x7fffffffffff, but [vsyscall] sits at
 * 0xffffffffff600000 and other architectures print full 64-bit kernel addresses.
 * The kernel pads to a column before the pathname (seq_pad); kernels of the 2.4/early 2.6 era
 * print a single space (a ~2003 i386 capture does), so any run of blanks separates it.
 */

export interface MapsEntry {
  /** First address of the VMA. */
  startAddr: bigint;
  /** One past the last address of the VMA. */
  endAddr: bigint;
  /** 'rw-p': read, write, execute, then p (private, copy-on-write) or s (shared). */
  perms: string;
  /** File offset of the first page (vm_pgoff << PAGE_SHIFT), bytes. */
  offset: number;
  /** "major:minor" of the backing device, hex as printed ("fe:00"); "00:00" for anonymous memory. */
  dev: string;
  /** Inode of the backing file; 0 for anonymous memory. */
  inode: number;
  /**
   * File path or pseudo name ([heap], [stack], [vdso], [anon:name] ...); undefined when the kernel
   * prints none (anonymous memory). May contain spaces; newlines print as "\012".
   */
  pathname?: string;
  /** The file was unlinked while mapped: the kernel appends " (deleted)" (kept in `pathname`). */
  deleted: boolean;
}

const HEADER =
  /^([0-9a-fA-F]+)-([0-9a-fA-F]+)[ \t]+([r-][w-][xX-][psS-])[ \t]+([0-9a-fA-F]+)[ \t]+([0-9a-fA-F]+:[0-9a-fA-F]+)[ \t]+(\d+)(?:[ \t]+(.*))?$/;

/** Whether a line is a VMA header (as opposed to an smaps "Key: value" line). */
export function isMapsHeader(line: string): boolean {
  return /^[0-9a-fA-F]+-[0-9a-fA-F]+[ \t]/.test(line);
}

/** One VMA header line; throws ParseError when the line is not one. */
export function parseMapsLine(line: string, path: string, lineNo: number): MapsEntry {
  const m = HEADER.exec(line);
  if (!m) throw new ParseError(path, lineNo, line, 'maps entry', 'expected "start-end perms offset dev inode [path]"');
  const startAddr = BigInt(`0x${m[1]}`);
  const endAddr = BigInt(`0x${m[2]}`);
  if (endAddr < startAddr) throw new ParseError(path, lineNo, line, 'address range', 'end before start');
  const pathname = m[7] === undefined || m[7] === '' ? undefined : m[7];
  return {
    startAddr,
    endAddr,
    perms: m[3],
    offset: Number.parseInt(m[4], 16),
    dev: m[5],
    inode: Number(m[6]),
    pathname,
    deleted: pathname !== undefined && pathname.endsWith(' (deleted)'),
  };
}

export function parsePidMaps(text: string, path = '/proc/[pid]/maps'): MapsEntry[] {
  return numberedLines(text).map(({ line, lineNo }) => parseMapsLine(line, path, lineNo));
}

export function readPidMaps(root: ProcRoot, pid: number): MapsEntry[] {
  const rel = `${pid}/maps`;
  return parsePidMaps(root.readProc(rel), root.procPath(rel));
}
