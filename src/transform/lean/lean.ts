// The lean unwinding transform (DESIGN.md §3, notes/lean.md): Asyncify's runtime protocol put into a
// module on its raw bytes, without Binaryen. module.ts reads and writes the sections, analysis.ts decides
// per function what can unwind and where fuel is checked, the body rewrite (body.ts) rewrites each body,
// runtime.ts adds asyncify_*. A module it does not handle is LeanUnsupported: Binaryen's transform runs then.
import { FUEL_EXPORT, GLOBAL_EXPORT_PREFIX } from '../../wasi/transformed.js';
import { lookupTransform, resolveTransformOptions, type TransformHost, type TransformOptions } from '../cache.js';
import { TransformError } from '../errors.js';
import type { PreemptStats } from '../preempt.js';
import { analyse, canonicalTypes } from './analysis.js';
import { rewriteBody, scanBody } from './body.js';
import { MalformedModule } from './bytes.js';
import { EXTERN, readModule, writeModule, funcMap, type Export, type NewGlobal } from './module.js';
import { asyncifyRuntime, VOID } from './runtime.js';
import { I32, LeanUnsupported, type BodyScan, type FuncType, type ModuleContext, type RewritePlan } from './types.js';

/** The body half of the transform (body.ts): a body's scan for the call graph, and its rewrite. */
export interface BodyEngine {
  scanBody(ctx: ModuleContext, body: Uint8Array): BodyScan;
  rewriteBody(ctx: ModuleContext, funcIndex: number, body: Uint8Array, plan: RewritePlan): Uint8Array;
}

/** The body half (body.ts). */
const BODY: BodyEngine = { scanBody, rewriteBody };

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
export function transformLean(bytes: Uint8Array, opts: TransformOptions = {}, body: BodyEngine = BODY): { bytes: Uint8Array<ArrayBuffer>; report: LeanReport } {
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
  // The fuel, and where a rewind keeps it aside (runtime.ts).
  if (r.preempt) globals.push({ type: I32, mutable: true, init: 0 }, { type: I32, mutable: true, init: 0 });
  const state = g;
  const data = g + 1;
  const fuel = r.preempt ? g + 2 : -1;

  const runtime = asyncifyRuntime(r.preempt ? { state, data, fuel: { fuel, saved: g + 3 } } : { state, data });
  const functions = runtime.map((f) => ({ type: typeOf(f.type), body: f.body }));
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

  const base = { func, callUnwinds: (i: number) => a.canUnwind[i] === 1, indirectUnwinds: a.indirectUnwinds, fuelAtLoops: r.preempt, state, data, fuel, preempt, importedFunctions: info.funcImports.length };
  const plans: readonly RewritePlan[] = [{ ...base, fuelAtEntry: false }, { ...base, fuelAtEntry: true }];
  const shifted = preemptImport !== null;
  const out = writeModule(info, {
    types,
    preemptImport,
    globals,
    functions,
    exports,
    body: (i, b) => {
      const f = imports + i;
      // A function that cannot unwind keeps its bytes unless its calls' indices shift.
      if (a.canUnwind[f] !== 1 && !shifted) return null;
      return body.rewriteBody(ctx, f, b, plans[a.cuts.has(f) ? 1 : 0]!);
    },
  });
  let loops = 0;
  if (r.preempt) for (const s of scans) loops += s.loops;
  return { bytes: out, report: { exportedGlobals, loops, bounded: 0, entries: a.cuts.size, indirectCallers: a.indirectCallers } };
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
