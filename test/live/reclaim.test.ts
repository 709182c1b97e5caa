import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcRoot } from '../../src/fs/proc-root.js';
import { measureReclaim, type ReclaimMeasurement } from '../../src/cli/reclaim.js';

/**
 * Live: a cgroup v1 memory cgroup limited to 64 MiB whose only process reads a 200 MiB file
 * over and over. Each pass charges page cache past the limit, so the charging task reclaims
 * from its own cgroup (memory.failcnt rises, refaults appear). `memledger reclaim` must show that
 * reclaim and put that cgroup first. File pages, not anonymous memory: without swap, anonymous
 * memory past the limit would be OOM-killed instead of reclaimed.
 *
 * The file is written with O_DIRECT so that none of it sits in the page cache charged to another
 * cgroup (cached pages stay charged to whoever read them first). Root and a v1 memory hierarchy
 * only. The child's process group (started by us) is killed, the cgroup removed, the file deleted.
 */

const V1 = '/sys/fs/cgroup/memory';
const LIMIT = 64 * 1024 * 1024;
const FILE_MIB = 200;
const TMPFS_MAGIC = 0x01021994;

const onV1 = fs.existsSync(`${V1}/memory.limit_in_bytes`) &&
  !(fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers') && fs.readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').split(/\s+/).includes('memory'));
const canRun = process.getuid?.() === 0 && onV1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readNum = (p: string) => Number(fs.readFileSync(p, 'utf8').trim());

/** A directory on a disk-backed file system: tmpfs pages are shmem, not reclaimable without swap. */
function diskDir(): string {
  for (const d of [os.tmpdir(), '/var/tmp']) {
    if (fs.statfsSync(d).type !== TMPFS_MAGIC) return d;
  }
  throw new Error('no disk-backed temp directory');
}

describe.skipIf(!canRun)('memledger reclaim on a live v1 memory cgroup at its limit', () => {
  const name = `memledger-reclaim-${process.pid}`;
  const cg = `${V1}/${name}`;
  let dir: string | undefined;
  let file = '';
  let child: ChildProcess | undefined;
  let m: ReclaimMeasurement;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(diskDir(), 'memledger-reclaim-'));
    file = path.join(dir, 'big.bin');
    execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${FILE_MIB}`, 'oflag=direct', 'status=none']);
    fs.mkdirSync(cg);
    fs.writeFileSync(`${cg}/memory.limit_in_bytes`, String(LIMIT));
    // The shell moves itself into the cgroup, then each cat it starts is born there.
    // detached: its own process group, so that the cats can be killed with it, and only them.
    child = spawn('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && while :; do cat '${file}' > /dev/null; done`], { detached: true, stdio: 'ignore' });
    // Start measuring once the limit is being hit, so that the interval covers the work.
    for (let i = 0; i < 200 && readNum(`${cg}/memory.failcnt`) === 0; i++) await sleep(100);
    m = await measureReclaim(new ProcRoot(), 2);
  });

  afterAll(async () => {
    try {
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (let i = 0; i < 100 && fs.existsSync(cg); i++) {
        try {
          fs.rmdirSync(cg);
        } catch {
          await sleep(100); // EBUSY until the killed processes are reaped
        }
      }
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(fs.existsSync(cg)).toBe(false);
  });

  it('reads the v1 hierarchy and finds the cgroup with its limit', () => {
    expect(m.hierarchy).toBe('v1');
    const ours = m.memcgs.find((r) => r.path === `/${name}`);
    expect(ours).toBeDefined();
    expect(ours!.limitBytes).toBe(LIMIT);
  });

  it('shows the cgroup hitting its limit and refaulting, ranked first', () => {
    const ours = m.memcgs.find((r) => r.path === `/${name}`)!;
    expect(ours.limitHits).toBeGreaterThan(0);
    if (ours.deltas.workingset_refault_file !== undefined) expect(ours.refaultPages).toBeGreaterThan(0);
    expect(ours.unchargeEvents).toBeGreaterThan(0);
    expect(m.memcgs[0].path).toBe(`/${name}`);
  });

  it('shows the reclaim system-wide, as cgroup-limit (or direct) reclaim', () => {
    const s = m.system;
    const limitStolen = s.cgroupLimit?.stolenPages ?? 0;
    expect(limitStolen + (s.direct.stolenPages ?? 0)).toBeGreaterThan(0);
    if (s.all) expect(s.all.stolenPages).toBeGreaterThanOrEqual(limitStolen);
  });
});
