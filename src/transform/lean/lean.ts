// The lean unwinding transform (DESIGN.md §3, notes/lean.md): Asyncify's runtime protocol put into a
// module on its raw bytes, without Binaryen. module.ts reads and writes the sections, analysis.ts decides
// per function what can unwind and where fuel is checked, the body rewrite (body.ts) rewrites each body,
// runtime.ts adds asyncify_*. An unwind goes up the module's own frames as a wasm exception (one tag,
// caught by each caller, which saves its frame and throws on), and an export's wrapper turns it back into
// Asyncify's protocol: the export returns with the state unwinding. A module it does not handle is
// LeanUnsupported: Binaryen's transform runs then.
import { FUEL_EXPORT, GLOBAL_EXPORT_PREFIX } from '../../wasi/transformed.js';
import { lookupTransform, resolveTransformOptions, type TransformHost, type TransformOptions } from '../cache.js';
import { TransformError } from '../errors.js';
import type { PreemptStats } from '../preempt.js';
import { analyse, canonicalTypes } from './analysis.js';
import { rewriteBody, scanBody } from './body.js';
import { ByteReader, ByteWriter, MalformedModule } from './bytes.js';
import { EXTERN, readModule, writeModule, funcMap, SEC, type Export, type ModuleInfo, type NewGlobal } from './module.js';
import { rewriteBodyCloned } from './rewrite.js';
import { zero } from './emit.js';
import { BLOCK_EMPTY, OP_CALL, OP_CATCH, OP_ELSE, OP_END, OP_GLOBAL_GET, OP_I32_CONST, OP_I32_EQ, OP_IF, OP_LOCAL_GET, OP_TRY } from './opcodes.js';
import { frameHelpers as frameHelpersFor } from './frames.js';
import { asyncifyRuntime, VOID } from './runtime.js';
import { trackWrites } from '../track.js';
import { I32, LeanUnsupported, type BodyScan, type FuncType, type ModuleContext, type RewritePlan, type ValType } from './types.js';

/** The body half of the transform (body.ts): a body's scan for the call graph, and its rewrite. */
export interface BodyEngine {
  scanBody(ctx: ModuleContext, body: Uint8Array): BodyScan;
  rewriteBody(ctx: ModuleContext, funcIndex: number, body: Uint8Array, plan: RewritePlan): Uint8Array;
  /** A function's normal body and its rewind clone (types.ts ClonePlan); absent: no clones. */
  rewriteBodyCloned?(ctx: ModuleContext, funcIndex: number, body: Uint8Array, plan: RewritePlan): { normal: Uint8Array; clone: Uint8Array } | null;
}

/** The body half (body.ts). */
const BODY: BodyEngine = { scanBody, rewriteBody, rewriteBodyCloned };

/**
 * The largest input body that gets a rewind clone (types.ts ClonePlan). A clone takes the rewind
 * prologue and the dispatch tests off the normal path, which pays most where a call does little work
 * (spin's fib: 1.42 -> 1.26x raw; sort 1.22 -> 1.07x, its memcpy is 1,296 bytes); it costs its size.
 * Measured on yosys (30.8 MB in) at amber-lean.8: no clones 62.8 MB out, clones up to 2 KiB 85.7 MB, all
 * 109.1 MB (+49 and +96 MiB peak RSS in a warm pod, whose time moved by no more than the noise). Since the
 * smaller checks and shared frame helpers (amber-lean.10, frames.ts): clones up to 2 KiB 72.2 MB.
 */
export const CLONE_MAX_BYTES = 2048;

/**
 * The largest module whose unwind goes up its frames as a wasm exception (types.ts RewritePlan.unwindTag)
 * rather than by a state check after each call: host/guesttier.ts starts modules up to this size at
 * TurboFan, where a try around a call costs the normal path nothing (spin's fib 1.26-1.29 -> 1.18-1.21x
 * raw). Liftoff pays for each try: a warm yosys pod (Liftoff alone) took 4.8% more wall time, SQLite's
 * (Liftoff, then tiered up) 12% more user CPU. Bigger modules keep the state checks. The price where
 * it is used: an unwind costs V8 a throw per frame, ~1.5 µs each (a suspend-and-resume cycle through 3
 * frames 1.1 -> 5.2 µs, through 20 frames 1.9-3.2 -> 33 µs, Fiber with a 4 KiB reserve), paid at each
 * preemption (every 2-10 ms of a slice) and each call that blocks. A caller whose frame is small pushes it
 * in the call's catch and rethrows the same exception (emit.ts): only the innermost frame throws anew, and a
 * cycle through 3 frames costs ~15-20% less (4.4 -> 3.5-3.7 µs, min of 8).
 */
