import * as os from 'node:os';

/**
 * /proc/[pid]/pagemap: one little-endian u64 per virtual page of the process, indexed by
 * virtual page number (Documentation/admin-guide/mm/pagemap.rst; fs/proc/task_mmu.c
 * pte_to_pagemap_entry, pagemap_pmd_range):
 *
 *   bits 0-54  PFN if present; swap type (0-4) and offset (5-54) if swapped
 *   bit  55    pte is soft-dirty
 *   bit  56    page exclusively mapped (page mapcount == 1; since 4.2)
 *   bit  57    pte is uffd-wp write-protected (since 5.13)
 *   bit  61    page is file-page or shared-anon (since 3.5)
 *   bit  62    page swapped
 *   bit  63    page present
 *
 * Since 4.0 only CAP_SYS_ADMIN may see PFNs; from 4.2 the PFN field reads as zero for others
 * (the flags stay visible), so "present with PFN 0" means "no PFN access", not frame 0.
 * A THP mapped by a PMD reports each 4 KiB subpage with its own PFN (pagemap_pmd_range), so
 * counting frames per base page is right with or without THP.
 *
 * Entries are decoded from two u32 halves: BigInt per entry would cost more than the read.
 */

/** Bits of the high u32 (bit 32 + n of the entry). */
export const PM_HI_PRESENT = 0x80000000; // bit 63
export const PM_HI_SWAP = 0x40000000; // bit 62
export const PM_HI_FILE = 0x20000000; // bit 61
export const PM_HI_EXCLUSIVE = 0x01000000; // bit 56
export const PM_HI_SOFT_DIRTY = 0x00800000; // bit 55
/** PFN bits 32-54 as they sit in the high u32. */
export const PM_HI_PFN_MASK = 0x007fffff;

export const PAGEMAP_ENTRY_BYTES = 8;

/** Index of the low / high u32 of entry i in a Uint32Array view of a pagemap buffer. */
export const LO = os.endianness() === 'LE' ? 0 : 1;
export const HI = 1 - LO;

export interface PagemapEntry {
  present: boolean;
  swapped: boolean;
  /** Page cache page or shared anonymous (shmem) page; false for private anonymous. */
  file: boolean;
  /** Mapped exactly once in the whole system (page mapcount == 1). */
  exclusive: boolean;
  softDirty: boolean;
  /** Physical frame number when present; 0 without CAP_SYS_ADMIN. */
  pfn?: number;
  /** Swap type (bits 0-4) and offset (bits 5-54) when swapped. */
  swapType?: number;
  swapOffset?: number;
}

/** Decode one entry given as its two u32 halves (tests and diagnostics; the scanner inlines this). */
export function decodePagemapEntry(lo: number, hi: number): PagemapEntry {
  const present = (hi & PM_HI_PRESENT) !== 0;
  const swapped = (hi & PM_HI_SWAP) !== 0;
  const e: PagemapEntry = {
    present,
    swapped,
    file: (hi & PM_HI_FILE) !== 0,
    exclusive: (hi & PM_HI_EXCLUSIVE) !== 0,
    softDirty: (hi & PM_HI_SOFT_DIRTY) !== 0,
  };
  const low55 = (hi & PM_HI_PFN_MASK) * 0x1_0000_0000 + (lo >>> 0);
  if (present) e.pfn = low55;
  else if (swapped) {
    e.swapType = lo & 0x1f;
    e.swapOffset = Math.floor(low55 / 32);
  }
  return e;
}

/** Split a u64 given as bigint into the two u32 halves the decoder takes. */
export function splitU64(v: bigint): { lo: number; hi: number } {
  return { lo: Number(v & 0xffffffffn), hi: Number((v >> 32n) & 0xffffffffn) };
}
