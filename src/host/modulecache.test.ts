// How the host picks its transform engine (AMBER_TRANSFORM) and that each engine has keys of its own.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { transformVersion } from '../transform/cache.js';
import { hostTransform } from './modulecache.js';

test('AMBER_TRANSFORM picks the lean engine or Binaryen; anything else is refused in one line', () => {
  const env = { PATH: process.env['PATH'] ?? '', AMBER_WASM_OPT: 'none' };
  assert.deepEqual(hostTransform(env), { options: {}, native: null, lean: false });
  assert.deepEqual(hostTransform({ ...env, AMBER_TRANSFORM: 'binaryen' }), { options: {}, native: null, lean: false });
  assert.deepEqual(hostTransform({ ...env, AMBER_TRANSFORM: 'lean' }), { options: { engine: 'lean' }, native: null, lean: true });
  assert.throws(() => hostTransform({ ...env, AMBER_TRANSFORM: 'fast' }), /AMBER_TRANSFORM: expected lean or binaryen, found "fast"/);
});

test("the lean engine's key differs from every Binaryen key and names the engine its refusals go to", () => {
  const lean = transformVersion({ engine: 'lean' });
  const leanNative = transformVersion({ engine: 'lean', fallback: 'wasm-opt-108' });
  assert.match(lean, /^amber-lean\.\d+\./);
  assert.ok(lean.endsWith(`.else.${transformVersion({})}`), lean);
  assert.ok(leanNative.endsWith(`.else.${transformVersion({ engine: 'wasm-opt-108' })}`), leanNative);
  assert.notEqual(lean, leanNative);
  for (const other of [{}, { engine: 'wasm-opt-108' }, { preempt: false }, { asyncify: false }]) assert.ok(!transformVersion(other).startsWith('amber-lean'));
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
