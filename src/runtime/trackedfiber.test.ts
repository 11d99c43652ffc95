// A Fiber (wasi/suspend.ts) of a module that tracks its writes (issue 10.5: TransformOptions.trackWrites,
// wasi/transformed.ts), under the stress of transform/stress.test.ts: stopped at nearly every preemption
// check and call, and moved into a fresh instance every few stops. Its Asyncify data pointer and header
// are guest addresses B bytes below the real offsets the Fiber borrows, so a mistake in either shows as a
// trap, a rewind to the wrong call or different output. (Here, not beside suspend.ts: wasi/ tests cannot
// reach the transform, a higher layer.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEAN_ENGINE } from '../transform/cache.js';
import { guestBytes, runRaw, transformedGuest } from '../transform/testing/fixture.js';
import { runMoving } from '../transform/testing/moving.js';
import { TRACK_BASE_EXPORT } from '../wasi/transformed.js';

const ENGINES = [{ name: 'lean', engine: LEAN_ENGINE }, { name: 'binaryen.js', engine: undefined }] as const;

const CASES: ReadonlyArray<{ guest: string; args: string[] }> = [
  { guest: 'spin', args: ['fib', '18'] },
  { guest: 'spin', args: ['sort', '3000'] },
  { guest: 'deep', args: ['300'] },
  { guest: 'sleeper', args: ['count', '4'] },
];

for (const { name, engine } of ENGINES) {
  describe(`a tracked module stopped at every check and moved between instances (${name})`, () => {
    for (const c of CASES) {
      it(`${c.guest} ${c.args.join(' ')} ends as the raw module does`, () => {
        const want = runRaw(guestBytes(c.guest), c.args);
        const module = transformedGuest(c.guest, { ...(engine !== undefined ? { engine } : {}), trackWrites: true });
        assert.ok(WebAssembly.Module.exports(module).some((e) => e.name === TRACK_BASE_EXPORT), 'the module is tracked');
        const got = runMoving(module, c.args, { fuel: 7, shouldYield: () => true, yieldAfterCalls: true, reserve: 1 << 20 }, 5);
        assert.equal(got.base, 1 << 20);
        assert.equal(got.stdout, want.stdout);
        assert.equal(got.code, want.code);
        assert.ok(got.stops >= 20, `stopped only ${got.stops} times`);
        assert.ok(got.moves >= 4, `moved only ${got.moves} times`);
      });
    }
  });
}

it('a tracked fiber whose reserve is most of its memory still borrows above the map', () => {
  // A reserve past the guest's memory is capped at the guest's size, never reaching into the map below B.
  const module = transformedGuest('sleeper', { engine: LEAN_ENGINE, trackWrites: true });
  const got = runMoving(module, ['count', '2'], { shouldYield: () => true, yieldAfterCalls: true, reserve: 1 << 30 }, 2);
  assert.equal(got.stdout, runRaw(guestBytes('sleeper'), ['count', '2']).stdout);
  assert.ok(got.moves >= 1);
});
