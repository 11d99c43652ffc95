#!/usr/bin/env node
// Runs the TypeScript compiler: `node scripts/tsc.mjs [tsc args...]`, e.g. `--noEmit -p tsconfig.pure.json`.
// The one failure it forgives is TS18003 ("No inputs were found in config file"), so a project whose
// folders hold no source file yet passes (and `npm install` works before src/ has code); any other
// diagnostic fails as tsc reports it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '--pretty', 'false', ...args], { encoding: 'utf8' });
if (r.error) throw r.error;
const out = `${r.stdout}${r.stderr}`;
const diagnostics = out.split('\n').filter((l) => /\berror TS\d+:/.test(l));
const what = `tsc ${args.join(' ')}`;

if (r.status !== 0 && diagnostics.length > 0 && diagnostics.every((l) => l.includes('error TS18003:'))) {
  console.log(`${what}: no input files yet, skipped`);
  process.exit(0);
}
process.stdout.write(out);
if (r.status === 0) console.log(`${what}: ok`);
process.exit(r.status ?? 1);
