import type { ProcRoot } from '../fs/proc-root.js';
import { collectSample, type CollectOptions } from '../collect/collector.js';
import type { Sample } from '../collect/sample.js';
import { UsageError } from './errors.js';

/** Longest --interval accepted: a typo like "600000" should not hang a terminal for a week. */
export const MAX_INTERVAL_SECONDS = 3600;

/** `--interval SECONDS`: a positive number (fractions allowed), at most an hour. */
export function parseIntervalArg(text: string | undefined, fallback = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_INTERVAL_SECONDS) {
    throw new UsageError(`--interval takes a number of seconds above 0 and at most ${MAX_INTERVAL_SECONDS}, not '${text}'`);
  }
  return n;
}

/** `--limit N`: a positive whole number, or undefined for no limit. */
export function parseLimitArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < 1) throw new UsageError(`--limit takes a positive whole number, not '${text}'`);
  return n;
}

export function parseChoiceArg<T extends string>(option: string, text: string, choices: readonly T[]): T {
  if (!choices.includes(text as T)) throw new UsageError(`${option} takes ${choices.join('|')}, not '${text}'`);
  return text as T;
}

export const sleep = (seconds: number): Promise<void> => new Promise((r) => setTimeout(r, seconds * 1000));

/**
 * Two samples `seconds` apart. A captured tree (--proc-root) is one moment: it is read once (with
 * the second sample's options) and paired with itself, so there is no interval and every rate is
 * unknown rather than a rate over the few milliseconds between two reads of the same files.
 */
export async function sampleTwice(root: ProcRoot, seconds: number, first: CollectOptions, second: CollectOptions = first): Promise<[Sample, Sample]> {
  if (!root.live) {
    const only = collectSample(root, second);
    return [only, only];
  }
  const prev = collectSample(root, first);
  await sleep(seconds);
  return [prev, collectSample(root, second)];
}
