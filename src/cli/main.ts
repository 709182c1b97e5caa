#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { COMMANDS, DEFAULT_COMMAND } from './commands.js';
import { reportFatal } from './fatal.js';
import { checkRoots } from './roots.js';

async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  // The subcommand, if any, comes first: `memledger --proc-root X` runs the default command.
  const first = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : undefined;
  const wantsHelp = args.length > 0 && (args[0] === '-h' || args[0] === '--help' || args[0] === 'help');
  const entry = wantsHelp ? undefined : COMMANDS.find((c) => c.name === first);

  const program = new Command('memledger')
    .description('Linux memory accountant: where every kilobyte of RAM went')
    .version(process.env.npm_package_version ?? '0.1.0', '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  if (wantsHelp || (first !== undefined && !entry)) {
    for (const c of COMMANDS) program.command(c.name).description(c.summary);
    if (first !== undefined && !entry && !wantsHelp) {
      throw new CommanderError(2, 'memledger.unknownCommand', `unknown command '${first}' (try: ${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    program.outputHelp();
    return;
  }

  const chosen = entry ?? COMMANDS.find((c) => c.name === DEFAULT_COMMAND)!;
  const cmd = program.command(chosen.name, { isDefault: true }).description(chosen.summary);
  addGlobalOptions(cmd);
  (await chosen.load()).configure(cmd);
  cmd.hook('preAction', (c) => checkRoots(c.opts()));
  await program.parseAsync(entry ? argv : [...argv.slice(0, 2), chosen.name, ...args]);
}

/** Options every command accepts. */
export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .option('--proc-root <dir>', 'read a captured /proc tree instead of /proc (env MEMLEDGER_PROC_ROOT)')
    .option('--sys-root <dir>', 'read a captured /sys tree (env MEMLEDGER_SYS_ROOT); with --proc-root and without this, /sys is absent')
    .option('--json', 'print JSON instead of a table');
}

main(process.argv).catch((e) => process.exit(reportFatal(e)));
