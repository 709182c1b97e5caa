import type { Command } from 'commander';

/**
 * Every subcommand, loaded only when it runs: `memledger ps` never pays for the dashboard's
 * or the store's imports. Each module exports `configure(cmd)`, which adds its options and
 * action to a command that already carries the global options.
 */
export interface CommandModule {
  configure(cmd: Command): void;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'ledger', summary: 'where every kilobyte of RAM went, with findings (default)', load: () => import('./ledger.js') },
  { name: 'capture', summary: 'copy the /proc and /sys files memledger reads into a directory, for --proc-root', load: () => import('./capture.js') },
  { name: 'ps', summary: 'processes with VIRT, RSS, PSS, USS, swap and faults; --group program|user|cgroup|tree', load: () => import('./ps.js') },
  { name: 'commit', summary: 'overcommit policy, commit charge per process, and whether a fork (--fork PID) or allocation (--alloc SIZE) would fail', load: () => import('./commit.js') },
  { name: 'oom', summary: 'OOM kills from the kernel log (--from FILE, --follow), who would die next (--next), memory pressure', load: () => import('./oom.js') },
  { name: 'share', summary: 'exact sharing and copy-on-write in a fork family or any set of processes, from page frames (--tree PID, --pids, --group)', load: () => import('./share.js') },
  { name: 'faults', summary: 'minor and major page faults per second, per process and system-wide (--interval, --sort)', load: () => import('./faults.js') },
  { name: 'reclaim', summary: 'page reclaim over an interval: kswapd vs direct vs cgroup limits, efficiency, stalls, refaults, per memory cgroup', load: () => import('./reclaim.js') },
  { name: 'swap', summary: 'swap devices, swap per process (VmSwap and SwapPss), swap-in/out rates', load: () => import('./swap.js') },
];

export const DEFAULT_COMMAND = 'ledger';
