import { createColors } from 'picocolors';

/**
 * Colour only on a terminal, never with NO_COLOR (https://no-color.org); FORCE_COLOR forces it.
 * picocolors' own default also colours whenever CI is set, which would put escapes into logs.
 */
export function colorWanted(env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTty && env.TERM !== 'dumb';
}

export const pc = createColors(colorWanted());
