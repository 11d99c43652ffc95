// The module transform (DESIGN.md §3): turns a guest's module into the one Amber runs, whose state can be
// saved and restored: every mutable global exported, a preemption check at loop heads and recursive
// function entries, and Binaryen's Asyncify so an import can unwind the stack and a later call rewind it.
// A snapshot fits only the exact transformed module, so the transform is versioned and cached by key.
import binaryen from 'binaryen';
import { AmberError } from '../base/error.js';
import {
  AMBER_MODULE,
  FUEL_EXPORT,
  GLOBAL_EXPORT_PREFIX,
  PREEMPT_IMPORT,
  SUSPENDING_IMPORTS,
} from '../wasi/transformed.js';
import { unwindingIndirectCallers } from './indirect.js';
import { instrumentPreemption, type PreemptStats } from './preempt.js';

export { AMBER_MODULE, FUEL_EXPORT, GLOBAL_EXPORT_PREFIX, PREEMPT_IMPORT, SUSPENDING_IMPORTS };

/** The Binaryen release the transform is built with; a test checks it against the installed package. */
export const BINARYEN_VERSION = '132';

/**
 * What Node 20 can load, set on the module explicitly: Binaryen's defaults would let passes emit
 * features (reference types, multivalue, ...) the guest never used.
 */
const FEATURES =
  binaryen.Features.MVP |
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.NontrappingFPToInt;

export interface TransformOptions {
  /** Add the fuel checks (loop heads, recursive function entries). Default true. */
  preempt?: boolean;
  /** Check provably short loops too (bounded.ts); only benchmarks want this. Default false. */
  checkShortLoops?: boolean;
  /** Run Asyncify. Default true; false gives the "checks alone" module benchmarks compare. */
  asyncify?: boolean;
  /** Binaryen's optimize level for Asyncify and the passes after it. Default 2. */
  optimizeLevel?: number;
}

interface Resolved {
  preempt: boolean;
  checkShortLoops: boolean;
  asyncify: boolean;
  optimizeLevel: number;
}

function resolve(opts: TransformOptions): Resolved {
  return {
    preempt: opts.preempt ?? true,
    checkShortLoops: opts.checkShortLoops ?? false,
    asyncify: opts.asyncify ?? true,
    optimizeLevel: opts.optimizeLevel ?? 2,
  };
}

/**
 * Names the transform's version: Binaryen's release and every option that changes the output bytes.
 * Bump the leading number whenever this file or preempt.ts changes what they emit.
 */
export function transformVersion(opts: TransformOptions = {}): string {
  const r = resolve(opts);
  const parts = [`amber-asyncify.2`, `binaryen-${BINARYEN_VERSION}`, `O${r.optimizeLevel}`];
  if (r.preempt) parts.push(r.checkShortLoops ? 'preempt-all-loops-recursion' : 'preempt-unbounded-loops-recursion');
  if (r.asyncify) parts.push('asyncify-wasi-amber-indirect-by-signature');
  return parts.join('.');
}

/** The cache key of a module's transformed bytes: the input's hash (as the host computes it) and the version. */
export function transformKey(inputHash: string, opts: TransformOptions = {}): string {
  if (!/^[A-Za-z0-9._:-]+$/.test(inputHash)) throw new Error(`transformKey: expected a hash of [A-Za-z0-9._:-], found ${JSON.stringify(inputHash)}`);
  return `${inputHash}.${transformVersion(opts)}`;
}

/** Where transformed modules are kept between runs; the host implements it (a directory, a Map in tests). */
export interface TransformCache {
  get(key: string): Uint8Array | undefined;
  set(key: string, bytes: Uint8Array): void;
}

/** What transformCached needs from the host: a content hash and a cache. */
export interface TransformHost {
  /** A stable content hash of bytes (e.g. hex SHA-256); only [A-Za-z0-9._:-]. */
  hash(bytes: Uint8Array): string;
  cache: TransformCache;
}

/** The transformed module for bytes, from the cache when it holds it, else transformed and stored. */
export function transformCached(bytes: Uint8Array, host: TransformHost, opts: TransformOptions = {}): { key: string; bytes: Uint8Array<ArrayBuffer> } {
  const key = transformKey(host.hash(bytes), opts);
  const hit = host.cache.get(key);
  if (hit !== undefined) return { key, bytes: ownBuffer(hit) };
  const out = transformModule(bytes, opts);
  host.cache.set(key, out);
  return { key, bytes: out };
}

// binaryen.js 132 takes the features as readBinary's second argument (its .d.ts names a function it lacks).
const readBinary = binaryen.readBinary as (data: Uint8Array, features?: binaryen.Features) => binaryen.Module;

/** bytes over an ArrayBuffer of its own type (what WebAssembly.Module takes), copied only when shared. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** The module cannot be transformed (features Amber does not run, a malformed binary). */
export class TransformError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'TransformError';
  }
}

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

/** Transforms bytes and reports what was added; see transformModule. */
export function transformModuleWithReport(bytes: Uint8Array, opts: TransformOptions = {}): { bytes: Uint8Array<ArrayBuffer>; report: TransformReport } {
  const r = resolve(opts);
  let mod: binaryen.Module;
  try {
    mod = readBinary(bytes, FEATURES);
  } catch (e) {
    throw new TransformError(`not a module Amber can transform: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    mod.setFeatures(FEATURES);
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
      Object.assign(report, instrumentPreemption(mod, { fuel, preempt }, { checkShortLoops: r.checkShortLoops }));
    }
    const passArgs: Record<string, string> = {};
    if (r.asyncify) {
      passArgs['asyncify-imports'] = SUSPENDING_IMPORTS.join(',');
      const callers = unwindingIndirectCallers(mod, SUSPENDING_IMPORTS);
      report.indirectCallers = callers?.length ?? null;
      if (callers !== null) {
        // Instrument only the indirect calls whose signature can unwind, and what calls into them.
        passArgs['asyncify-ignore-indirect'] = '1';
        passArgs['asyncify-propagate-addlist'] = '1';
        if (callers.length > 0) passArgs['asyncify-addlist'] = callers.join(',');
      }
    }
    withBinaryenOptions(r.optimizeLevel, passArgs, () => {
      if (r.asyncify) mod.runPasses(['asyncify']);
      if (r.optimizeLevel > 0) mod.optimize();
    });
    mod.setFeatures(FEATURES);
    if (!mod.validate()) throw new Error('Binaryen produced a module that does not validate');
    return { bytes: ownBuffer(mod.emitBinary()), report };
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
