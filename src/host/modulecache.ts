// Guest modules as Amber runs them: read from the host, transformed once (transform/transform.ts) and cached
// on disk by input hash and transform version, compiled by V8. The transformed module's hash goes into
// every checkpoint image: a snapshot fits only that exact module. A cache hit never loads Binaryen: the
// transform (transform/transform.ts) is imported on a miss only.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { AmberError } from '../base/error.js';
import { amberCacheDir } from './cachedir.js';
import { lookupTransform, ownBuffer, transformKey, transformVersion, type TransformCache, type TransformOptions } from '../transform/cache.js';
import { OPTIMIZE_FIRST_MAX_BYTES, setGuestTier } from './guesttier.js';
import { inModule, inModuleAsync, readModuleFile } from './modulefile.js';
import { remember, remembered, statForMemo } from './filememo.js';
import { engineOptions, findWasmOpt, type NativeWasmOpt } from './wasmopt.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What DirTransformCache.set refuses: bytes that are not a valid WebAssembly module. */
export class InvalidModuleError extends Error {
  constructor() {
    super('the transformed module does not validate');
    this.name = 'InvalidModuleError';
  }
}

/**
 * A directory of transformed modules, one file per key, written atomically. It holds only modules
 * WebAssembly.validate() accepted when they were stored, and gives out only files that still validate
 * (get): a pod compiles them lazily validated (compileForPod).
 */
export class DirTransformCache implements TransformCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Whether the cache holds key, without reading it (a transformed yosys is 64 MB). */
  has(key: string): boolean {
    return existsSync(join(this.dir, `${key}.wasm`));
  }

  /**
   * The module stored under key, or undefined (a miss) when there is none or it no longer validates: a
   * file damaged after it was stored must not reach a lazily validating compile. The whole check
   * (~145 ms for a transformed yosys) is paid once per file: a file found valid is remembered by its
   * identity and times (host/filememo.ts), and any write to it forgets that.
   */
  get(key: string): Uint8Array | undefined {
    const path = join(this.dir, `${key}.wasm`);
    const before = statForMemo(path);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = ownBuffer(readFileSync(path));
    } catch {
      return undefined;
    }
    const memo = memoDir(this.dir);
    if (remembered(memo, 'validated', path, before) === 'yes') return bytes;
    if (!WebAssembly.validate(bytes)) return undefined;
    if (before !== null) remember(memo, 'validated', path, before, 'yes');
    return bytes;
  }

  /** Stores bytes under key (a failed write only costs time); InvalidModuleError when they do not validate. */
  set(key: string, bytes: Uint8Array): void {
    if (!WebAssembly.validate(ownBuffer(bytes))) throw new InvalidModuleError();
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = join(this.dir, `.${key}.${process.pid}.tmp`);
      writeFileSync(tmp, bytes);
      renameSync(tmp, join(this.dir, `${key}.wasm`));
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
}

export function defaultCacheDir(): string {
  return amberCacheDir('modules');
}

export interface LoadedModule {
  module: WebAssembly.Module;
  /** sha256 of the transformed bytes (prepareModule computes it when first read: a checkpoint or a restore's check). */
  readonly hash: string;
  /** The transformed bytes, which a checkpoint image carries (runtime/modules.ts). */
  bytes: Uint8Array<ArrayBuffer>;
  /** sha256 of the module as given, before the transform; null when not known (a transformed module given). */
  sourceHash: string | null;
  /** The transform's version (transform/cache.ts); null when not known. */
  transform: string | null;
}

/** How a host transforms (hostTransform): the options, the native wasm-opt if any, and whether the lean engine runs first. */
export interface HostTransform {
  options: TransformOptions;
  native: NativeWasmOpt | null;
  lean: boolean;
}

/**
 * How this host transforms: the lean transform (transform/lean/) first, unless AMBER_TRANSFORM=binaryen
 * asks for Binaryen's alone (AMBER_TRANSFORM=lean names the default); Binaryen's Asyncify (for lean: for a
 * module it refuses) by a native
 * wasm-opt when one is installed (host/wasmopt.ts), else by binaryen.js. Client and sandbox both ask (the
 * sandbox inherits the environment), so both look for the same key.
 */
