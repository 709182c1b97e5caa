import { describe, expect, it } from 'vitest';
import { colorWanted } from '../../src/cli/color.js';

describe('colorWanted', () => {
  it('colours a terminal only', () => {
    expect(colorWanted({}, true)).toBe(true);
    expect(colorWanted({}, false)).toBe(false);
  });
  it('never colours with NO_COLOR, even on a terminal', () => {
    expect(colorWanted({ NO_COLOR: '1' }, true)).toBe(false);
  });
  it('does not colour a pipe just because CI is set', () => {
    expect(colorWanted({ CI: 'true' }, false)).toBe(false);
  });
  it('honours FORCE_COLOR and TERM=dumb', () => {
    expect(colorWanted({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorWanted({ TERM: 'dumb' }, true)).toBe(false);
  });
});
