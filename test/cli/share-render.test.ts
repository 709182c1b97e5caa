import { describe, expect, it } from 'vitest';
import { describeKinds } from '../../src/cli/share-render.js';
import type { GroupExact } from '../../src/analyze/footprint.js';

const MiB = 1024 * 1024;
function group(f: Partial<GroupExact['footprint']>): GroupExact {
  const footprint = { totalBytes: 0, anonBytes: 0, fileBytes: 0, shmemBytes: 0, dirtyBytes: 0, ksmBytes: 0, thpBytes: 0, hugetlbBytes: 0, ...f };
  return { key: 'k', label: 'l', members: 1, mappedBytes: 0, footprintBytes: footprint.totalBytes, footprint, sharedScannedBytes: 0, swapBytes: 0, uniqueSwapBytes: 0 };
}

describe('describeKinds', () => {
  it('names the three main kinds always, and the overlapping flags only when they hold something', () => {
    const s = describeKinds(group({ anonBytes: 100 * MiB, fileBytes: 2 * MiB, ksmBytes: 8 * MiB }));
    expect(s).toMatch(/anon 100 MiB, file 2\.00 MiB, shmem 0 B/);
    expect(s).toMatch(/in KSM pages 8\.00 MiB/);
    expect(s).not.toMatch(/huge|dirty/);
  });
});
