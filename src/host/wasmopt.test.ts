// Debian's native wasm-opt as the transform's Asyncify engine: found and named by its version, and the
// modules it gives behave as the guests do raw — preempted in compute loops, blocked in sleeps and
// resumed, each WASI call made exactly once; the same bytes with jemalloc preloaded. .ci/run installs both
// (apt-get install binaryen libjemalloc2) when root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { transformModuleWithReport } from '../transform/transform.js';
import { drive, FakeWasi, guestBytes, runRaw } from '../transform/testing/fixture.js';
import { Fiber } from '../wasi/suspend.js';
import { findWasmOpt, wasmOptEngine, type NativeWasmOpt } from './wasmopt.js';

function native(): NativeWasmOpt {
  const found = findWasmOpt({ ...process.env, AMBER_WASM_OPT: 'wasm-opt' });
  if (found === null) assert.fail('no wasm-opt of release 101 or later on PATH: apt-get install binaryen');
  return found;
}

describe('native wasm-opt engine', () => {
  it('is found and named by its release, and AMBER_WASM_OPT=none turns it off', () => {
    const n = native();
    assert.match(n.engine, /^wasm-opt-\d+$/);
    assert.equal(findWasmOpt({ AMBER_WASM_OPT: 'none' }), null);
    assert.equal(findWasmOpt({ AMBER_WASM_OPT: '/nonexistent/wasm-opt' }), null);
    // binaryen.js's wasm-opt in node_modules/.bin (first on PATH under npm test) is never taken for the native one.
    assert.equal(findWasmOpt({ PATH: join(process.cwd(), 'node_modules', '.bin') }), null);
  });

  it('gives the same bytes with jemalloc preloaded as without (the key does not name the allocator)', () => {
    const n = native();
    if (n.preload === null) assert.fail('no libjemalloc.so.2 found: apt-get install libjemalloc2');
    const bytes = guestBytes('spin');
    const plain = transformModuleWithReport(bytes, { engine: n.engine }, wasmOptEngine({ ...n, preload: null })).bytes;
    const fast = transformModuleWithReport(bytes, { engine: n.engine }, wasmOptEngine(n)).bytes;
    assert.deepEqual(fast, plain);
    assert.equal(findWasmOpt({ ...process.env, AMBER_WASM_OPT: n.path, AMBER_WASM_OPT_MALLOC: 'none' })?.preload, null);
  });

  it('transforms guests that run as they do raw, preempted and blocked, each call made once', () => {
    const n = native();
    const cases: Array<[string, string[]]> = [
      ['spin', ['lcg', '3000000']],
      ['spin', ['fib', '24']],
      ['spin', ['sort', '20000']],
      ['sleeper', ['count', '3']],
      ['bulkmem', ['200']],
      ['simd', ['300', '100', '0']],
    ];
    const modules = new Map<string, WebAssembly.Module>();
    for (const [name, args] of cases) {
      let module = modules.get(name);
      if (module === undefined) {
        module = new WebAssembly.Module(transformModuleWithReport(guestBytes(name), { engine: n.engine }, wasmOptEngine(n)).bytes);
        modules.set(name, module);
      }
      const want = runRaw(guestBytes(name), args);
      const wasi = new FakeWasi({ args });
      let asked = 0;
      const fiber = new Fiber(module, { wasi_snapshot_preview1: wasi.imports() }, { fuel: 1 << 12, shouldYield: () => ++asked % 3 === 0 });
      wasi.memory = fiber.memory;
      const { code, causes } = drive(fiber, wasi);
      const what = `${name} ${args.join(' ')}`;
      assert.equal(code, want.code, what);
      assert.equal(wasi.stdout, want.stdout, what);
      if (name === 'spin' && args[0] !== 'sort') assert.ok(causes.includes('preempted:preempt'), `${what}: never preempted`);
      if (name === 'sleeper') {
        assert.equal(causes.filter((c) => c === 'blocked:poll_oneoff').length, 3, what);
        assert.equal(wasi.calls.get('poll_oneoff'), 3, `${what}: a sleep made twice`);
      }
    }
  });
});
