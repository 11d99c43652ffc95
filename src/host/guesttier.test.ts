// host/guesttier: which compiler a module's functions start at, by the module's size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPTIMIZE_FIRST_MAX_BYTES, setGuestTier } from './guesttier.js';

test('a small module starts at TurboFan, a big one at Liftoff with tier-up back on', () => {
  assert.equal(setGuestTier(32 * 1024), 'turbofan');
  assert.equal(setGuestTier(OPTIMIZE_FIRST_MAX_BYTES), 'turbofan');
  assert.equal(setGuestTier(OPTIMIZE_FIRST_MAX_BYTES + 1), 'liftoff');
  // The flags took: a module compiled now still runs (V8 accepted every flag it was given).
  const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  assert.ok(empty instanceof WebAssembly.Module);
});
