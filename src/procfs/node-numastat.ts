import type { ProcRoot } from '../fs/proc-root.js';
import { nameValueLines } from './vmstat.js';

/**
 * /sys/devices/system/node/node<N>/numastat (drivers/base/node.c node_read_numastat;
 * Documentation/admin-guide/numastat.rst).
 *
 *   numa_hit 16195666588
 *
 * Page allocation counters since boot: numa_hit (allocated here as intended), numa_miss
 * (allocated here, meant for another node), numa_foreign (meant for here, allocated elsewhere),
 * interleave_hit, local_node, other_node (allocating task ran here / elsewhere).
 */

export interface NodeNumastat {
  numaHitPages?: number;
  numaMissPages?: number;
  numaForeignPages?: number;
  interleaveHitPages?: number;
  localNodePages?: number;
  otherNodePages?: number;
  /** Every line as printed. */
  raw: Record<string, number>;
}

const FIELDS: Record<string, keyof NodeNumastat> = {
  numa_hit: 'numaHitPages',
  numa_miss: 'numaMissPages',
  numa_foreign: 'numaForeignPages',
  interleave_hit: 'interleaveHitPages',
  local_node: 'localNodePages',
  other_node: 'otherNodePages',
};

export function parseNodeNumastat(text: string, path = '/sys/devices/system/node/node0/numastat'): NodeNumastat {
  const raw = nameValueLines(text.replace(/\0+$/, ''), path).values;
  const out: Record<string, unknown> = { raw };
  for (const [k, v] of Object.entries(raw)) if (FIELDS[k]) out[FIELDS[k]] = v;
  return out as unknown as NodeNumastat;
}

export function readNodeNumastat(root: ProcRoot, node: number): NodeNumastat {
  const rel = `devices/system/node/node${node}/numastat`;
  return parseNodeNumastat(root.readSys(rel), root.sysPath(rel));
}
