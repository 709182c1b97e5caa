import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parsePidMaps, readPidMaps } from '../../src/procfs/pid-maps.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { LOCAL_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

describe('parsePidMaps', () => {
  const fixtures = fixturesOfKind('maps');

  it.each(fixtures.map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const text = readFixture(f);
    const maps = parsePidMaps(text, f.rel);
    expect(maps.length).toBe(text.split('\n').filter((l) => l !== '').length);
    for (const m of maps) {
      expect(m.endAddr).toBeGreaterThan(m.startAddr);
      expect(m.perms).toMatch(/^[r-][w-][x-][ps]$/);
    }
    // VMAs are printed in address order and never overlap.
    for (let i = 1; i < maps.length; i++) expect(maps[i].startAddr).toBeGreaterThanOrEqual(maps[i - 1].endAddr);
  });

  it('reads the 6.18 capture exactly', () => {
    const maps = parsePidMaps(readFixture('host-6.18-fork-share/proc/17226/maps'));
    expect(maps[0]).toEqual({
      startAddr: 0x55a4fcbc0000n,
      endAddr: 0x55a4fcbc1000n,
      perms: 'r--p',
      offset: 0,
      dev: 'fe:00',
      inode: 26723,
      pathname: '/root/.pyenv/versions/3.11.7/bin/python3.11',
      deleted: false,
    });
    expect(maps[1].offset).toBe(0x1000);
    const vsyscall = maps[maps.length - 1];
    expect(vsyscall.startAddr).toBe(0xffffffffff600000n);
    expect(vsyscall.pathname).toBe('[vsyscall]');
    expect(maps.find((m) => m.pathname === '[heap]')?.inode).toBe(0);
    expect(maps.filter((m) => m.pathname === undefined).length).toBeGreaterThan(0);
  });

  it('reads a ~2003 i386 map with one space before the path', () => {
    const maps = parsePidMaps(readFixture('prometheus-procfs/testdata/fixtures.ttar/fixtures/proc/26234/maps'));
    expect(maps[0]).toMatchObject({ startAddr: 0x08048000n, dev: '03:01', inode: 104219, pathname: '/bin/tcsh' });
    expect(maps[2].pathname).toBeUndefined();
  });

  it('keeps spaces, parentheses and " (deleted)" in pathnames', () => {
    const maps = parsePidMaps(fs.readFileSync(path.join(LOCAL_FIXTURES, 'pid-maps-named/maps'), 'utf8'));
    const spaced = maps.find((m) => m.pathname?.endsWith('/with space (1).bin'));
    expect(spaced).toMatchObject({ perms: 'rw-s', deleted: false });
    expect(maps.find((m) => m.pathname?.endsWith('/gone.bin (deleted)'))?.deleted).toBe(true);
    expect(maps.find((m) => m.pathname === '/memfd:ledger buf (deleted)')?.deleted).toBe(true);
  });

  it('reads Android [anon:...] names', () => {
    const maps = parsePidMaps(readFixture('aosp-libmeminfo/testdata1/maps_short'));
    expect(maps[0].pathname).toBe('[anon:dalvik-zygote-jit-code-cache]');
  });

  it('reads the live maps of this process', () => {
    const maps = readPidMaps(new ProcRoot(), process.pid);
    expect(maps.some((m) => m.pathname === process.execPath || m.pathname?.startsWith(fs.realpathSync(process.execPath)))).toBe(true);
  });

  it('throws ParseError on a malformed line', () => {
    expect(() => parsePidMaps('00400000-00452000 r-xp 00000000 08:02\n')).toThrow(ParseError);
    expect(() => parsePidMaps('00452000-00400000 r-xp 00000000 08:02 1 /x\n')).toThrow(ParseError);
  });

  it('throws only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidMaps);
  });

  it('round-trips generated lines', () => {
    const hex = fc.bigInt({ min: 0n, max: 2n ** 64n - 2n });
    const name = fc.option(fc.stringMatching(/^[/[][^\n]*[^\s]$/), { nil: undefined });
    fc.assert(
      fc.property(hex, fc.bigInt({ min: 1n, max: 2n ** 32n }), fc.constantFrom('r-xp', 'rw-s', '---p'), fc.nat(), name, (start, len, perms, inode, pathname) => {
        const end = start + len;
        const line = `${start.toString(16).padStart(8, '0')}-${end.toString(16)} ${perms} 00001000 fd:01 ${inode}${pathname === undefined ? ' ' : ` ${pathname}`}`;
        const [m] = parsePidMaps(`${line}\n`);
        expect(m).toEqual({ startAddr: start, endAddr: end, perms, offset: 4096, dev: 'fd:01', inode, pathname, deleted: pathname?.endsWith(' (deleted)') ?? false });
      }),
    );
  });
});
