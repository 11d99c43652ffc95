// How the host picks its transform engine (AMBER_TRANSFORM) and that each engine has keys of its own.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { transformKey, transformVersion } from '../transform/cache.js';
import { transformLean } from '../transform/lean/lean.js';
import { compileForPod, DirTransformCache, hostTransform, InvalidModuleError, prepareModule, sha256Hex } from './modulecache.js';
import { runTransformJob } from './transformjob.js';

test('the lean engine is the default; AMBER_TRANSFORM=binaryen picks Binaryen; anything else is refused in one line', () => {
  const env = { PATH: process.env['PATH'] ?? '', AMBER_WASM_OPT: 'none' };
  assert.deepEqual(hostTransform(env), { options: { engine: 'lean' }, native: null, lean: true });
  assert.deepEqual(hostTransform({ ...env, AMBER_TRANSFORM: 'binaryen' }), { options: {}, native: null, lean: false });
  assert.deepEqual(hostTransform({ ...env, AMBER_TRANSFORM: 'lean' }), { options: { engine: 'lean' }, native: null, lean: true });
  assert.throws(() => hostTransform({ ...env, AMBER_TRANSFORM: 'fast' }), /AMBER_TRANSFORM: expected lean or binaryen, found "fast"/);
});

test("the lean engine's key differs from every Binaryen key, names the engine its refusals go to, and fits a file name", () => {
  const lean = transformVersion({ engine: 'lean' });
  const leanNative = transformVersion({ engine: 'lean', fallback: 'wasm-opt-108' });
  assert.match(lean, /^amber-lean\.\d+\.fuel-loops-recursion\.else-[0-9a-f]{8}$/);
  assert.notEqual(lean, leanNative);
  assert.notEqual(lean, transformVersion({ engine: 'lean', optimizeLevel: 2 }));
  assert.notEqual(lean, transformVersion({ engine: 'lean', preempt: false }));
  const all = [{}, { engine: 'wasm-opt-108' }, { preempt: false }, { asyncify: false }, { engine: 'lean' }, { engine: 'lean', fallback: 'wasm-opt-108' }];
  for (const other of all.slice(0, 4)) assert.ok(!transformVersion(other).startsWith('amber-lean'));
  // DirTransformCache writes .KEY.PID.tmp, then KEY.wasm: under 255 bytes with a 64-digit hash.
  for (const o of all) assert.ok(`.${transformKey('f'.repeat(64), o)}.4194304.tmp`.length < 255, transformKey('f'.repeat(64), o));
});

test('the lean transform and the worker path to it never import binaryen.js (it costs ~1 s to load)', () => {
  // Static imports from transform/lean/lean.ts, followed through the repository's own files (`import type` is erased).
  const seen = new Set<string>();
  const walk = (url: URL): void => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const text = readFileSync(url, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1]!;
      assert.notEqual(spec, 'binaryen', `${url.pathname} imports binaryen`);
      if (spec.startsWith('.')) walk(new URL(spec.replace(/\.js$/, '.ts'), url));
    }
  };
  walk(new URL('../transform/lean/lean.ts', import.meta.url));
  walk(new URL('./transformworker.ts', import.meta.url));
  assert.ok(seen.size > 10);
});

test('a transform job with the lean engine stores the lean module under its key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amber-lean-job-'));
  try {
    const bytes = new Uint8Array(readFileSync(new URL('../../guests/hello.wasm', import.meta.url)));
    const r = await runTransformJob({ bytes, cacheDir: dir, native: null, lean: true });
    assert.equal(r.key, transformKey(sha256Hex(bytes), { engine: 'lean' }));
    assert.deepEqual(new Uint8Array(new DirTransformCache(dir).get(r.key) ?? []), new Uint8Array(r.bytes));
    // The lean transform's own module, not Binaryen's in its place.
    assert.deepEqual(new Uint8Array(r.bytes), transformLean(bytes).bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A module whose structure the lean transform reads and rewrites but which does not validate: memory,
 * and `_start` doing `i64.const 1; i32.eqz; drop` (i32.eqz of an i64).
 */
const TYPE_ERROR = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: () -> ()
  0x03, 0x02, 0x01, 0x00, // func 0: type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory of 1 page
  0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // export "_start"
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x42, 0x01, 0x45, 0x1a, 0x0b, // code
]);

test('the module cache stores only modules that validate: a pod compiles them lazily validated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amber-cache-valid-'));
  try {
    const cache = new DirTransformCache(dir);
    assert.equal(WebAssembly.validate(TYPE_ERROR), false);
    assert.throws(() => cache.set('bad', TYPE_ERROR), InvalidModuleError);
    assert.equal(cache.has('bad'), false);
    assert.equal(existsSync(join(dir, 'bad.wasm')), false);
    const hello = new Uint8Array(readFileSync(new URL('../../guests/hello.wasm', import.meta.url)));
    cache.set('good', hello);
    assert.equal(cache.has('good'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cached module damaged after it was stored is a miss, and the next prepare transforms and stores it again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amber-cache-damaged-'));
  try {
    const cache = new DirTransformCache(dir);
    const hello = new Uint8Array(readFileSync(new URL('../../guests/hello.wasm', import.meta.url)));
    cache.set('k', hello);
    assert.deepEqual(new Uint8Array(cache.get('k') ?? []), hello);
    writeFileSync(join(dir, 'k.wasm'), TYPE_ERROR);
    assert.equal(cache.get('k'), undefined);

    const first = await prepareModule(hello, dir);
    const stored = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
    assert.equal(stored.length, 2);
    const key = stored.find((f) => f !== 'k.wasm') ?? '';
    writeFileSync(join(dir, key), TYPE_ERROR);
    const again = await prepareModule(hello, dir);
    assert.equal(again.hash, first.hash);
    assert.equal(WebAssembly.validate(readFileSync(join(dir, key))), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a transform job of a module that does not validate is refused in one line, and nothing is cached', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amber-lean-invalid-'));
  try {
    await assert.rejects(runTransformJob({ bytes: TYPE_ERROR, cacheDir: dir, native: null, lean: true }), (e: Error) => {
      assert.equal(e.name, 'TransformError');
      assert.equal(e.message, 'not a valid WebAssembly module (WebAssembly.validate() refuses it)');
      return true;
    });
    assert.equal(existsSync(join(dir, `${transformKey(sha256Hex(TYPE_ERROR), { engine: 'lean' })}.wasm`)), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("unchecked bytes (an image's module) are validated whole before a pod compiles them, lazy validation or not", () => {
  const hello = new Uint8Array(readFileSync(new URL('../../guests/hello.wasm', import.meta.url)));
  assert.ok(compileForPod(hello, 'cache') instanceof WebAssembly.Module); // turns lazy validation on
  assert.throws(() => compileForPod(new Uint8Array(TYPE_ERROR), 'unchecked'), WebAssembly.CompileError);
  assert.ok(compileForPod(hello, 'unchecked') instanceof WebAssembly.Module);
});
