import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSysKsm, readSysKsm } from '../../src/procfs/sys-ksm.js';
import { ParseError } from '../../src/fs/errors.js';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { SHARED_FIXTURES, fixturesOfKind, readFixture } from '../helpers/fixtures.js';
import { throwsOnlyParseError } from '../helpers/properties.js';

const sysOf = (rel: string) => new ProcRoot({ procDir: '/nonexistent', sysDir: `${SHARED_FIXTURES}/${rel}` });
/** The /sys directories that hold the ksm fixtures. */
const dirs = [...new Set(fixturesOfKind('ksm').map((f) => f.rel.replace(/\/kernel\/mm\/ksm\/[^/]+$/, '')))];

describe('sys-ksm', () => {
  it.each(fixturesOfKind('ksm').map((f) => [f.rel, f] as const))('parses %s', (_rel, f) => {
    const name = path.basename(f.rel);
    const k = parseSysKsm({ [name]: readFixture(f) });
    expect(k.raw[name] ?? k.choices[name]).toBeDefined();
  });

  it.each(dirs)('reads the directory %s', (dir) => {
    const k = readSysKsm(sysOf(dir));
    expect(k.pagesSharedBytes).toBe(k.raw.pages_shared * 4096);
    expect(k.run).toBeGreaterThanOrEqual(0);
    expect(k.fullScans).toBeGreaterThanOrEqual(0);
  });

  it('reads the 6.x node_exporter capture exactly', () => {
    const k = readSysKsm(sysOf('prometheus-node_exporter/collector/fixtures/sys.ttar/sys'));
    expect(k).toMatchObject({ run: 1, fullScans: 323, pagesSharedBytes: 4096, pagesSharingBytes: 255 * 4096, generalProfitBytes: 1044480 });
    // general_profit = pages_sharing * PAGE_SIZE - rmap_item overhead (ksm.rst).
    expect(k.generalProfitBytes).toBeLessThanOrEqual(k.pagesSharingBytes!);
  });

  it('reads the 6.18 capture: advisor_mode choice, ksm_zero_pages', () => {
    const k = readSysKsm(sysOf('host-6.18-fork-share/sys'));
    expect(k.choices.advisor_mode).toEqual({ selected: 'none', options: ['none', 'scan-time'] });
    expect(k.ksmZeroPagesBytes).toBe(0);
    expect(k.maxPageSharing).toBe(256);
    expect(Object.keys(k.raw)).toHaveLength(23);
  });

  it('leaves files an old kernel lacks undefined', () => {
    const k = readSysKsm(sysOf('performancecopilot-pcp/qa/linux/sysfs-ksm-001/sys'));
    expect(k.run).toBe(0);
    expect(k.generalProfitBytes).toBeUndefined();
    expect(k.ksmZeroPagesBytes).toBeUndefined();
  });

  it('throws only ParseError on arbitrary text', () => {
    expect(() => parseSysKsm({ pages_sharing: 'lots\n' })).toThrow(ParseError);
    throwsOnlyParseError((t) => parseSysKsm({ pages_sharing: t }));
    throwsOnlyParseError((t) => parseSysKsm({ advisor_mode: t }));
  });
});
