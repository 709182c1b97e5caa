import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in test/helpers/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Real kernel captures shared by the project, beside the repository (never edited). */
export const SHARED_FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures/proc-real');

/** Our own captures and hand-built trees. */
export const LOCAL_FIXTURES = path.join(REPO_ROOT, 'test/fixtures');

export interface Fixture {
  /** Path relative to SHARED_FIXTURES. */
  rel: string;
  abs: string;
  kind: string;
  source: string;
  notes: string;
  provenance: string;
}

let index: Fixture[] | undefined;

/** Every row of INDEX.tsv. */
export function allFixtures(): Fixture[] {
  if (!index) {
    const text = fs.readFileSync(path.join(SHARED_FIXTURES, 'INDEX.tsv'), 'utf8');
    index = text
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('path\t'))
      .map((l) => {
        const [rel, kind, source, notes, provenance] = l.split('\t');
        return { rel, abs: path.join(SHARED_FIXTURES, rel), kind, source, notes: notes ?? '', provenance: provenance ?? '' };
      });
  }
  return index;
}

/** Every shared fixture of one INDEX.tsv kind; throws if there are none (a typo must not pass). */
export function fixturesOfKind(kind: string): Fixture[] {
  const rows = allFixtures().filter((f) => f.kind === kind);
  if (rows.length === 0) throw new Error(`no shared fixtures of kind ${kind}`);
  return rows;
}

export function readFixture(f: Fixture | string): string {
  return fs.readFileSync(typeof f === 'string' ? path.join(SHARED_FIXTURES, f) : f.abs, 'utf8');
}
