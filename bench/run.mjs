#!/usr/bin/env node
// Runs every benchmark in bench/ (each *.mjs but this one), one after another, and fails if any
// fails. `npm run bench` builds first. Each bench prints its own times and ratios.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== self)
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

let failed = 0;
for (const b of benches) {
  process.stdout.write(`\n== ${b}\n`);
  const r = spawnSync(process.execPath, [path.join(here, b)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${b} failed (${r.signal ?? `exit ${r.status}`})\n`);
  }
}
process.exit(failed ? 1 : 0);
