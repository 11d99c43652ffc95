#!/usr/bin/env node
// Runs every src/**/*.test.ts and test/**/*.test.ts with node's test runner, TypeScript through tsx:
//   node --import tsx --test <files>
// Node 20's --test does not expand globs, so this finds the files itself.
//   node scripts/run-tests.mjs [node flags...] [files or folders...]
// Flags (e.g. --test-name-pattern=x, --test-only) go to node; files or folders replace the default roots.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const paths = process.argv.slice(2).filter((a) => !a.startsWith('-'));

/** Every *.test.ts under `root` (or `root` itself), node_modules and dist left out, sorted. */
function find(root) {
  if (!existsSync(root)) return [];
  if (statSync(root).isFile()) return [root];
  return readdirSync(root, { recursive: true })
    .map((f) => join(root, String(f)))
    .filter((f) => f.endsWith('.test.ts') && !/(^|\/)(node_modules|dist)\//.test(f))
    .sort();
}

const files = (paths.length > 0 ? paths : ['src', 'test']).flatMap(find);
if (files.length === 0) {
  console.log('run-tests: no *.test.ts files under src/ or test/, nothing to run');
  process.exit(paths.length > 0 ? 1 : 0);
}

const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...flags, ...files], { stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
