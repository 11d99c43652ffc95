// A test's stand-in for wasi/suspend.ts's Fiber, for modules whose bodies the lean rewrite instrumented
// by hand-written asyncify_* exports: it unwinds at every call of the suspending imports, checks the
// rewind reaches the same call with the same arguments having read the whole stack, unwinds there
// again at once (the bytes must be the same: Fiber's #verify), and then resumes with the answer.

/** A failed expectation of the driver (the tests' assertion, without node:assert: this folder is type-checked as pure). */
function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** Where the test's Asyncify data sits in memory, and its stack's size. */
const DATA = 4096;
const STACK = 16384;

interface Exports {
  memory: WebAssembly.Memory;
  asyncify_start_unwind(p: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(p: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
  [name: string]: unknown;
}

export interface Run {
  result: number;
  /** The suspending import's arguments, one per call completed. */
  calls: number[];
  unwinds: number;
  preempts: number;
  /** The largest stack an unwind saved, in bytes. */
  maxStack: number;
}

/** The import's answer to x (the same for the reference run and the lean one). */
export const answer = (x: number): number => (x * 7 + 3) | 0;

/**
 * Where the suspending import `imp` comes from: `env` for the bodies the tests instrument by hand, a
 * module SUSPENDING_IMPORTS names (wasi_snapshot_preview1) for a module transformLean instrumented.
 */
export interface DriverOptions {
  importModule?: string;
}

/** Runs module's `entry(arg)` directly: the import answers at once, preempt does nothing. */
export function runReference(module: WebAssembly.Module, entry: string, arg: number, opts: DriverOptions = {}): Run {
  const calls: number[] = [];
  const inst = new WebAssembly.Instance(module, {
    [opts.importModule ?? 'env']: { imp: (x: number) => (calls.push(x), answer(x)) },
    amber: { preempt: () => undefined },
  });
  const result = (inst.exports[entry] as (x: number) => number)(arg);
  return { result, calls, unwinds: 0, preempts: 0, maxStack: 0 };
}

/**
 * Runs an instrumented module's `entry(arg)`, unwinding at every import call and every preemption. The
 * fuel is opts.fuel at the start and at each preemption, as Fiber refuels: with 1 every other check
 * preempts (with 0 the check right after the preemption would preempt again, forever). Each rewind
 * runs with the fuel at 0 until it reaches its call, where the fuel is put back as it was at the unwind:
 * a fuel check the rewind passed on its way would fire and reach amber.preempt instead of the call.
 */
export function runUnwinding(module: WebAssembly.Module, entry: string, arg: number, opts: { fuel?: number } & DriverOptions = {}): Run {
  const calls: number[] = [];
  let mode: 'verify' | 'resume' = 'verify';
  let pending: number | null = null;
  let unwinds = 0;
  let preempts = 0;
  let maxStack = 0;
  // eslint-disable-next-line prefer-const
  let ex: Exports;
  let fuel: WebAssembly.Global | undefined;
  const view = (): DataView => new DataView(ex.memory.buffer);
  /** The fuel when the stack unwound: a rewind gets 0 (so any check it passed would fire) and this back at its call. */
  let fuelAtUnwind = 0;
  const startRewind = (): void => {
    ex.asyncify_start_rewind(DATA);
    if (fuel !== undefined) fuel.value = 0;
  };
  const startUnwind = (): void => {
    fuelAtUnwind = fuel?.value ?? 0;
    view().setUint32(DATA, DATA + 8, true);
    view().setUint32(DATA + 4, DATA + 8 + STACK, true);
    ex.asyncify_start_unwind(DATA);
  };
  const suspending = (x: number, isPreempt: boolean): number => {
    if (ex.asyncify_get_state() === 2) {
      expect(x === pending, `the rewind reached the call with ${x}, not ${pending}`);
      expect(view().getUint32(DATA, true) === DATA + 8, 'the rewind reached the call with stack bytes unread');
      if (fuel !== undefined) fuel.value = fuelAtUnwind;
      ex.asyncify_stop_rewind();
      if (mode === 'verify') {
        startUnwind();
        return 0;
      }
      pending = null;
      if (isPreempt) return 0;
      calls.push(x);
      return answer(x);
    }
    expect(ex.asyncify_get_state() === 0, 'a call while unwinding');
    pending = x;
    if (isPreempt) {
      preempts++;
      // As Fiber does: refuelled when it preempts, before the unwind (a rewind must not spend it).
      if (opts.fuel !== undefined && fuel !== undefined) fuel.value = opts.fuel;
    }
    startUnwind();
    return 0;
  };
  const inst = new WebAssembly.Instance(module, {
    [opts.importModule ?? 'env']: { imp: (x: number) => suspending(x, false) },
    amber: { preempt: () => void suspending(-1, true) },
  });
  ex = inst.exports as unknown as Exports;
  // transformLean exports the fuel under Amber's name (wasi/transformed.ts FUEL_EXPORT).
  fuel = (inst.exports['fuel'] ?? inst.exports['amber_fuel']) as WebAssembly.Global | undefined;
  if (opts.fuel !== undefined && fuel !== undefined) fuel.value = opts.fuel;
  const fn = ex[entry] as (x: number) => number;
  let result = fn(arg);
  while (ex.asyncify_get_state() === 1) {
    unwinds++;
    expect(unwinds < 100_000, 'no end after 100,000 unwinds: a rewind that preempts again at once?');
    ex.asyncify_stop_unwind();
    const end = view().getUint32(DATA, true);
    const stack = new Uint8Array(ex.memory.buffer, DATA + 8, end - DATA - 8).slice();
    maxStack = Math.max(maxStack, stack.length);
    // The verifying rewind: to the same call, then unwound there again at once.
    mode = 'verify';
    startRewind();
    fn(arg);
    expect(ex.asyncify_get_state() === 1, 'the verifying rewind did not unwind again');
    ex.asyncify_stop_unwind();
    const again = new Uint8Array(ex.memory.buffer, DATA + 8, view().getUint32(DATA, true) - DATA - 8).slice();
    expect(again.length === stack.length && again.every((b, i) => b === stack[i]), 'the stack saved again differs');
    mode = 'resume';
    startRewind();
    result = fn(arg);
  }
  expect(ex.asyncify_get_state() === 0, 'the run ended while unwinding or rewinding');
  return { result, calls, unwinds, preempts, maxStack };
}
