// The transform's contract under stress, as CRIU's zdtm runs every test across a dump and restore: each
// compute guest is stopped at (nearly) every preemption check, and at every few stops its image moves
// into a fresh instance, which must finish with the raw module's output and exit code. Run for each
// engine a host can pick (transform/cache.ts's TransformOptions.engine), so a new engine inherits it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as leanBody from './lean/body.js';
import { BINARYEN_VERSION } from './cache.js';
import { transformLean } from './lean/lean.js';
import { guestBytes, runRaw, transformedGuest } from './testing/fixture.js';
import { runMoving } from './testing/moving.js';

/**
 * The engines under test: binaryen.js (what every other engine is checked against) and the lean
 * transform (both its ways to unwind) called directly, so a module it refused would fail here instead of passing through Binaryen.
 */
const ENGINES: ReadonlyArray<{ name: string; module: (guest: string) => WebAssembly.Module }> = [
  { name: 'binaryen.js', module: (guest) => transformedGuest(guest, { engine: `binaryen-${BINARYEN_VERSION}` }) },
  { name: 'lean', module: (guest) => new WebAssembly.Module(transformLean(guestBytes(guest), {}, leanBody).bytes) },
  // As a module past lean.ts's EXCEPTION_UNWIND_MAX_BYTES is transformed: state checks after every call.
  {
    name: 'lean, unwinding by state checks',
    module: (guest) => new WebAssembly.Module(transformLean(guestBytes(guest), {}, leanBody, { exceptionUnwindMaxBytes: 0 }).bytes),
  },
];

const CASES: ReadonlyArray<{ guest: string; args: string[] }> = [
  { guest: 'spin', args: ['fib', '18'] },
  { guest: 'spin', args: ['sort', '3000'] },
  { guest: 'spin', args: ['lcg', '20000'] },
  { guest: 'deep', args: ['300'] },
  { guest: 'sleeper', args: ['count', '4'] },
  // v128 accumulators live at every check of its loops: frames save and load them whole.
  { guest: 'simd', args: ['300', '100', '0'] },
];

for (const engine of ENGINES) {
  describe(`stopped at every check and moved between instances (${engine.name})`, () => {
    for (const c of CASES) {
      it(`${c.guest} ${c.args.join(' ')} ends as the raw module does`, () => {
        const want = runRaw(guestBytes(c.guest), c.args);
        const module = engine.module(c.guest);
        // Fuel 7: a stop every few loop heads or recursive entries; every call too (yieldAfterCalls). A
        // reserve of 1 MiB: what is under test is where a stack stops and resumes, not how big it is.
        const got = runMoving(module, c.args, { fuel: 7, shouldYield: () => true, yieldAfterCalls: true, reserve: 1 << 20 }, 5);
        assert.equal(got.stdout, want.stdout);
        assert.equal(got.code, want.code);
        assert.ok(got.stops >= 20, `stopped only ${got.stops} times`);
        assert.ok(got.moves >= 4, `moved only ${got.moves} times`);
      });
    }
  });
}
