#!/usr/bin/env node
// Checks the layer rules of .dependency-cruiser.cjs over src/, test/ and bench/.
// `depcruise` fails on a folder that does not exist (git keeps no empty folders) and on a tsconfig with no
// inputs, so this cruises only the folders that exist and skips, with a note, when none holds a source file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const roots = ['src', 'test', 'bench'].filter(
  (d) => existsSync(d) && readdirSync(d, { recursive: true }).some((f) => SOURCE.test(String(f))),
);
if (roots.length === 0) {
  console.log('depcheck: no source files under src/, test/ or bench/ yet, skipped');
  process.exit(0);
}

const depcruise = 'node_modules/.bin/depcruise';
const args = ['--config', '.dependency-cruiser.cjs', ...process.argv.slice(2), ...roots];
const r = spawnSync(depcruise, args, { stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
