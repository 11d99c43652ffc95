// A value remembered of a file (host/filememo.ts): used while the file is as it was read, never once it
// changes, never recorded for a file written too recently to tell a later write from it.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureTransformed, memoDir, sha256Hex } from './modulecache.js';
import { remember, remembered, statForMemo } from './filememo.js';
import { findWasmOpt } from './wasmopt.js';

function withDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amber-sourcehash-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Sets the file's times to a minute ago, as a file written before this command was (its ctime is now, though). */
function age(path: string): void {
  const t = (Date.now() - 60_000) / 1000;
  utimesSync(path, t, t);
}

test('a settled file is remembered by its identity and times; any write forgets it', withDir(async (dir) => {
  const index = join(dir, 'index');
  const file = join(dir, 'm.wasm');
  writeFileSync(file, 'one');
  age(file);
  await new Promise((r) => setTimeout(r, 2100)); // ctime too must be 2 s old
  assert.equal(remembered(index, 'sha256', file), null);
  const before = statForMemo(file)!;
  remember(index, 'sha256', file, before, sha256Hex(readFileSync(file)));
  assert.equal(remembered(index, 'sha256', file), sha256Hex(Buffer.from('one')));
  writeFileSync(file, 'two'); // same size, new ctime (and mtime)
  assert.equal(remembered(index, 'sha256', file), null);
  age(file); // mtime put back: ctime still says it changed
  assert.equal(remembered(index, 'sha256', file), null);
}));

test('a file written just now is not remembered (a write in the same tick could keep its times)', withDir((dir) => {
  const index = join(dir, 'index');
  const file = join(dir, 'm.wasm');
  writeFileSync(file, 'fresh');
  remember(index, 'sha256', file, statForMemo(file)!, sha256Hex(readFileSync(file)));
  assert.equal(remembered(index, 'sha256', file), null);
  assert.deepEqual(readdirSync(dir), ['m.wasm']);
}));

test('a file changed between its stat and its read is not remembered', withDir(async (dir) => {
  const index = join(dir, 'index');
  const file = join(dir, 'm.wasm');
  writeFileSync(file, 'one');
  age(file);
  await new Promise((r) => setTimeout(r, 2100));
  const before = statForMemo(file)!;
  writeFileSync(file, 'three');
  age(file);
  remember(index, 'sha256', file, before, sha256Hex(Buffer.from('one')));
  assert.equal(remembered(index, 'sha256', file), null);
}));

test('a warm ensureTransformed finds the cached module by the remembered hash, and by the bytes once the file changes', withDir(async (dir) => {
  const cacheDir = join(dir, 'cache');
  const file = join(dir, 'hello.wasm');
  const hello = readFileSync(new URL('../../guests/hello.wasm', import.meta.url));
  writeFileSync(file, hello);
  age(file);
  await new Promise((r) => setTimeout(r, 2100));
  const cold = await ensureTransformed(file, { cacheDir });
  assert.equal(cold.transformed, true);
  assert.equal(cold.sourceHash, sha256Hex(hello));
  assert.equal(remembered(memoDir(cacheDir), 'sha256', file), sha256Hex(hello));
  const warm = await ensureTransformed(file, { cacheDir });
  assert.deepEqual({ ...warm, ms: 0 }, { ...cold, transformed: false, ms: 0 });
  // Another module at the same path: its own hash and its own transform, never the remembered one.
  const other = readFileSync(new URL('../../guests/spin.wasm', import.meta.url));
  writeFileSync(file, other);
  const again = await ensureTransformed(file, { cacheDir });
  assert.equal(again.sourceHash, sha256Hex(other));
  assert.equal(again.transformed, true);
}));

test("wasm-opt's release is asked once and remembered by the binary's identity; another binary is asked again", withDir(async (dir) => {
  const memo = join(dir, 'memo');
  const bin = join(dir, 'wasm-opt');
  const log = join(dir, 'asked');
  const script = (v: number): string => `#!/bin/sh\necho x >> ${log}\necho "wasm-opt version ${v} (version_${v})"\n`;
  writeFileSync(bin, script(116), { mode: 0o755 });
  age(bin);
  await new Promise((r) => setTimeout(r, 2100));
  const env = { PATH: '', AMBER_WASM_OPT: bin };
  assert.equal(findWasmOpt(env, memo)?.version, 116);
  assert.equal(findWasmOpt(env, memo)?.version, 116);
  assert.equal(readFileSync(log, 'utf8'), 'x\n');
  writeFileSync(bin, script(117), { mode: 0o755 });
  assert.equal(findWasmOpt(env, memo)?.version, 117);
  assert.equal(findWasmOpt(env)?.version, 117);
  assert.equal(readFileSync(log, 'utf8'), 'x\nx\nx\n');
}));
