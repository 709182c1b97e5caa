import { isProcError } from '../fs/errors.js';
import type { ProcRoot } from '../fs/proc-root.js';
import { collectSample } from '../collect/collector.js';
import { readMemoryHierarchies, walkCgroupTree, type CgroupMount } from '../procfs/cgroup-tree.js';
import { parseCgroupV1Limit, readCgroupV1Memory } from '../procfs/cgroup-v1.js';
import { parseCgroupV2Limit, readCgroupV2Memory } from '../procfs/cgroup-v2.js';
import { readPressureMemory, type Pressure } from '../procfs/pressure.js';
import { rankNextVictims, rankNextVictimsByMemcg, type LimitedMemcg, type MemcgNext, type NextVictim } from '../analyze/oom-next.js';

/** The "now" part of `memledger oom`: who dies next, limited memory cgroups, and PSI. */
export interface OomNow {
  /** Killable processes by /proc/PID/oom_score. */
  next: NextVictim[];
  memcgs: MemcgNext[];
  /** /proc/pressure/memory (undefined: no PSI on this kernel, or psi=0). */
  pressure?: Pressure;
  /** Why a section is empty or partial. */
  notes: string[];
}

const optional = <T>(notes: string[], what: string, f: () => T): T | undefined => {
  try {
    return f();
  } catch (e) {
    if (isProcError(e)) {
      if (e.kind !== 'absent') notes.push(`${what}: ${e.kind}`);
      return undefined;
    }
    throw e;
  }
};

function hierarchyPath(m: CgroupMount, inside: string): string {
  const r = m.root === '/' ? '' : m.root.replace(/\/+$/, '');
  return inside === '/' ? r || '/' : `${r}${inside}`;
}

/**
 * Memory cgroups with a hard or high limit below "max". v1: memory.limit_in_bytes (read first,
 * cheap; the rest only for limited cgroups). v2: memory.max or memory.high.
 */
export function readLimitedMemcgs(root: ProcRoot, notes: string[]): LimitedMemcg[] {
  if (!root.hasSys()) return [];
  const h = optional(notes, 'cgroup mounts', () => readMemoryHierarchies(root));
  if (!h) return [];
  const out: LimitedMemcg[] = [];
  const v1 = h.v1Memory.find((m) => m.sysRel !== undefined);
  if (v1 && !h.memoryOnV2) {
    for (const dir of optional(notes, 'cgroup v1 memory tree', () => walkCgroupTree(root, v1.sysRel!)) ?? []) {
      const limit = optional(notes, `${dir.rel}/memory.limit_in_bytes`, () => parseCgroupV1Limit(root.readSys(`${dir.rel}/memory.limit_in_bytes`)));
      if (limit === undefined || !Number.isFinite(limit)) continue;
      const m = readCgroupV1Memory(root, dir.rel);
      const c: LimitedMemcg = { hierarchy: 'v1', path: hierarchyPath(v1, dir.path), limitBytes: limit };
      if (m.memory.usageBytes !== undefined) c.usageBytes = m.memory.usageBytes;
      if (m.memory.failcnt !== undefined) c.failcnt = m.memory.failcnt;
      if (m.memsw.limitBytes !== undefined && Number.isFinite(m.memsw.limitBytes)) c.swapLimitBytes = m.memsw.limitBytes;
      if (m.oomControl?.oomKill !== undefined) c.oomKillEvents = m.oomControl.oomKill;
      if (m.oomControl) c.underOom = m.oomControl.underOom;
      out.push(c);
    }
  }
  const v2 = h.v2.find((m) => m.sysRel !== undefined);
  if (v2 && h.memoryOnV2) {
    for (const dir of optional(notes, 'cgroup v2 tree', () => walkCgroupTree(root, v2.sysRel!)) ?? []) {
      if (dir.depth === 0) continue; // the root has no memory.max
      const max = optional(notes, `${dir.rel}/memory.max`, () => parseCgroupV2Limit(root.readSys(`${dir.rel}/memory.max`)));
      const high = optional(notes, `${dir.rel}/memory.high`, () => parseCgroupV2Limit(root.readSys(`${dir.rel}/memory.high`)));
      const limited = (x: number | undefined) => x !== undefined && Number.isFinite(x);
      if (!limited(max) && !limited(high)) continue;
      const m = readCgroupV2Memory(root, dir.rel);
      const c: LimitedMemcg = { hierarchy: 'v2', path: hierarchyPath(v2, dir.path) };
      if (limited(max)) c.limitBytes = max;
      if (limited(high)) c.highBytes = high;
      if (m.swapMaxBytes !== undefined && Number.isFinite(m.swapMaxBytes)) c.swapLimitBytes = m.swapMaxBytes;
      if (m.memoryCurrentBytes !== undefined) c.usageBytes = m.memoryCurrentBytes;
      if (m.events?.oom !== undefined) c.oomEvents = m.events.oom;
      if (m.events?.oomKill !== undefined) c.oomKillEvents = m.events.oomKill;
      if (m.pressure) c.pressure = m.pressure;
      out.push(c);
    }
  }
  return out;
}

export function readOomNow(root: ProcRoot): OomNow {
  const notes: string[] = [];
  const sample = collectSample(root, { rollup: false, oom: true });
  const memcgs = readLimitedMemcgs(root, notes);
  const pressure = optional(notes, '/proc/pressure/memory', () => readPressureMemory(root));
  if (!pressure) notes.push('no /proc/pressure/memory: kernel before 4.20, CONFIG_PSI off, or booted with psi=0');
  return { next: rankNextVictims(sample), memcgs: rankNextVictimsByMemcg(sample, memcgs), pressure, notes };
}
