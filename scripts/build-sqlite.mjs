#!/usr/bin/env node
// Builds the SQLite guest, a real program nobody here wrote: SQLite's amalgamation (sqlite3.c) as shipped
// inside a pinned npm package, with the driver guests/sqlite/sqlite_bench.c, for wasm32-wasi with the
// project's clang, into build/sqlite/sqlite_bench.wasm (not committed: ~1.1 MB).
//   npm run sqlite            (node scripts/build-sqlite.mjs; prints the .wasm's path on its last line)
// The package's tarball comes through `npm pack` (npm's cache, its install scripts never run) and is
// checked against the pinned integrity. sqlite3.o is rebuilt only when the pin, the clang or the flags
// change (~25 s); the driver on every change of its source. Exits 1 naming what is missing (clang, the
// package) rather than leaving a stale or absent module behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package that ships sqlite3.c (SQLite 3.50.4); its install script is never run here. */
const PIN = {
  name: 'better-sqlite3',
  version: '12.4.1',
  integrity: 'sha512-3yVdyZhklTiNrtg+4WqHpJpFDd+WHTg2oM7UcR80GqL05AOV0xEJzc6qNvFYoEtE+hRp1n9MpN6/+4yhlGkDXQ==',
  sources: ['package/deps/sqlite3/sqlite3.c', 'package/deps/sqlite3/sqlite3.h'],
};
// sqlite3.c turns on its own WASI settings under __wasi__ (no threads, no extensions, no mmap, dot-file
// locking, getpid stubbed); nothing more is needed for wasi-libc.
const CFLAGS = ['--target=wasm32-wasi', '-O2'];
const DRIVER_FLAGS = ['-Wall', '-Wextra', '-Werror'];
// The link gets no -O: given one, clang runs any wasm-opt it finds (on PATH or beside itself), so the
// output would depend on what is installed (scripts/build-guests.sh does the same).
const LDFLAGS = ['--target=wasm32-wasi', '-Wl,--strip-debug'];

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'build/sqlite');
const srcDir = join(out, `${PIN.name}-${PIN.version}`);
const driver = join(root, 'guests/sqlite/sqlite_bench.c');
const wasm = join(out, 'sqlite_bench.wasm');

function fail(message) {
  console.error(`build-sqlite: ${message}`);
  process.exit(1);
}

function findClang() {
  const clang = process.env.CLANG ?? 'clang';
  const r = spawnSync('sh', ['-c', `command -v "${clang}"`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || path === '') fail(`${clang} not found; install: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`);
  return path;
}

/** Runs clang from `cwd` with an empty PATH: at -O2 it runs any wasm-opt on PATH (npm run puts binaryen's there). */
function clang(bin, args, cwd) {
  const r = spawnSync(bin, args, { cwd, env: { PATH: '/nonexistent' }, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) fail(`clang ${args.join(' ')} failed:\n${r.stderr}`);
}

function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** sqlite3.c and sqlite3.h of the pinned package in srcDir, fetched and checked once. */
function sources() {
  if (PIN.sources.every((s) => existsSync(join(srcDir, s)))) return;
  const tmp = mkdtempSync(join(out, 'fetch-'));
  try {
    const r = spawnSync('npm', ['pack', `${PIN.name}@${PIN.version}`, '--ignore-scripts', '--silent', '--pack-destination', tmp], { encoding: 'utf8' });
    if (r.error || r.status !== 0) fail(`npm pack ${PIN.name}@${PIN.version} failed: ${r.error?.message ?? r.stderr.trim()}`);
    const tgz = join(tmp, `${PIN.name}-${PIN.version}.tgz`);
    if (!existsSync(tgz)) fail(`npm pack ${PIN.name}@${PIN.version} left no ${tgz}`);
    const got = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (got !== PIN.integrity) fail(`${PIN.name}@${PIN.version}: integrity ${got}, expected ${PIN.integrity}`);
    const unpacked = join(tmp, 'x');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tgz, '-C', unpacked, ...PIN.sources]);
    rmSync(srcDir, { recursive: true, force: true });
    renameSync(unpacked, srcDir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Builds `target` from `build()` unless its stamp (a digest of everything it depends on) is unchanged. */
function rebuild(target, key, build) {
  const stamp = `${target}.stamp`;
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return false;
  rmSync(stamp, { force: true });
  build(`${target}.tmp`);
  renameSync(`${target}.tmp`, target);
  writeFileSync(stamp, key);
  return true;
}

const clangBin = findClang();
mkdirSync(out, { recursive: true });
sources();
const version = execFileSync(clangBin, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
const inc = `${PIN.name}-${PIN.version}/package/deps/sqlite3`;
const objKey = sha256(PIN.integrity, version, CFLAGS.join(' '));
if (rebuild(join(out, 'sqlite3.o'), objKey, (tmp) => clang(clangBin, [...CFLAGS, '-c', '-o', tmp, `${inc}/sqlite3.c`], out))) {
  console.error(`build-sqlite: compiled SQLite from ${PIN.name}@${PIN.version}`);
}
const wasmKey = sha256(objKey, readFileSync(driver), DRIVER_FLAGS.join(' '), LDFLAGS.join(' '));
rebuild(wasm, wasmKey, (tmp) => {
  // The driver is compiled from a copy beside the object so no absolute path reaches the output.
  writeFileSync(join(out, 'sqlite_bench.c'), readFileSync(driver));
  clang(clangBin, [...CFLAGS, ...DRIVER_FLAGS, '-I', inc, '-c', '-o', 'sqlite_bench.o', 'sqlite_bench.c'], out);
  clang(clangBin, [...LDFLAGS, '-o', tmp, 'sqlite_bench.o', 'sqlite3.o'], out);
});
console.log(wasm);
