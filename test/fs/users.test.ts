import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { userNames } from '../../src/fs/users.js';

describe('userNames', () => {
  it('reads each passwd file it is given, the first entry of a uid winning', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memledger-users-'));
    try {
      const a = path.join(dir, 'a');
      const b = path.join(dir, 'b');
      fs.writeFileSync(a, 'alice:x:1000:1000::/home/alice:/bin/sh\nalias:x:1000:1000::/:/bin/sh\n');
      fs.writeFileSync(b, 'bob:x:1000:1000::/home/bob:/bin/sh\n');
      expect(userNames(true, a).get(1000)).toBe('alice');
      expect(userNames(true, b).get(1000)).toBe('bob');
      expect(userNames(true, path.join(dir, 'missing')).size).toBe(0);
      // A captured tree's uids belong to another machine: no names.
      expect(userNames(false, a).size).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
