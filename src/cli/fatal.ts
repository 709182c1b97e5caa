import { CommanderError } from 'commander';
import { ParseError, ProcError } from '../fs/errors.js';
import { UsageError } from './errors.js';

/**
 * Turn anything thrown out of a command into one line on stderr and an exit code:
 * 0 for help/version, 2 for usage mistakes, 1 for everything else. Never a stack trace,
 * unless MEMLEDGER_DEBUG is set.
 */
export function reportFatal(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    process.stderr.write(`memledger: ${e.message.replace(/^error: /, '')}\n`);
    return 2;
  }
  if (process.env.MEMLEDGER_DEBUG) console.error(e);
  if (e instanceof UsageError) {
    process.stderr.write(`memledger: ${e.message}\n`);
    return 2;
  }
  if (e instanceof ProcError) {
    const why = { vanished: 'it vanished', denied: 'permission denied', absent: 'no such file', malformed: 'unexpected format', failed: 'read failed' }[e.kind];
    process.stderr.write(`memledger: cannot read ${e.path}: ${why}${e.kind === 'denied' ? ' (run as root?)' : ''}\n`);
    return 1;
  }
  if (e instanceof ParseError) {
    process.stderr.write(`memledger: ${e.message}\n`);
    return 1;
  }
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EPIPE') return 0;
  process.stderr.write(`memledger: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}
