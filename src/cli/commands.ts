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
  { name: 'ps', summary: 'processes with VIRT, RSS, PSS, USS, swap and faults; --group program|user|cgroup|tree', load: () => import('./ps.js') },
];

export const DEFAULT_COMMAND = 'ledger';