export const EXCEPTION_UNWIND_MAX_BYTES = 512 * 1024;

/** Where the transform draws its size lines (tests move them). */
export interface LeanTuning {
  /** CLONE_MAX_BYTES */
  cloneMaxBytes?: number;
  /** EXCEPTION_UNWIND_MAX_BYTES */
  exceptionUnwindMaxBytes?: number;
}

/**
 * Whether each function (input indices) can be entered by a rewind from outside its callers' clones: the
 * start function, in a table or a ref.func (and an export, when it has no wrapper: see below).
 */
function enteredFromOutside(info: ModuleInfo): Uint8Array {
  const out = new Uint8Array(info.ctx.funcTypes.length);
  for (const f of info.tableFuncs) if (f < out.length) out[f] = 1;
  const start = info.sections.find((s) => s.id === SEC.start);
  if (start !== undefined) out[new ByteReader(info.bytes, start.payload, start.end).u32()] = 1;
  return out;
}

/** What the lean transform did (the fields of transform.ts's TransformReport). */
export interface LeanReport extends PreemptStats {
  exportedGlobals: number;
  indirectCallers: number | null;
}

/** The message transform.ts's refuseTransformed gives, for the same refusal. */
export function alreadyTransformed(name: string): TransformError {
  return new TransformError(`already transformed by Asyncify (it exports ${name}): give Amber the module as built, before Asyncify`);
}

/**
 * The module Amber runs for bytes, by the lean transform: as transform.ts's (mutable globals exported,
 * fuel checks calling `amber.preempt`, Asyncify's asyncify_* exports), with the same runtime protocol.
 * LeanUnsupported (or bytes.ts's MalformedModule) for a module it does not handle; TransformError for
 * one Asyncify transformed already.
 */
