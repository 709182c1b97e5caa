import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { parseSysNumber, readSysDir } from './sys-dir.js';

/**
 * hugetlb pools (Documentation/admin-guide/mm/hugetlbpage.rst):
 * /sys/kernel/mm/hugepages/hugepages-<size>kB/* and, per NUMA node,
 * /sys/devices/system/node/node<N>/hugepages/hugepages-<size>kB/*.
 *
 *   /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages: 2048
 *
 * Counts of huge pages: nr_hugepages (pool size), free_hugepages, resv_hugepages (promised to a
 * mapping, not yet faulted), surplus_hugepages (above nr_hugepages, from overcommit),
 * nr_overcommit_hugepages, nr_hugepages_mempolicy. Per-node directories have only nr, free and
 * surplus. demote_size ("2048kB") and demote appear for sizes that can be split (5.16+).
 * The pool holds nr_hugepages * size bytes whether or not any of it is used.
 */

const FIELDS = {
  nr_hugepages: 'nrHugepages',
  free_hugepages: 'freeHugepages',
  resv_hugepages: 'resvHugepages',
  surplus_hugepages: 'surplusHugepages',
  nr_overcommit_hugepages: 'nrOvercommitHugepages',
  nr_hugepages_mempolicy: 'nrHugepagesMempolicy',
} as const;

type Name = (typeof FIELDS)[keyof typeof FIELDS];

export type HugepagePool = { [K in Name]?: number } & {
  /** From the directory name "hugepages-2048kB". */
  pageSizeBytes: number;
  /** nr_hugepages * size. */
  poolBytes?: number;
  /** free_hugepages * size. */
  freeBytes?: number;
  /** "demote_size", 5.16+. */
  demoteSizeBytes?: number;
};

export interface NodeHugepages {
  node: number;
  pools: HugepagePool[];
}

const SIZE_DIR = /^hugepages-(\d+)kB$/;

/** One hugepages-<size>kB directory: file name -> text. */
export function parseHugepagePool(dirName: string, files: Record<string, string>, dir = dirName): HugepagePool {
  const m = SIZE_DIR.exec(dirName);
  if (!m) throw new ParseError(dir, 1, dirName, 'hugepages-<size>kB');
  const size = Number(m[1]) * 1024;
  const out: Record<string, number> = { pageSizeBytes: size };
  for (const [name, text] of Object.entries(files)) {
    const prop = (FIELDS as Record<string, string>)[name];
    if (prop) out[prop] = parseSysNumber(text, `${dir}/${name}`);
    if (name === 'demote_size') {
      const d = /^(\d+)kB$/.exec(text.trim());
      if (!d) throw new ParseError(`${dir}/${name}`, 1, text.trim(), 'demote_size', 'expected <n>kB');
      out.demoteSizeBytes = Number(d[1]) * 1024;
    }
  }
  if (out.nrHugepages !== undefined) out.poolBytes = out.nrHugepages * size;
  if (out.freeHugepages !== undefined) out.freeBytes = out.freeHugepages * size;
  return out as HugepagePool;
}

function readPools(root: ProcRoot, rel: string): HugepagePool[] {
  return root
    .listSys(rel)
    .filter((d) => SIZE_DIR.test(d))
    .map((d) => parseHugepagePool(d, readSysDir(root, `${rel}/${d}`), root.sysPath(`${rel}/${d}`)))
    .sort((a, b) => a.pageSizeBytes - b.pageSizeBytes);
}

/** Every pool size of /sys/kernel/mm/hugepages (absent without CONFIG_HUGETLBFS). */
export function readSysHugepages(root: ProcRoot, rel = 'kernel/mm/hugepages'): HugepagePool[] {
  return readPools(root, rel);
}

/** Per-node pools: node<N>/hugepages under `nodesRel` (default /sys/devices/system/node). */
export function readNodeHugepages(root: ProcRoot, nodesRel = 'devices/system/node'): NodeHugepages[] {
  const out: NodeHugepages[] = [];
  for (const d of root.listSys(nodesRel)) {
    const m = /^node(\d+)$/.exec(d);
    if (!m || !root.existsSys(`${nodesRel}/${d}/hugepages`)) continue;
    out.push({ node: Number(m[1]), pools: readPools(root, `${nodesRel}/${d}/hugepages`) });
  }
  return out.sort((a, b) => a.node - b.node);
}
