import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  parsePidCmdline,
  parsePidComm,
  parsePidLoginuid,
  parsePidOomScore,
  parsePidOomScoreAdj,
  readPidCmdline,
  readPidExe,
} from '../../src/procfs/pid-misc.js';
import { ParseError, ProcError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { parsePidStat } from '../../src/procfs/pid-stat.js';
import { findKernelThread } from '../helpers/live.js';
import { fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

describe('oom_score and oom_score_adj', () => {
  it.each(fixturesOfKind('oom_score').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    expect(parsePidOomScore(readFixture(f))).toBe(669);
  });

  it.each(fixturesOfKind('oom_score_adj').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    expect(parsePidOomScoreAdj(readFixture(f))).toBe(0);
  });

  it('accepts the ends of the range and refuses beyond', () => {
    expect(parsePidOomScoreAdj('-1000\n')).toBe(-1000);
    expect(parsePidOomScoreAdj('1000\n')).toBe(1000);
    expect(() => parsePidOomScoreAdj('1001\n')).toThrow(ParseError);
    expect(() => parsePidOomScoreAdj('-1001\n')).toThrow(ParseError);
    expect(() => parsePidOomScore('-1\n')).toThrow(ParseError);
    expect(() => parsePidOomScore('1\n2\n')).toThrow(ParseError);
  });

  it('throw only ParseError on arbitrary text', () => {
    throwsOnlyParseError(parsePidOomScore);
    throwsOnlyParseError(parsePidOomScoreAdj);
    throwsOnlyParseError(parsePidLoginuid);
  });
});

describe('parsePidCmdline', () => {
  it.each(fixturesOfKind('cmdline').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    expect(parsePidCmdline(readFixture(f))).toEqual(['python3', 'fork_share.py\b0']);
  });

  it('reads kernel threads, a missing trailing NUL and a rewritten argv', () => {
    expect(parsePidCmdline('')).toEqual([]);
    expect(parsePidCmdline('sleep\x0060')).toEqual(['sleep', '60']);
    expect(parsePidCmdline('postgres: checkpointer   ')).toEqual(['postgres: checkpointer   ']);
    expect(parsePidCmdline('a\0\0b\0')).toEqual(['a', '', 'b']);
  });

  it('round-trips any argv of strings without NUL', () => {
    const arg = fc.string().filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1 }), (argv) => {
        expect(parsePidCmdline(`${argv.join('\0')}\0`)).toEqual(argv);
      }),
    );
  });

  it('reads the argv of a live process', () => {
    expect(readPidCmdline(new ProcRoot(), process.pid)[0]).toBe(process.argv0);
  });
});

describe('parsePidComm', () => {
  it.each(fixturesOfKind('comm').map((f) => [f.rel, f] as const))('parses %s like stat', (rel, f) => {
    const stat = parsePidStat(readFixture(rel.replace(/comm$/, 'stat')));
    expect(parsePidComm(readFixture(f))).toBe(stat.comm);
  });

  it('keeps spaces and parentheses', () => {
    expect(parsePidComm('test(cmd).sh \n')).toBe('test(cmd).sh ');
    expect(() => parsePidComm('a\nb\n')).toThrow(ParseError);
    throwsOnlyParseError(parsePidComm);
  });
});

describe('parsePidLoginuid', () => {
  it('maps the unset value to undefined', () => {
    expect(parsePidLoginuid('4294967295')).toBeUndefined();
    expect(parsePidLoginuid('1000\n')).toBe(1000);
    expect(parsePidLoginuid('0')).toBe(0);
    expect(() => parsePidLoginuid('4294967296')).toThrow(ParseError);
  });

  it('reads this process\'s file', () => {
    const root = new ProcRoot();
    const text = root.readProc(`${process.pid}/loginuid`);
    const v = parsePidLoginuid(text);
    if (text.trim() === '4294967295') expect(v).toBeUndefined();
    else expect(v).toBe(Number(text));
  });
});

describe('readPidExe', () => {
  const root = new ProcRoot();

  it('gives the executable of this process', () => {
    expect(readPidExe(root, process.pid)).toBe(process.execPath);
  });

  it('gives undefined for a kernel thread', () => {
    const kthread = findKernelThread(root);
    expect(kthread).toBeDefined();
    expect(readPidExe(root, kthread!)).toBeUndefined();
  });

  it('throws vanished for a pid that does not exist', () => {
    const pid = 2 ** 22 + 1; // above PID_MAX_LIMIT on 64-bit
    expect(() => readPidExe(root, pid)).toThrow(ProcError);
    try {
      readPidExe(root, pid);
    } catch (e) {
      expect((e as ProcError).kind).toBe('vanished');
    }
  });
});
