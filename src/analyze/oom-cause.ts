import type { OomReport } from '../procfs/kmsg-oom.js';
import type { OomCandidate } from './oom.js';

/**
 * The likely cause of one OOM kill or allocation failure, in one sentence, from what the report
 * itself shows. The first rule that fits wins; each names the numbers it rests on.
 */
export type OomCauseCode =
  | 'forced' // sysrq-f / moom_callback: order=-1
  | 'fragmentation' // order > 0 failed while free memory sat in smaller blocks
  | 'huge-request' // one allocation larger than the machine's RAM
  | 'memcg-limit-one-process' // a cgroup limit, and one process held most of it
  | 'memcg-limit' // a cgroup limit reached
  | 'node-constraint' // cpuset or mempolicy nodes ran out
  | 'one-process' // global: one process held most of RAM
  | 'kernel-memory' // unreclaimable slab held much of RAM
  | 'shmem' // tmpfs / shared memory held much of RAM
  | 'no-swap' // RAM exhausted, no swap configured
  | 'swap-exhausted' // RAM and swap both exhausted
  | 'many-processes' // no single culprit
  | 'unknown';

export interface OomCause {
  code: OomCauseCode;
  sentence: string;
}

const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(0)}%`;

/** Bytes free in blocks of at least `order`, from the buddy lists ("Node 0 Normal: 12*4kB ..."). */
function freeAtOrderBytes(r: OomReport, order: number): number | undefined {
  const zones = r.memInfo?.zones;
  if (!zones?.length) return undefined;
  let sum = 0;
  for (const z of zones) z.freeBlocks.forEach((n, o) => o >= order && (sum += n * z.order0Bytes * 2 ** o));
  return sum;
}

/** Formats bytes for sentences (the CLI passes fields/units formatBytes; analyze may not import fields). */
export type BytesFormatter = (bytes: number) => string;

/** Fallback for callers without a formatter: binary MiB with one decimal. */
export const plainBytes: BytesFormatter = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function likelyCause(r: OomReport, candidates: OomCandidate[], formatBytes: BytesFormatter = plainBytes): OomCause {
  const inv = r.invoker;
  const mi = r.memInfo;
  const victim = candidates.find((c) => c.isVictim);
  // What the victim itself allocated: anon + shmem. Mapped file pages (libraries) are shared and
  // are charged to whoever faulted them in first, so they would overstate its share.
  const victimBytes = r.victim ? r.victim.anonRssBytes + (r.victim.shmemRssBytes ?? 0) : victim?.rssBytes;
  const vName = r.victim ? `${r.victim.comm} (pid ${r.victim.pid})` : 'the victim';

  if (inv.order === -1) {
    return { code: 'forced', sentence: 'The OOM killer was triggered by hand (sysrq-f, order=-1), not by a failed allocation.' };
  }
  const ram = mi?.ramBytes;
  if (inv.requestBytes !== undefined && ram !== undefined && inv.requestBytes > ram) {
    return {
      code: 'huge-request',
      sentence: `${inv.comm ?? 'A task'} asked vmalloc for ${formatBytes(inv.requestBytes)}, more than the ${formatBytes(ram)} of RAM: a bad size, not a shortage.`,
    };
  }
  if (inv.order !== undefined && inv.order > 0 && mi?.freeBytes !== undefined) {
    const atOrder = freeAtOrderBytes(r, inv.order);
    const block = 2 ** inv.order * r.pageSizeBytes;
    if (atOrder !== undefined && atOrder < 4 * block && mi.freeBytes >= 64 * block) {
      return {
        code: 'fragmentation',
        sentence: `An order-${inv.order} allocation (${formatBytes(block)} contiguous) failed while ${formatBytes(mi.freeBytes)} was free but only ${formatBytes(atOrder)} of it in blocks that large: free memory is fragmented.`,
      };
    }
  }
  if (r.constraint === 'CONSTRAINT_MEMCG') {
    const mem = r.memcg?.memory;
    const path = r.memcg?.path ?? '?';
    const lim = mem?.limitBytes;
    const base = `The memory cgroup ${path} reached its limit${lim ? ` of ${formatBytes(lim)}` : ''}${mem ? ` (usage ${formatBytes(mem.usageBytes)}, ${mem.failcnt} failed charges)` : ''}`;
    if (lim && victimBytes !== undefined && victimBytes >= 0.5 * lim) {
      return {
        code: 'memcg-limit-one-process',
        sentence: `${base}; ${vName} alone held ${formatBytes(victimBytes)} of anonymous and shared memory (${pct(victimBytes, lim)} of it): likely a leak in the victim, or a limit too small for it.`,
      };
    }
    return { code: 'memcg-limit', sentence: `${base}.` };
  }
  if (r.constraint === 'CONSTRAINT_CPUSET' || r.constraint === 'CONSTRAINT_MEMORY_POLICY') {
    const what = r.constraint === 'CONSTRAINT_CPUSET' ? `cpuset ${inv.cpuset ?? '?'} (mems ${inv.memsAllowed ?? '?'})` : `memory policy nodemask ${inv.nodemask ?? '?'}`;
    return { code: 'node-constraint', sentence: `The nodes allowed by the ${what} ran out; other NUMA nodes may still have had free memory.` };
  }
  if (ram !== undefined && victimBytes !== undefined && victimBytes >= 0.5 * ram) {
    return {
      code: 'one-process',
      sentence: `${vName} held ${formatBytes(victimBytes)} of anonymous and shared memory, ${pct(victimBytes, ram)} of ${formatBytes(ram)} RAM: likely a leak in the victim, or a job bigger than the machine.`,
    };
  }
  if (ram !== undefined && mi?.slabUnreclaimableBytes !== undefined && mi.slabUnreclaimableBytes >= 0.3 * ram) {
    return {
      code: 'kernel-memory',
      sentence: `Unreclaimable kernel slab held ${formatBytes(mi.slabUnreclaimableBytes)} (${pct(mi.slabUnreclaimableBytes, ram)} of RAM): a kernel-side leak; killing processes frees little of it.`,
    };
  }
  if (ram !== undefined && mi?.shmemBytes !== undefined && mi.shmemBytes >= 0.3 * ram) {
    return {
      code: 'shmem',
      sentence: `Shared memory and tmpfs held ${formatBytes(mi.shmemBytes)} (${pct(mi.shmemBytes, ram)} of RAM), which killing a process does not free unless it was the last user.`,
    };
  }
  const top = candidates[0];
  const share = ram !== undefined && victimBytes !== undefined ? ` (the largest, ${vName}, held ${pct(victimBytes, ram)} of RAM)` : top ? ` (the largest candidate was ${top.name})` : '';
  if (mi?.swapTotalBytes === 0) {
    return { code: 'no-swap', sentence: `RAM ran out with no swap configured: the processes together committed more anonymous memory than the machine has${share}.` };
  }
  if (mi?.swapTotalBytes !== undefined && mi.swapFreeBytes !== undefined && mi.swapFreeBytes <= 0.01 * mi.swapTotalBytes) {
    return { code: 'swap-exhausted', sentence: `RAM and all ${formatBytes(mi.swapTotalBytes)} of swap were used up${share}.` };
  }
  if (candidates.length > 1) {
    return { code: 'many-processes', sentence: `Many processes together exhausted memory${share}.` };
  }
  return { code: 'unknown', sentence: 'The report does not show enough to tell why memory ran out.' };
}
