// The module transform (DESIGN.md §3): turns a guest's module into the one Amber runs, whose state can be
// saved and restored: every mutable global exported, a preemption check at loop heads and recursive
// function entries, and Binaryen's Asyncify so an import can unwind the stack and a later call rewind it.
// A snapshot fits only the exact transformed module, so the transform is versioned and cached by key
// (cache.ts, which a cache hit needs alone: this file loads Binaryen).
import binaryen from 'binaryen';
import {
  AMBER_MODULE,
  FUEL_EXPORT,
  GLOBAL_EXPORT_PREFIX,
  PREEMPT_IMPORT,
  SUSPENDING_IMPORTS,
} from '../wasi/transformed.js';
import {
  BINARYEN_VERSION,
  LEAN_ENGINE,
  lookupTransform,
  ownBuffer,
  resolveTransformOptions,
  transformKey,
  transformVersion,
  type TransformCache,
  type TransformHost,
  type TransformOptions,
} from './cache.js';
import { TransformError } from './errors.js';
import { unwindingIndirectCallers } from './indirect.js';
import { instrumentPreemption, type CallFacts, type PreemptStats } from './preempt.js';
import { fallbackOptions, leanOrNull } from './lean/lean.js';
import { trackWrites } from './track.js';
import { messageOf } from '../base/error.js';

export { AMBER_MODULE, FUEL_EXPORT, GLOBAL_EXPORT_PREFIX, PREEMPT_IMPORT, SUSPENDING_IMPORTS };
export { TransformError };
export { BINARYEN_VERSION, transformKey, transformVersion, type TransformCache, type TransformHost, type TransformOptions };

/**
 * What Node 20 can load, set on the module explicitly: Binaryen's defaults would let passes emit
 * features (reference types, multivalue, ...) the guest never used. Binaryen splits bulk memory in
 * two: BulkMemoryOpt is memory.copy and memory.fill, what `clang -mbulk-memory` emits; BulkMemory
 * without it fails an assertion inside Binaryen on the first such instruction. SIMD128 is what
 * `clang -msimd128` emits (v128 locals, which Asyncify saves and restores like any other); the passes
 * Amber runs emit none of it into a module that had none (all guests' output is the same with it).
 */
const FEATURES =
  binaryen.Features.MVP |
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128;

/** The transformed module for bytes, from the cache when it holds it, else transformed and stored. */
export function transformCached(bytes: Uint8Array, host: TransformHost, opts: TransformOptions = {}, engine?: AsyncifyEngine): { key: string; bytes: Uint8Array<ArrayBuffer> } {
  const found = lookupTransform(bytes, host, opts);
  if (found.bytes !== undefined) return { key: found.key, bytes: found.bytes };
  const out = transformModuleWithReport(bytes, opts, engine).bytes;
  host.cache.set(found.key, out);
  return { key: found.key, bytes: out };
}

// binaryen.js 132 takes the features as readBinary's second argument (its .d.ts names a function it lacks).
const readBinary = binaryen.readBinary as (data: Uint8Array, features?: binaryen.Features) => binaryen.Module;


/** What the transform did, for tests and benchmarks. */
export interface TransformReport extends PreemptStats {
  exportedGlobals: number;
  /** Functions whose indirect calls Asyncify instruments (null: all indirect calls are, names unlistable). */
  indirectCallers: number | null;
}

/**
 * Binaryen keeps its options in one process-wide place; a transform sets what it needs and puts back
 * what it found, so no caller sees another's settings.
 */
function withBinaryenOptions<T>(optimizeLevel: number, passArgs: Record<string, string>, fn: () => T): T {
  const saved = {
    optimize: binaryen.getOptimizeLevel(),
    shrink: binaryen.getShrinkLevel(),
    args: Object.keys(passArgs).map((k) => [k, binaryen.getPassArgument(k)] as const),
  };
  try {
    binaryen.setOptimizeLevel(optimizeLevel);
    binaryen.setShrinkLevel(0);
    for (const [k, v] of Object.entries(passArgs)) binaryen.setPassArgument(k, v);
    return fn();
  } finally {
    binaryen.setOptimizeLevel(saved.optimize);
    binaryen.setShrinkLevel(saved.shrink);
    for (const [k, v] of saved.args) binaryen.setPassArgument(k, v);
  }
}

/** fn's result with Binaryen's debug info (the names section) on, as it was after. */
function withBinaryenDebugInfo<T>(fn: () => T): T {
  const saved = binaryen.getDebugInfo();
  try {
    binaryen.setDebugInfo(true);
    return fn();
  } finally {
    binaryen.setDebugInfo(saved);
  }
}

/** Exports each mutable global the module defines as amber_global_<i>; returns how many. */
function exportMutableGlobals(mod: binaryen.Module): number {
  let n = 0;
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    if (!g.mutable || (g.module !== null && g.module !== '')) continue;
    mod.addGlobalExport(g.name, `${GLOBAL_EXPORT_PREFIX}${i}`);
    n++;
  }
  return n;
}

/** The internal name of an existing import module.base, if the module has one. */
function findImport(mod: binaryen.Module, module: string, base: string): string | undefined {
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (f.module === module && f.base === base) return f.name;
  }
  return undefined;
}

/** A name no function or global of mod has yet. */
function freshName(mod: binaryen.Module, base: string): string {
  const taken = (n: string): boolean => mod.getFunction(n) !== 0 || mod.getGlobal(n) !== 0;
  let name = base;
  for (let i = 1; taken(name); i++) name = `${base}_${i}`;
  return name;
}

/**
 * Refuses a module that Asyncify has transformed already (some language runtimes ship one): Asyncify
 * over Asyncify aborts inside Binaryen, and a second set of controls would fight the first.
 */
