// The preemption invariant for recursion, on random call graphs: in a transformed module no function is
// entered again while an earlier activation of it is on the stack unless a fuel check ran in between, so a
// recursion, direct, mutual or through the table, can always be stopped (cycles.ts chose the entries).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import binaryen from 'binaryen';
import fc from 'fast-check';
import { FUEL_EXPORT, transformModuleWithReport } from './transform.js';

/** Each function's calls: direct (`f3`) or through the table slot of a function (`*f3`). */
type Graph = string[][];

/** A module of n functions: each reports entry and exit, and while a depth budget lasts makes its calls. */
function moduleText(graph: Graph): string {
  const n = graph.length;
  const fns = graph.map((calls, i) => {
    const body = calls
      .map((c) => (c.startsWith('*') ? `(call_indirect (param i32) (i32.const 0) (i32.const ${c.slice(2)}))` : `(call $${c} (i32.const 0))`))
      .join(' ');
    return `(func $f${i} (param i32) (call $enter (i32.const ${i}))
      (if (i32.lt_u (global.get $depth) (i32.const 12)) (then
        (global.set $depth (i32.add (global.get $depth) (i32.const 1))) ${body}
        (global.set $depth (i32.sub (global.get $depth) (i32.const 1)))))
      (call $leave (i32.const ${i})))`;
  });
  const table = Array.from({ length: n }, (_, i) => `$f${i}`).join(' ');
  return `(module (import "env" "enter" (func $enter (param i32))) (import "env" "leave" (func $leave (param i32)))
    (memory 1) (global $depth (mut i32) (i32.const 0)) (table ${n} funcref) (elem (i32.const 0) ${table})
    ${fns.join('\n')} (func (export "_start") (call $f0 (i32.const 0))))`;
}

function compile(text: string): WebAssembly.Module {
  const mod = binaryen.parseText(text);
  try {
    // Checks alone, unoptimized: Asyncify adds nothing to where the checks are.
    return new WebAssembly.Module(transformModuleWithReport(mod.emitBinary(), { asyncify: false, optimizeLevel: 0 }).bytes);
  } finally {
    mod.dispose();
  }
}

/** Runs it with every check calling preempt; the first re-entry without a check between, or null. */
function uncheckedReentry(module: WebAssembly.Module): string | null {
  let checks = 0;
  const stack: Array<{ fn: number; checks: number }> = [];
  let found: string | null = null;
  const instance: WebAssembly.Instance = new WebAssembly.Instance(module, {
    env: {
      enter: (fn: number) => {
        const earlier = stack.find((f) => f.fn === fn && f.checks === checks);
        if (earlier !== undefined && found === null) found = `f${fn} entered again with no check since [${stack.map((f) => `f${f.fn}`).join(' ')}]`;
        stack.push({ fn, checks });
      },
      leave: () => void stack.pop(),
    },
    amber: {
      preempt: () => {
        checks++;
        (instance.exports[FUEL_EXPORT] as WebAssembly.Global).value = 0; // the next check calls again
      },
    },
  });
  (instance.exports[FUEL_EXPORT] as WebAssembly.Global).value = 0;
  (instance.exports['_start'] as () => void)();
  return found;
}

/** Call graphs of up to 6 functions, each making up to 3 calls, some through the table. */
const graphs = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.boolean()).map(([to, indirect]) => `${indirect ? '*' : ''}f${to}`), { maxLength: 3 }), { minLength: n, maxLength: n }),
);

describe('preemption checks on recursion', () => {
  it('no function re-enters itself, directly or through others, without passing a check', () => {
    fc.assert(fc.property(graphs, (g) => uncheckedReentry(compile(moduleText(g))) === null), { numRuns: 60 });
  });

  it('finds the re-entry when the module is left unchecked (the property can fail)', () => {
    const mod = binaryen.parseText(moduleText([['f0']]));
    try {
      const raw = new WebAssembly.Module(transformModuleWithReport(mod.emitBinary(), { asyncify: false, preempt: false }).bytes);
      // Without checks there is no fuel global: run it with one of our own.
      assert.match(uncheckedReentryRaw(raw) ?? '', /f0 entered again/);
    } finally {
      mod.dispose();
    }
  });
});

/** uncheckedReentry for a module with no checks (no fuel export). */
function uncheckedReentryRaw(module: WebAssembly.Module): string | null {
  const stack: number[] = [];
  let found: string | null = null;
  const instance = new WebAssembly.Instance(module, {
    env: {
      enter: (fn: number) => {
        if (stack.includes(fn) && found === null) found = `f${fn} entered again`;
        stack.push(fn);
      },
      leave: () => void stack.pop(),
    },
  });
  (instance.exports['_start'] as () => void)();
  return found;
}
