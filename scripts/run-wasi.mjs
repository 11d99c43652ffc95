#!/usr/bin/env node
// Runs a WASI preview-1 guest under Node's own node:wasi, to try guests without Amber:
//   node scripts/run-wasi.mjs [--dir HOST[:GUEST]]... [--env K=V]... [--] prog.wasm [args...]
// `--dir HOST` preopens HOST at the same path inside. Exits with the guest's exit code.
// node:wasi is not a sandbox and deviates from Linux in places (see guests/syscalls.c); a reference, not a judge.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv.length > 0 && argv[0]?.startsWith('--')) {
  const flag = argv.shift();
  if (flag === '--') break;
  const value = argv.shift();
  if (value === undefined) usage(`${flag} needs a value`);
  if (flag === '--dir') {
    const i = value.indexOf(':');
    const host = i < 0 ? value : value.slice(0, i);
    preopens[i < 0 ? host : value.slice(i + 1)] = resolve(host);
  } else if (flag === '--env') {
    const i = value.indexOf('=');
    if (i <= 0) usage(`--env wants K=V, got "${value}"`);
    env[value.slice(0, i)] = value.slice(i + 1);
  } else {
    usage(`unknown flag ${flag}`);
  }
}
const prog = argv[0];
if (prog === undefined) usage('no program given');

function usage(why) {
  console.error(`run-wasi: ${why}\nusage: node scripts/run-wasi.mjs [--dir HOST[:GUEST]]... [--env K=V]... [--] prog.wasm [args...]`);
  process.exit(2);
}

// node:wasi warns that it is experimental on every run; that note is noise here.
process.removeAllListeners('warning');
const { WASI } = await import('node:wasi');
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(prog));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
