import { afterAll, describe, expect, it } from 'vitest';
import { isProcError } from '../../src/fs/errors.js';
import { fakeProc } from '../helpers/fake-proc.js';

describe('ProcRoot size cap', () => {
  const big = 'x'.repeat(300 * 1024);
  const t = fakeProc().file('big', big).file('small', 'y'.repeat(2000)).build();
  afterAll(() => t.cleanup());

  it('reads a file larger than its first buffer whole', () => {
    expect(t.root.readProc('big')).toBe(big);
  });

  it('holds to a cap below the buffer a previous read grew', () => {
    t.root.readProc('big');
    let err: unknown;
    try {
      t.root.readProc('small', 1000);
    } catch (e) {
      err = e;
    }
    expect(isProcError(err, 'failed')).toBe(true);
    expect(t.root.readProc('small', 4096)).toHaveLength(2000);
  });

  it('holds to a cap below the first buffer in async reads', async () => {
    await expect(t.root.readProcAsync('small', 1000)).rejects.toSatisfy((e: unknown) => isProcError(e, 'failed'));
    await expect(t.root.readProcAsync('big')).resolves.toBe(big);
  });
});
