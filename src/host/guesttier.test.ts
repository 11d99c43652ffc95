// host/guesttier: which compiler a module's functions start at, by the module's size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIFTOFF_ONLY_MIN_BYTES, OPTIMIZE_FIRST_MAX_BYTES, guestTier, setGuestTier } from './guesttier.js';

test('a small module starts at TurboFan, a big one at Liftoff with tier-up, a huge one at Liftoff alone', () => {
  assert.equal(guestTier(LIFTOFF_ONLY_MIN_BYTES - 1), 'liftoff');
  assert.equal(guestTier(LIFTOFF_ONLY_MIN_BYTES), 'liftoff-only');
  assert.equal(setGuestTier(32 * 1024), 'turbofan');
  assert.equal(setGuestTier(OPTIMIZE_FIRST_MAX_BYTES), 'turbofan');
  assert.equal(setGuestTier(OPTIMIZE_FIRST_MAX_BYTES + 1), 'liftoff');
  assert.equal(setGuestTier(64 * 1024 * 1024), 'liftoff-only');
  // The flags took: a module compiled now still runs (V8 accepted every flag it was given).
  const module = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 7, 11]));
  const f = new WebAssembly.Instance(module).exports['f'] as () => number;
  assert.equal(f(), 7);
});