export function transformLean(
  bytes: Uint8Array,
  opts: TransformOptions = {},
  body: BodyEngine = BODY,
  tuning: LeanTuning = {},
): { bytes: Uint8Array<ArrayBuffer>; report: LeanReport } {
  const r = resolveTransformOptions(opts);
  if (!r.asyncify) throw new LeanUnsupported('the fuel checks without Asyncify');
  const info = readModule(bytes);
  for (const e of info.exports) if (e.name.startsWith('asyncify_')) throw alreadyTransformed(e.name);
  if (info.memories === 0) throw new LeanUnsupported('a module without a memory');
  const ctx = info.ctx;
  const imports = info.funcImports.length;
  const scans = info.bodies.map(([s, e]) => body.scanBody(ctx, bytes.subarray(s, e)));
  const a = analyse(info, scans, { fuel: r.preempt });

  // Types: the input's, then those the runtime and the preempt import need that it lacks.
  const types: FuncType[] = [];
  const canonical = canonicalTypes(ctx.types);
  const typeOf = (t: FuncType): number => {
    const same = (u: FuncType): boolean => u.params.join() === t.params.join() && u.results.join() === t.results.join();
    const found = ctx.types.findIndex(same);
    if (found >= 0) return canonical[found]!;
    const added = types.findIndex(same);
    if (added >= 0) return ctx.types.length + added;
    types.push(t);
    return ctx.types.length + types.length - 1;
  };

  let preempt = -1;
  let preemptImport: number | null = null;
  if (r.preempt) {
    preempt = info.funcImports.findIndex((f) => f.module === 'amber' && f.name === 'preempt');
    if (preempt >= 0 && ctx.types[info.funcImports[preempt]!.type]!.params.length + ctx.types[info.funcImports[preempt]!.type]!.results.length > 0) {
      throw new LeanUnsupported('an amber.preempt import that is not () -> ()');
    }
    if (preempt < 0) {
      preemptImport = typeOf(VOID);
      preempt = imports;
    }
  }
  const func = funcMap(info, preemptImport !== null);
  const funcsOut = ctx.funcTypes.length + (preemptImport !== null ? 1 : 0);

  const g = ctx.globalTypes.length;
  const globals: NewGlobal[] = [
    { type: I32, mutable: true, init: 0 }, // Asyncify's state
    { type: I32, mutable: true, init: 0 }, // Asyncify's data pointer
  ];
  // The fuel.
  if (r.preempt) globals.push({ type: I32, mutable: true, init: 0 });
  const state = g;
  const data = g + 1;
  const fuel = r.preempt ? g + 2 : -1;

  const runtime = asyncifyRuntime({ state, data });
  const functions: Array<{ type: number; body: Uint8Array }> = runtime.map((f) => ({ type: typeOf(f.type), body: f.body }));
  const cloneMaxBytes = tuning.cloneMaxBytes ?? CLONE_MAX_BYTES;
  // Rewind clones, after the runtime: one for every function that can unwind and is at most
  // cloneMaxBytes (its body is filled when the code section reaches the function).
  const cloneIndex = new Int32Array(ctx.funcTypes.length).fill(-1);
  const cloneSlot = new Map<number, { type: number; body: Uint8Array }>();
  if (body.rewriteBodyCloned !== undefined) {
    for (let f = imports; f < ctx.funcTypes.length; f++) {
      if (a.canUnwind[f] !== 1) continue;
      const [bs, be] = info.bodies[f - imports]!;
      if (be - bs > cloneMaxBytes) continue;
      cloneIndex[f] = funcsOut + functions.length;
      const slot = { type: ctx.funcTypes[f]!, body: new Uint8Array(0) };
      functions.push(slot);
      cloneSlot.set(f, slot);
    }
  }
  const entered = enteredFromOutside(info);
  const cloneOf = (f: number): number => cloneIndex[f] ?? -1;
  // An export that can unwind is called through a wrapper: it catches the unwind tag (Fiber sees the
  // export return with the state unwinding, Asyncify's protocol) and takes a rewind into the clone.
  // The tag only where some function can unwind (a module with none keeps its sections), in a module
  // small enough to start at TurboFan (EXCEPTION_UNWIND_MAX_BYTES).
  const tagged = bytes.length <= (tuning.exceptionUnwindMaxBytes ?? EXCEPTION_UNWIND_MAX_BYTES) && a.canUnwind.some((u, f) => u === 1 && f >= imports);
  // Without wrappers (no tag) an export is entered as a table's function is: by its entry check.
  if (!tagged) for (const e of info.exports) if (e.kind === EXTERN.func) entered[e.index] = 1;
  const wrapperOf = new Map<number, number>();
  const unwindTag = 0;
  for (const e of info.exports) {
    const f = e.index;
    if (!tagged) break;
    if (e.kind !== EXTERN.func || f < imports || a.canUnwind[f] !== 1 || wrapperOf.has(f)) continue;
    const t = ctx.types[ctx.funcTypes[f]!]!;
    if (t.results.length > 1) continue;
    wrapperOf.set(f, funcsOut + functions.length);
    functions.push({ type: ctx.funcTypes[f]!, body: exportWrapper(t, func(f), cloneOf(f), state, unwindTag) });
  }
  const exports: Export[] = runtime.map((f, i) => ({ name: f.name, kind: EXTERN.func, index: funcsOut + i }));
  if (r.preempt) exports.push({ name: FUEL_EXPORT, kind: EXTERN.global, index: fuel });
  let exportedGlobals = 0;
  for (let i = info.globalImports; i < g; i++) {
    if (!info.globalMutable[i]) continue;
    exports.push({ name: `${GLOBAL_EXPORT_PREFIX}${i}`, kind: EXTERN.global, index: i });
    exportedGlobals++;
  }
  const taken = new Set(info.exports.map((e) => e.name));
  for (const e of exports) if (taken.has(e.name)) throw new LeanUnsupported(`a module that exports ${e.name} already`);

  // The frame helpers, made as the bodies ask for them (writeModule writes the code first).
  const helpers = new Map<string, { save: number; load: number }>();
  const frameHelpers = (vals: readonly ValType[]): { save: number; load: number } => {
    const key = vals.join();
    let h = helpers.get(key);
    if (h === undefined) {
      const made = frameHelpersFor(vals, data);
      h = { save: funcsOut + functions.length, load: funcsOut + functions.length + 1 };
      functions.push({ type: typeOf(made.save.type), body: made.save.body }, { type: typeOf(made.load.type), body: made.load.body });
      helpers.set(key, h);
    }
    return h;
  };
  const base = { ...(tagged ? { unwindTag } : {}), frameHelpers, func, callUnwinds: (i: number) => a.canUnwind[i] === 1, indirectUnwinds: a.indirectUnwinds, fuelAtLoops: r.preempt, state, data, fuel, preempt, importedFunctions: info.funcImports.length };
  const plans: readonly RewritePlan[] = [{ ...base, fuelAtEntry: false }, { ...base, fuelAtEntry: true }];
  const planOf = (f: number): RewritePlan => {
    const plan = plans[a.cuts.has(f) ? 1 : 0]!;
    if (cloneSlot.size === 0) return plan;
    // Without the tag, a rewinding caller calls the function itself and its entry check takes the rewind.
    return { ...plan, clones: { cloneOf, self: cloneOf(f), entered: !tagged || entered[f] === 1, callersEnterClone: tagged } };
  };
  const shifted = preemptImport !== null;
  const out = writeModule(info, {
    types,
    preemptImport,
    globals,
    functions,
    exports,
    ...(tagged ? { tagType: typeOf(VOID) } : {}),
    exportFunc: (f) => wrapperOf.get(f) ?? func(f),
    body: (i, b) => {
      const f = imports + i;
      // A function that cannot unwind keeps its bytes unless its calls' indices shift.
      if (a.canUnwind[f] !== 1 && !shifted) return null;
      const plan = planOf(f);
      const slot = cloneSlot.get(f);
      if (slot === undefined || body.rewriteBodyCloned === undefined) return body.rewriteBody(ctx, f, b, plan);
      const both = body.rewriteBodyCloned(ctx, f, b, plan);
      if (both === null) {
        // Nothing to instrument after all (its loops are dead code): the clone is the same body.
        slot.body = body.rewriteBody(ctx, f, b, plan);
        return slot.body;
      }
      slot.body = both.clone;
      return both.normal;
    },
  });
  let loops = 0;
  if (r.preempt) for (const s of scans) loops += s.loops;
  // Write tracking goes last, over every body this made (track.ts).
  return { bytes: r.trackWrites ? trackWrites(out) : out, report: { exportedGlobals, loops, bounded: 0, entries: a.cuts.size, indirectCallers: a.indirectCallers } };
}

