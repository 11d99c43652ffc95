#!/usr/bin/env node
// Fetches yosys, the big real program (issue 9): YoWASP's build of the Yosys synthesis suite from a pinned
// npm package, as a plain WASI preview-1 module (the package's yosys.core.wasm, ~30 MB) and the share/
// tree it reads its techmap and cell libraries from (mounted at /share: the package packs most of it
// into resources-yosys.js, its biggest files beside), into build/yosys/ (never committed).
//   npm run yosys            (node scripts/fetch-yosys.mjs; prints build/yosys's path on its last line)
// The tarball comes through `npm pack` (npm's cache, no install script run) and is checked against the
// pinned integrity; the tree is rebuilt only when the pin changes. Exits 1 naming what went wrong.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package (Yosys 0.55); its module imports wasi_snapshot_preview1 only. */
const PIN = {
  name: '@yowasp/yosys',
  version: '0.55.944',
  integrity: 'sha512-O9yjd529cPb8R+FO7gpQRw658yGjApBN9JiqMg21+5tONXrGhF9EygKF/vDXrHvoYerYU7QqxIK05tQDhPYgPQ==',
  tarball: 'yowasp-yosys-0.55.944.tgz',
};

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'build/yosys');
const stamp = join(out, 'stamp');

function fail(message) {
  console.error(`fetch-yosys: ${message}`);
  process.exit(1);
}

/** Writes a resources tree (name → text, a URL of a file in the package, or a subtree) under dir. */
function writeTree(dir, tree) {
  mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(tree)) {
    if (name.includes('/') || name === '..' || name === '.') fail(`${PIN.tarball}: a resource named ${JSON.stringify(name)}`);
    const path = join(dir, name);
    if (typeof value === 'string') writeFileSync(path, value);
    else if (value instanceof Uint8Array) writeFileSync(path, value);
    else if (value instanceof URL) copyFileSync(value, path);
    else writeTree(path, value);
  }
}

async function fetchInto(dest) {
  const tmp = mkdtempSync(join(out, '..', 'yosys-fetch-'));
  try {
    const r = spawnSync('npm', ['pack', `${PIN.name}@${PIN.version}`, '--ignore-scripts', '--silent', '--pack-destination', tmp], { encoding: 'utf8' });
    if (r.error || r.status !== 0) fail(`npm pack ${PIN.name}@${PIN.version} failed: ${r.error?.message ?? r.stderr.trim()}`);
    const tgz = join(tmp, PIN.tarball);
    if (!existsSync(tgz)) fail(`npm pack ${PIN.name}@${PIN.version} left no ${tgz}`);
    const got = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (got !== PIN.integrity) fail(`${PIN.name}@${PIN.version}: integrity ${got}, expected ${PIN.integrity}`);
    execFileSync('tar', ['xzf', tgz, '-C', tmp, 'package/gen']);
    const gen = join(tmp, 'package/gen');
    // The resources module is data: the share/ tree as strings, and URLs of the files it ships beside.
    const { filesystem } = await import(pathToFileURL(join(gen, 'resources-yosys.js')).href);
    if (typeof filesystem?.share !== 'object') fail(`${PIN.tarball}: resources-yosys.js has no share/ tree`);
    mkdirSync(dest);
    writeTree(join(dest, 'share'), filesystem.share);
    copyFileSync(join(gen, 'yosys.core.wasm'), join(dest, 'yosys.wasm'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

mkdirSync(dirname(out), { recursive: true });
if (!(existsSync(stamp) && readFileSync(stamp, 'utf8') === PIN.integrity)) {
  const next = `${out}.new-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  try {
    await fetchInto(next);
    writeFileSync(join(next, 'stamp'), PIN.integrity);
    rmSync(out, { recursive: true, force: true });
    renameSync(next, out);
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
  console.error(`fetch-yosys: ${PIN.name}@${PIN.version} into ${out}`);
}
console.log(out);