export function hostTransform(env: NodeJS.ProcessEnv = process.env, memo?: string): HostTransform {
  const choice = env['AMBER_TRANSFORM'] ?? '';
  if (choice !== '' && choice !== 'lean' && choice !== 'binaryen') throw new AmberError(`AMBER_TRANSFORM: expected lean or binaryen, found ${JSON.stringify(choice)}`);
  const lean = choice !== 'binaryen';
  const native = findWasmOpt(env, memo);
  return { options: engineOptions(native, lean), native, lean };
}

/** The options of a pod's transform: the host's, with write tracking when the pod asks (runtime/spec/trackwrites.ts). */
export function podTransformOptions(options: TransformOptions, trackWrites: boolean): TransformOptions {
  return trackWrites ? { ...options, trackWrites: true } : options;
}

/**
 * The transformed bytes for a guest's bytes: from the cache in cacheDir, else transformed and stored there
 * on a worker thread (host/transformjob.ts), as ensureTransformed does: this thread keeps its event loop
 * (a sandbox its control socket), and Binaryen and the transform load only in that thread (a sandbox
 * started from its snapshot could not load them: sandbox/snapshot.ts).
 */
async function transformedBytes(bytes: Uint8Array, sourceHash: string, cacheDir: string, trackWrites: boolean): Promise<{ bytes: Uint8Array<ArrayBuffer>; version: string }> {
  const host = { hash: (b: Uint8Array) => (b === bytes ? sourceHash : sha256Hex(b)), cache: new DirTransformCache(cacheDir) };
  const how = hostTransform(process.env, memoDir(cacheDir));
  const options = podTransformOptions(how.options, trackWrites);
  const version = transformVersion(options);
  const found = lookupTransform(bytes, host, options);
  if (found.bytes !== undefined) return { bytes: found.bytes, version };
  const { runTransformJob } = await import('./transformjob.js');
  return { bytes: ownBuffer((await runTransformJob({ bytes, cacheDir, native: how.native, lean: how.lean, trackWrites })).bytes), version };
}

/** Where ensureTransformed left a module: what a process that runs it next needs to load it unread. */
export interface PreparedKey {
  /** The cache key its transformed module is stored under. */
  key: string;
  /** sha256 of the module as given. */
  sourceHash: string;
  /** The transform's version (transform/cache.ts). */
  transform: string;
}

/** What ensureTransformed found or did for one module. */
export interface Prepared extends PreparedKey {
  /** Whether it was transformed now (false: the cache held it already). */
  transformed: boolean;
  ms: number;
}

/** Where the hashes of module files (and wasm-opt's release) are remembered (host/filememo.ts), beside the modules they key. */
export function memoDir(cacheDir: string): string {
  return join(cacheDir, 'files');
}

/**
 * Makes the per-user cache hold the transformed module of the file at path, like `wasmtime compile`:
 * a hit costs a stat when the file's hash is remembered (host/filememo.ts), else a hash; a miss
 * transforms on a worker thread (host/transformjob.ts), telling onTick the milliseconds spent every
 * quarter second, so a caller can draw progress and a sandbox started after it finds the module at
 * once. A one-line error naming path otherwise.
 */