/** transformLean's result, or null for a module it does not handle (LeanUnsupported, MalformedModule): Binaryen's then. */
export function leanOrNull(bytes: Uint8Array, opts: TransformOptions = {}, body: BodyEngine = BODY): { bytes: Uint8Array<ArrayBuffer>; report: LeanReport } | null {
  try {
    return transformLean(bytes, opts, body);
  } catch (e) {
    if (e instanceof LeanUnsupported || e instanceof MalformedModule) return null;
    throw e;
  }
}

/** The options Binaryen's transform runs with for a module the lean one refuses (TransformOptions.fallback). */
export function fallbackOptions(opts: TransformOptions): TransformOptions {
  const { engine: _, fallback, ...rest } = opts;
  return fallback === undefined ? rest : { ...rest, engine: fallback };
}

/**
 * The lean transform through the cache, without Binaryen: the cached module, or the lean one (stored),
 * or bytes null when the lean transform refuses the module: the caller runs Binaryen's transform with
 * fallbackOptions(opts) and stores it under key (the key names both engines).
 */
export function leanCached(bytes: Uint8Array, host: TransformHost, opts: TransformOptions): { key: string; bytes: Uint8Array<ArrayBuffer> | null } {
  const found = lookupTransform(bytes, host, opts);
  if (found.bytes !== undefined) return { key: found.key, bytes: found.bytes };
  const out = leanOrNull(bytes, opts);
  if (out !== null) host.cache.set(found.key, out.bytes);
  return { key: found.key, bytes: out?.bytes ?? null };
}

/**
 * An export's wrapper (types.ts RewritePlan.unwindTag): calls the function (its clone when rewinding),
 * and returns zeros when the unwind tag comes out of it, the state left unwinding for the caller to see.
 */
function exportWrapper(t: FuncType, target: number, clone: number, state: number, tag: number): Uint8Array {
  const w = new ByteWriter(32 + t.params.length * 2).u8(0); // no locals
  const bt = t.results[0] ?? BLOCK_EMPTY;
  const call = (f: number): void => {
    for (let i = 0; i < t.params.length; i++) w.u8(OP_LOCAL_GET).u32(i);
    w.u8(OP_CALL).u32(f);
  };
  w.u8(OP_TRY).u8(bt);
  if (clone >= 0) {
    w.u8(OP_GLOBAL_GET).u32(state).u8(OP_I32_CONST).u8(2).u8(OP_I32_EQ).u8(OP_IF).u8(bt); // rewinding?
    call(clone);
    w.u8(OP_ELSE);
    call(target);
    w.u8(OP_END);
  } else {
    call(target);
  }
  w.u8(OP_CATCH).u32(tag);
  for (const r of t.results) zero(w, r);
  w.u8(OP_END).u8(OP_END);
  return w.finish();
}
