import { describe, expect, it } from 'vitest';
import * as procfs from '../../src/procfs/index.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

/**
 * ARCHITECTURE.md: parsers throw only ParseError. Every text parser the procfs layer exports
 * gets arbitrary text here, so that a new parser is covered the day it is added. Parsers of
 * other inputs (a record of sysfs files, lines already split) are listed and covered by their
 * own tests.
 */
const NOT_TEXT = new Set([
  'parseSysVm', 'parseSysThp', 'parseSysKsm', 'parseSysHugepages', 'parseHugepagePool', 'parseOomLines',
  // (entry, path): a parsed key/value entry, not text.
  'parseSize', 'parseIntField',
  // raw /dev/kmsg records, already split.
  'parseKmsgOomRecords',
]);

const parsers = Object.entries(procfs).filter(([name, fn]) => /^parse[A-Z]/.test(name) && typeof fn === 'function' && !NOT_TEXT.has(name));

describe('every procfs text parser', () => {
  it('is found (the list is not empty by accident)', () => {
    expect(parsers.length).toBeGreaterThan(40);
  });

  it.each(parsers.map(([name, fn]) => [name, fn] as const))('%s throws only ParseError on arbitrary text', (_name, fn) => {
    throwsOnlyParseError((text) => (fn as (t: string, p: string, f: string) => unknown)(text, '/proc/x', 'field'), 150);
  });
});
