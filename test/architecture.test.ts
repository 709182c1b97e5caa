import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/fixtures.js';

/**
 * The import direction of ARCHITECTURE.md: a module imports only from layers to its left in
 * fs -> procfs|pages|tracefs -> collect -> model -> analyze -> fields -> cli|server.
 * store imports only model; every layer may import shared; web imports only shared.
 */
const ORDER = ['fs', 'procfs|pages|tracefs', 'collect', 'model', 'analyze', 'fields', 'cli|server'];
const rank = (layer: string): number => ORDER.findIndex((g) => g.split('|').includes(layer));

function allowed(from: string, to: string): boolean {
  if (from === to || to === 'shared') return true;
  if (from === 'web' || from === 'shared') return false;
  if (from === 'store') return to === 'model' || to === 'collect' || to === 'procfs' || to === 'fs';
  if (to === 'store') return rank(from) >= rank('cli');
  if (to === 'web') return false;
  const rf = rank(from);
  const rt = rank(to);
  if (rf < 0 || rt < 0) return false;
  // Layers of one rank (procfs, pages, tracefs; cli, server) stay out of each other, except that
  // pages and tracefs may use procfs parsers (maps) and server may reuse cli renderers.
  if (rf === rt) return (from === 'pages' || from === 'tracefs') ? to === 'procfs' : from === 'server' && to === 'cli';
  return rt < rf;
}

function* tsFiles(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (/\.tsx?$/.test(e.name)) yield p;
  }
}

describe('architecture', () => {
  const src = path.join(REPO_ROOT, 'src');
  const violations: string[] = [];
  for (const file of tsFiles(src)) {
    const layer = path.relative(src, file).split(path.sep)[0];
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      const target = path.resolve(path.dirname(file), m[1]);
      const toLayer = path.relative(src, target).split(path.sep)[0];
      if (!allowed(layer, toLayer)) violations.push(`${path.relative(REPO_ROOT, file)} imports ${m[1]} (${layer} -> ${toLayer})`);
    }
    if (layer !== 'fs' && /from ['"](node:)?fs['"]/.test(text) && layer !== 'store' && layer !== 'cli' && layer !== 'server') {
      violations.push(`${path.relative(REPO_ROOT, file)} touches node:fs outside src/fs`);
    }
  }

  it('keeps the import direction', () => {
    expect(violations).toEqual([]);
  });

  it('index.ts files only re-export', () => {
    const bad = [...tsFiles(src)].filter((f) => path.basename(f) === 'index.ts').filter((f) =>
      fs.readFileSync(f, 'utf8').split('\n').some((l) => l.trim() && !/^export (type )?(\*|\{[^}]*\}) from /.test(l.trim()) && !l.trim().startsWith('//')),
    );
    expect(bad).toEqual([]);
  });
});