function refuseTransformed(mod: binaryen.Module): void {
  for (let i = 0; i < mod.getNumExports(); i++) {
    const name = binaryen.getExportInfo(mod.getExportByIndex(i)).name;
    if (name.startsWith('asyncify_')) {
      throw new TransformError(`already transformed by Asyncify (it exports ${name}): give Amber the module as built, before Asyncify`);
    }
  }
}

/** What an engine is asked to run after the checks are in: Asyncify and, if asked, the optimizer. */
export interface AsyncifyStep {
  /** Asyncify's pass arguments (asyncify-imports, asyncify-addlist, ...), as wasm-opt's --pass-arg takes them. */
  passArgs: Record<string, string>;
  optimizeLevel: number;
  optimizeAfter: boolean;
}

/**
 * Runs an AsyncifyStep on a module (names kept, so the lists resolve) and returns the module Amber runs,
 * limited to the features Node 20 loads: Debian's native `wasm-opt` (host/wasmopt.ts) is one, several
 * times faster than binaryen.js and on every core. Its name goes into TransformOptions.engine.
 */
export type AsyncifyEngine = (bytes: Uint8Array, step: AsyncifyStep) => Uint8Array;

/**
 * Transforms bytes and reports what was added; see transformModule. With the lean engine (LEAN_ENGINE), a
 * module the lean transform refuses is transformed here with opts.fallback's engine (engine runs it).
 */
export function transformModuleWithReport(bytes: Uint8Array, opts: TransformOptions = {}, engine?: AsyncifyEngine): { bytes: Uint8Array<ArrayBuffer>; report: TransformReport } {
  if (opts.engine === LEAN_ENGINE) {
    const lean = leanOrNull(bytes, opts);
    if (lean !== null) return lean;
    return transformModuleWithReport(bytes, fallbackOptions(opts), engine);
  }
  const r = resolveTransformOptions(opts);
  let mod: binaryen.Module;
  try {
    mod = readBinary(bytes, FEATURES);
  } catch (e) {
    throw new TransformError(`not a module Amber can transform: ${messageOf(e)}`);
  }
  try {
    refuseTransformed(mod);
    mod.setFeatures(FEATURES);
    const calls = new Map<string, CallFacts>();
    const report: TransformReport = { exportedGlobals: exportMutableGlobals(mod), loops: 0, bounded: 0, entries: 0, indirectCallers: null };
    if (r.preempt) {
      const fuel = freshName(mod, FUEL_EXPORT);
      mod.addGlobal(fuel, binaryen.i32, true, mod.i32.const(0));
      mod.addGlobalExport(fuel, FUEL_EXPORT);
      let preempt = findImport(mod, AMBER_MODULE, PREEMPT_IMPORT);
      if (preempt === undefined) {
        preempt = freshName(mod, 'amber_preempt');
        mod.addFunctionImport(preempt, AMBER_MODULE, PREEMPT_IMPORT, binaryen.none, binaryen.none);
      }
      Object.assign(report, instrumentPreemption(mod, { fuel, preempt }, { checkShortLoops: r.checkShortLoops, calls }));
    }
    const passArgs: Record<string, string> = {};
    if (r.asyncify) {
      passArgs['asyncify-imports'] = SUSPENDING_IMPORTS.join(',');
      const callers = unwindingIndirectCallers(mod, SUSPENDING_IMPORTS, calls);
      report.indirectCallers = callers?.length ?? null;
      if (callers !== null) {
        // Instrument only the indirect calls whose signature can unwind, and what calls into them.
        passArgs['asyncify-ignore-indirect'] = '1';
        passArgs['asyncify-propagate-addlist'] = '1';
        if (callers.length > 0) passArgs['asyncify-addlist'] = callers.join(',');
      }
    }
    // Write tracking goes last, over every body Asyncify's engine made (track.ts).
    const tracked = (out: Uint8Array): Uint8Array<ArrayBuffer> => (r.trackWrites ? trackWrites(out) : ownBuffer(out));
    if (engine !== undefined && r.asyncify) {
      const named = withBinaryenDebugInfo(() => mod.emitBinary());
      return { bytes: tracked(engine(named, { passArgs, optimizeLevel: r.optimizeLevel, optimizeAfter: r.optimizeAfter })), report };
    }
    withBinaryenOptions(r.optimizeLevel, passArgs, () => {
      if (r.asyncify) mod.runPasses(['asyncify']);
      if (r.optimizeAfter && r.optimizeLevel > 0) mod.optimize();
    });
    mod.setFeatures(FEATURES);
    if (!mod.validate()) throw new Error('Binaryen produced a module that does not validate');
    return { bytes: tracked(mod.emitBinary()), report };
  } catch (e) {
    // Binaryen aborts by throwing a bare pointer after printing why on stderr: one line, not a crash.
    if (e instanceof Error) throw e;
    throw new TransformError("Binaryen aborted while transforming it (its reason is on stderr above)");
  } finally {
    mod.dispose();
  }
}

/**
 * The module Amber runs for a guest's bytes: mutable globals exported (GLOBAL_EXPORT_PREFIX), fuel
 * checks calling `amber.preempt` when FUEL_EXPORT drops below 0 (the call must set the fuel above 0,
 * or a loop calls it again at once), Asyncify with SUSPENDING_IMPORTS and its `asyncify_*` exports,
 * features limited to what Node 20 loads. suspend.ts's Fiber runs it. Throws TransformError on a
 * module it cannot read.
 */
export function transformModule(bytes: Uint8Array, opts: TransformOptions = {}): Uint8Array<ArrayBuffer> {
  return transformModuleWithReport(bytes, opts).bytes;
}