export async function ensureTransformed(path: string, opts: { onTick?: (ms: number) => void; cacheDir?: string; trackWrites?: boolean } = {}): Promise<Prepared> {
  const start = performance.now();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const memo = memoDir(cacheDir);
  const how = hostTransform(process.env, memo);
  const trackWrites = opts.trackWrites === true;
  const options = podTransformOptions(how.options, trackWrites);
  const transform = transformVersion(options);
  const cache = new DirTransformCache(cacheDir);
  const known = remembered(memo, 'sha256', path);
  if (known !== null) {
    const key = transformKey(known, options);
    if (cache.has(key)) return { key, sourceHash: known, transform, transformed: false, ms: performance.now() - start };
  }
  const before = statForMemo(path);
  const bytes = readModuleFile(path);
  const sourceHash = sha256Hex(bytes);
  if (before !== null) remember(memo, 'sha256', path, before, sourceHash);
  const key = transformKey(sourceHash, options);
  if (cache.has(key)) return { key, sourceHash, transform, transformed: false, ms: performance.now() - start };
  const { runTransformJob } = await import('./transformjob.js');
  const r = await inModuleAsync(path, () => runTransformJob({ bytes, cacheDir, native: how.native, lean: how.lean, trackWrites }, opts.onTick));
  return { key: r.key, sourceHash, transform, transformed: true, ms: performance.now() - start };
}

/**
 * Where a pod's module bytes come from: this user's module cache, which holds only modules the transform
 * worker validated before it stored them (host/transformworker.ts), or anything else (a checkpoint
 * image's payload, a file given as the transformed module): bytes nobody here has validated.
 */
export type ModuleSource = 'cache' | 'unchecked';

/**
 * A transformed module compiled for a pod's process. A big one switches the process's guests to Liftoff
 * (with tier-up, or alone for a huge one: host/guesttier.ts), as `amber do` runs it, and for good: a pod's
 * process may hold several modules, and the one that calls hundreds of functions once must not pay
 * TurboFan for each. V8 validates each function when it first compiles it (--wasm-lazy-validation), not
 * the whole module first: a module from the cache was validated when it was stored (transformed yosys,
 * 64 MB: 145 ms of a warm pod's compile, 41 ms without), and unchecked bytes are validated here, whole,
 * as a compile would, before V8 takes them (a restore still refuses a forged module before it runs).
 */
export function compileForPod(bytes: Uint8Array<ArrayBuffer>, source: ModuleSource): WebAssembly.Module {
  if (bytes.length > OPTIMIZE_FIRST_MAX_BYTES) setGuestTier(bytes.length);
  // For the whole process, never turned off: V8 aborts (a failed CHECK, not a CompileError) when it
  // compiles a function that fails validation of a module compiled lazily validated with the flag off.
  setFlagsFromString('--wasm-lazy-validation');
  if (source === 'unchecked' && !WebAssembly.validate(bytes)) throw new WebAssembly.CompileError('WebAssembly.validate() refuses it');
  return new WebAssembly.Module(bytes);
}

/** The transformed, compiled module for a guest's bytes (compileForPod); trackWrites: transformed to track them. */
export async function prepareModule(bytes: Uint8Array, cacheDir: string = defaultCacheDir(), trackWrites = false): Promise<LoadedModule> {
  const sourceHash = sha256Hex(bytes);
  const t = await transformedBytes(bytes, sourceHash, cacheDir, trackWrites);
  return loadedModule(t.bytes, sourceHash, t.version);
}

function loadedModule(bytes: Uint8Array<ArrayBuffer>, sourceHash: string, transform: string): LoadedModule {
  let hash: string | undefined;
  return {
    module: compileForPod(bytes, 'cache'),
    get hash() {
      return (hash ??= sha256Hex(bytes));
    },
    bytes,
    sourceHash,
    transform,
  };
}

/**
 * The module at path transformed (cached by content) and compiled; a one-line error naming path otherwise.
 * Given where ensureTransformed just left it (in this process: a foreground pod), the cached module is
 * loaded by that key, without reading and hashing the file again or asking wasm-opt its version.
 */
export async function prepareModuleFile(path: string, prepared?: PreparedKey, trackWrites = false): Promise<LoadedModule> {
  if (prepared !== undefined) {
    const hit = new DirTransformCache(defaultCacheDir()).get(prepared.key);
    if (hit !== undefined) return inModule(path, () => loadedModule(ownBuffer(hit), prepared.sourceHash, prepared.transform));
  }
  const bytes = readModuleFile(path);
  return inModuleAsync(path, () => prepareModule(bytes, defaultCacheDir(), trackWrites));
}
