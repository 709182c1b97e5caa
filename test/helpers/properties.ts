import fc from 'fast-check';
import { ParseError } from '../../src/fs/errors.js';

/** Arbitrary text, biased toward the characters /proc files are made of. */
export function procLikeText(): fc.Arbitrary<string> {
  const token = fc.oneof(
    fc.string(),
    fc.constantFrom('kB', ':', ' ', '\t', '\n', '0', '-1', '18446744073709551615', 'MemTotal:', 'Pss:', 'Name:', '(', ')', '=', 'avg10='),
    fc.integer().map(String),
  );
  return fc.array(token, { maxLength: 60 }).map((parts) => parts.join(''));
}

/** Assert that `parse` either returns or throws ParseError, for arbitrary input. */
export function throwsOnlyParseError(parse: (text: string) => unknown, numRuns = 300): void {
  fc.assert(
    fc.property(procLikeText(), (text) => {
      try {
        parse(text);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns },
  );
}

/**
 * The lines of `text` in a random order, with some of `extraLines` (unknown keys) inserted.
 * For files whose meaning does not depend on line order.
 */
export function shuffledLines(text: string, extraLines: string[] = []): fc.Arbitrary<string> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return fc
    .tuple(fc.shuffledSubarray([...lines, ...extraLines], { minLength: lines.length + extraLines.length }), fc.subarray(extraLines))
    .map(([all]) => all.join('\n') + '\n');
}
