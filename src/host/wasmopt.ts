// Debian's native Binaryen (`apt-get install binaryen`: its `wasm-opt`) as the engine that runs Asyncify
// after binaryen.js has put the fuel checks in (transform/transform.ts AsyncifyEngine): the same passes
// compiled to native code on every core, several times faster than binaryen.js on a large module and in
// a fraction of its memory. Found on PATH (AMBER_WASM_OPT names another binary, or `none` for binaryen.js).
// It runs with jemalloc preloaded where Debian's libjemalloc2 is installed: Binaryen's passes allocate and
// free without pause on every thread, glibc's malloc took ~17% of Asyncify's samples, and upstream's own
// release builds link another allocator for that reason (AMBER_WASM_OPT_MALLOC=none runs it without).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { LEAN_ENGINE, type TransformOptions } from '../transform/cache.js';
import { remember, remembered, statForMemo } from './filememo.js';
import type { AsyncifyEngine } from '../transform/transform.js';

/** The oldest wasm-opt whose Asyncify takes every pass argument the transform gives it. */
const OLDEST = 101;

/** Features of the modules Amber runs (transform.ts FEATURES), as wasm-opt flags; nothing else is enabled. */
const FEATURE_FLAGS = ['--mvp-features', '--enable-mutable-globals', '--enable-sign-ext', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-simd'];

export interface NativeWasmOpt {
  path: string;
  /** Its release, e.g. 108. */
  version: number;
  /** The engine's name in a transform's key: "wasm-opt-108". */
  engine: string;
  /** The allocator LD_PRELOADed into it (jemalloc), or null: the same output bytes either way, only faster. */
  preload: string | null;
}

/** Where Debian and its kin install jemalloc's shared library (libjemalloc2). */
const JEMALLOC = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].map((d) => join(d, 'libjemalloc.so.2'));

/** env with lib preloaded before whatever env preloads already. */
function withPreload(env: NodeJS.ProcessEnv, lib: string | null): NodeJS.ProcessEnv {
  if (lib === null) return env;
  const before = env['LD_PRELOAD'];
  return { ...env, LD_PRELOAD: before === undefined || before === '' ? lib : `${lib} ${before}` };
}

/**
 * wasm-opt on PATH, skipping node_modules/.bin: binaryen's npm package puts its JavaScript wasm-opt there
 * (npm test and npm run put that folder first), many times slower than Debian's native one.
 */
function nativeOnPath(env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '' || /node_modules[\\/]\.bin[\\/]?$/.test(dir)) continue;
    const candidate = join(dir, 'wasm-opt');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** `wasm-opt --version`'s release at path, remembered in memo (host/filememo.ts) by the binary's identity; NaN if it fails. */
function releaseOf(path: string, memo: string | undefined): number {
  const known = memo === undefined ? null : remembered(memo, 'wasm-opt-version', path);
  if (known !== null) return Number(known);
  const before = memo === undefined ? null : statForMemo(path);
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return NaN;
  const version = Number(/version (\d+)/.exec(r.stdout)?.[1] ?? NaN);
  if (memo !== undefined && before !== null && Number.isInteger(version)) remember(memo, 'wasm-opt-version', path, before, String(version));
  return version;
}

/**
 * The native wasm-opt to use, or null (none installed, too old, or AMBER_WASM_OPT=none). memo: where its
 * release is remembered, so that a command does not run it only to ask (~12 ms).
 */
export function findWasmOpt(env: NodeJS.ProcessEnv = process.env, memo?: string): NativeWasmOpt | null {
  const path = env['AMBER_WASM_OPT'] ?? nativeOnPath(env);
  if (path === null || path === 'none' || path === '') return null;
  const version = releaseOf(path, memo);
  if (!Number.isInteger(version) || version < OLDEST) return null;
  return { path, version, engine: `wasm-opt-${version}`, preload: jemalloc(env) };
}

/**
 * jemalloc's library if installed (a stat, no process: this runs on every cache lookup). A library that
 * cannot be preloaded only costs ld.so's warning; wasm-opt runs as it would without it.
 */
function jemalloc(env: NodeJS.ProcessEnv): string | null {
  if (env['AMBER_WASM_OPT_MALLOC'] === 'none') return null;
  return JEMALLOC.find((p) => existsSync(p)) ?? null;
}

/**
 * The transform's options for an engine: the native one named in the key, or binaryen.js (null); with
 * lean, Amber's lean transform, with that engine for the modules it refuses.
 */
export function engineOptions(native: NativeWasmOpt | null, lean = false): TransformOptions {
  const binaryen: TransformOptions = native === null ? {} : { engine: native.engine };
  if (!lean) return binaryen;
  return native === null ? { engine: LEAN_ENGINE } : { engine: LEAN_ENGINE, fallback: native.engine };
}

/** The AsyncifyEngine that runs wasm-opt at path on files in a temp folder of its own. */
export function wasmOptEngine(native: NativeWasmOpt): AsyncifyEngine {
  return (bytes, step) => {
    const dir = mkdtempSync(join(tmpdir(), 'amber-wasm-opt-'));
    try {
      const input = join(dir, 'in.wasm');
      const output = join(dir, 'out.wasm');
      writeFileSync(input, bytes);
      const args = [input, ...FEATURE_FLAGS, `--optimize-level=${step.optimizeLevel}`, '--shrink-level=0', '--asyncify'];
      for (const [k, v] of Object.entries(step.passArgs)) {
        // Long lists go through a file: binaryen reads "@@FILE" as the list FILE holds, comma-separated
        // as on the command line (wasm-opt 108 splits a file on commas only).
        if (v.length > 1000) {
          const list = join(dir, `${k}.txt`);
          writeFileSync(list, v);
          args.push(`--pass-arg=${k}@@${list}`);
        } else {
          args.push(`--pass-arg=${k}@${v}`);
        }
      }
      if (step.optimizeAfter && step.optimizeLevel > 0) args.push(`-O${step.optimizeLevel}`);
      args.push('--strip-debug', '-o', output);
      const r = spawnSync(native.path, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: withPreload(process.env, native.preload) });
      if (r.error !== undefined) throw r.error;
      if (r.status !== 0) throw new Error(`${native.path} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      // A list name it could not find leaves a function uninstrumented that must be: never run that.
      if (/non-existing function/.test(r.stderr)) throw new Error(`${native.path}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
      return new Uint8Array(readFileSync(output));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
