import type { Command } from 'commander';
import { ProcRoot } from '../fs/proc-root.js';
import { derive } from '../model/derive.js';
import { SWAP_SORTS, swapReport, type SwapProcRow, type SwapReport, type SwapSort } from '../analyze/swap.js';
import type { SwapArea } from '../procfs/swaps.js';
import { formatBytes, formatPercent } from '../fields/units.js';
import { parseChoiceArg, parseIntervalArg, parseLimitArg, sampleTwice } from './interval.js';
import { renderTable, type Column } from './table.js';
import { jsonText } from './json.js';

interface SwapOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  interval?: string;
  sort: string;
  limit?: string;
  bytes?: boolean;
}

export function configure(cmd: Command): void {
  cmd
    .option('--interval <seconds>', 'measure swap-in/out rates over this many seconds', '1')
    .option('--sort <field>', `rank processes by ${SWAP_SORTS.join('|')}`, 'vmswap')
    .option('--limit <n>', 'show at most n processes (default 30; totals cover all)')
    .option('--bytes', 'exact byte counts instead of human units')
    .action((opts: SwapOptions) => runSwap(opts));
}

/**
 * The first sample reads status only (VmSwap), the second also smaps_rollup (SwapPss): SwapPss
 * takes each process's mmap lock, so it is read once, at the end of the interval.
 */
export async function measureSwap(root: ProcRoot, seconds: number, sort: SwapSort): Promise<SwapReport> {
  const [prev, cur] = await sampleTwice(root, seconds, { rollup: false, oom: false }, { rollup: true, oom: false });
  return swapReport(derive(prev, cur), sort);
}

async function runSwap(opts: SwapOptions): Promise<void> {
  const seconds = parseIntervalArg(opts.interval);
  const sort = parseChoiceArg('--sort', opts.sort, SWAP_SORTS);
  const limit = parseLimitArg(opts.limit) ?? (opts.json ? undefined : 30);
  const r = await measureSwap(ProcRoot.fromOptions(opts), seconds, sort);
  const shown = limit === undefined ? r.rows : r.rows.slice(0, limit);
  if (opts.json) {
    const json = { schema: 'memledger.swap/1', sort, ...r, rows: shown, swappingCount: r.rows.length };
    process.stdout.write(jsonText(json) + '\n');
    return;
  }
  process.stdout.write(renderSwap(r, shown, opts.bytes ?? false) + '\n');
}

function renderSwap(r: SwapReport, rows: SwapProcRow[], exact: boolean): string {
  const b = (n: number | undefined) => formatBytes(n, exact);
  const lines: string[] = [];
  if (!r.swapsKnown) lines.push('Swap devices: unknown (/proc/swaps unreadable).');
  else if (r.noSwap) lines.push('No swap: /proc/swaps lists no swap device or file, so nothing can be swapped out. Anonymous memory stays in RAM until freed or OOM-killed.');
  else {
    const cols: Column<SwapArea>[] = [
      { title: 'TYPE', align: 'left', value: (a) => a.type },
      { title: 'SIZE', value: (a) => b(a.sizeBytes) },
      { title: 'USED', value: (a) => b(a.usedBytes) },
      { title: 'USE%', value: (a) => formatPercent(a.usedBytes, a.sizeBytes) },
      { title: 'PRIO', value: (a) => String(a.priority) },
      { title: 'DEVICE', align: 'left', value: (a) => a.filename },
    ];
    lines.push(renderTable(cols, r.areas));
    lines.push(`Swap used ${b(r.usedBytes)} of ${b(r.totalBytes)}; ${b(r.swapCachedBytes)} of it also in RAM (SwapCached).`);
    if (r.zswapBytes !== undefined && r.zswapBytes > 0) lines.push(`zswap holds ${b(r.zswappedBytes)} compressed into ${b(r.zswapBytes)} of RAM.`);
  }
  const over = r.intervalSeconds === undefined ? 'no measurable interval' : `${r.intervalSeconds.toFixed(2)} s`;
  if (!r.sameBoot) lines.push('The machine rebooted between the two samples: rates are unknown.');
  else if (r.intervalSeconds === undefined) lines.push('No interval between the two samples (a captured tree is one moment): rates are unknown.');
  lines.push(`Swap-in ${b(r.swapInBytesPerSecond)}/s, swap-out ${b(r.swapOutBytesPerSecond)}/s over ${over} (/proc/vmstat pswpin, pswpout).`, '');
  if (rows.length === 0) lines.push('No process has swapped-out pages.');
  else {
    const cols: Column<SwapProcRow>[] = [
      { title: 'PID', value: (x) => String(x.pid) },
      { title: 'USER', align: 'left', value: (x) => x.user ?? '?' },
      { title: 'VMSWAP', value: (x) => b(x.vmSwapBytes) },
      { title: 'SWAPPSS', value: (x) => b(x.swapPssBytes) },
      { title: 'CHANGE', value: (x) => (x.vmSwapDeltaBytes === undefined ? '?' : x.vmSwapDeltaBytes > 0 ? `+${b(x.vmSwapDeltaBytes)}` : b(x.vmSwapDeltaBytes)) },
      { title: 'COMMAND', align: 'left', value: (x) => (x.cmdline?.length ? x.cmdline.join(' ') : `[${x.comm}]`).slice(0, 80) },
    ];
    lines.push(renderTable(cols, rows));
    if (rows.length < r.rows.length) lines.push(`Showing ${rows.length} of ${r.rows.length} processes with swapped pages (--limit).`);
  }
  lines.push(
    `All processes: VmSwap ${b(r.vmSwapTotalBytes)}, SwapPss ${b(r.swapPssTotalBytes)}.`,
    'VMSWAP (/proc/<pid>/status) counts every swapped page the process maps, in full; SWAPPSS (smaps_rollup) divides a page shared by n processes by n. ' +
      'They differ for shared memory (shmem, pages shared since fork): SwapPss sums to the swap in use, VmSwap sums to more. CHANGE is VmSwap over the interval.',
  );
  if (r.unknownCount > 0) lines.push(`${r.unknownCount} process${r.unknownCount === 1 ? "'s" : "es'"} VmSwap or SwapPss could not be read (? above; totals cover the rest).`);
  return lines.join('\n');
}
