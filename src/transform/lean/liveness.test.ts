import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localsToSave } from './liveness.js';
import { I32, type ModuleContext, type RewritePlan } from './types.js';

// Function 0 is an import `() -> ()` that can unwind; function 1, `(i32) -> ()`, is the body under test.
const ctx: ModuleContext = {
  types: [{ params: [], results: [] }, { params: [I32], results: [] }],
  funcTypes: [0, 1],
  globalTypes: [],
  tableTypes: [],
};
const plan = (over: Partial<RewritePlan> = {}): RewritePlan => ({
  func: (i) => i,
  callUnwinds: (i) => i === 0,
  indirectUnwinds: () => false,
  fuelAtLoops: false,
  fuelAtEntry: false,
  state: 0,
  data: 1,
  fuel: 2,
  preempt: 0,
  ...over,
});
/** Two declared i32 locals (1 and 2) after the param (0), then code. */
const body = (...code: number[]): Uint8Array => Uint8Array.of(0x01, 0x02, I32, ...code, 0x0b);
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const CALL = 0x10;

test('a local read after the call is kept; one written before and never read again is not, nor the dead param', () => {
  const b = body(LOCAL_GET, 0, LOCAL_SET, 1, 0x41, 5, LOCAL_SET, 2, CALL, 0, LOCAL_GET, 1, 0x1a);
  assert.deepEqual(localsToSave(ctx, 1, b, plan()), [false, true, false]);
});

test('a local read at a loop head is live at a call later in the loop, through the back-edge', () => {
  // loop: local.get 2; drop; call 0; local.get 0; br_if 0; end
  const b = body(0x03, 0x40, LOCAL_GET, 2, 0x1a, CALL, 0, LOCAL_GET, 0, 0x0d, 0, 0x0b);
  assert.deepEqual(localsToSave(ctx, 1, b, plan()), [true, false, true]);
  // Written before the back-edge, it is dead at the call again.
  const killed = body(0x03, 0x40, LOCAL_GET, 2, 0x1a, CALL, 0, 0x41, 1, LOCAL_SET, 2, LOCAL_GET, 0, 0x0d, 0, 0x0b);
  assert.deepEqual(localsToSave(ctx, 1, killed, plan()), [true, false, false]);
});

test('a non-unwinding call is no stopping place; a checked entry keeps what the body reads first', () => {
  const b = body(LOCAL_GET, 0, 0x1a, LOCAL_GET, 1, 0x1a);
  assert.deepEqual(localsToSave(ctx, 1, b, plan({ callUnwinds: () => false })), [false, false, false]);
  assert.deepEqual(localsToSave(ctx, 1, b, plan({ fuelAtEntry: true })), [true, true, false]);
});

test('liveness with bit 31 of a set word in use still converges (locals 31 and up)', () => {
  // 40 declared locals; local 31 read after an unwinding call inside a loop.
  const many = Uint8Array.of(0x01, 40, I32, 0x03, 0x40, CALL, 0, LOCAL_GET, 31, LOCAL_GET, 0, 0x0d, 0, 0x0b, 0x1a, 0x0b);
  const keep = localsToSave(ctx, 1, many, plan());
  assert.deepEqual(keep.flatMap((k, i) => (k ? [i] : [])), [0, 31]);
});
