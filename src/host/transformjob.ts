// One module transform handed to a worker thread (host/transformworker.ts), the way a build tool runs a
// compiler in the background: the caller's thread keeps its event loop and is told how long the work
// has run, and the result lands in the per-user cache like any other. What goes in and comes back.
import { TransformError } from '../transform/errors.js';
import { entryScript } from './entryscript.js';
import type { NativeWasmOpt } from './wasmopt.js';

export interface TransformJob {
  /** The guest module as the user gave it. */
  bytes: Uint8Array;
  /** The cache (DirTransformCache) the transformed module is stored in. */
  cacheDir: string;
  /** The native wasm-opt that runs Asyncify (host/wasmopt.ts); null: binaryen.js does. */
  native: NativeWasmOpt | null;
  /** Run the lean transform (transform/lean/) first: Binaryen's only for a module it refuses. */
  lean: boolean;
  /** Transform it to track its writes (TransformOptions.trackWrites: a pod that asks). */
  trackWrites?: boolean;
}

export type TransformDone =
  | { ok: true; key: string; bytes: Uint8Array }
  | { ok: false; message: string; user: boolean };

/** How often onTick hears that the transform still runs. */
const TICK_MS = 250;

/**
 * Transforms job.bytes on a worker thread into job.cacheDir; resolves with the cache key and the
 * transformed bytes. onTick gets the milliseconds spent so far, every TICK_MS. A module the transform
 * refuses is a TransformError (one line); anything else the worker threw is an Error with its stack.
 */
export async function runTransformJob(job: TransformJob, onTick?: (ms: number) => void): Promise<{ key: string; bytes: Uint8Array }> {
  // Loaded only here, as host/cutthread.ts does: node:worker_threads loaded while a V8 startup snapshot
  // is built (the sandbox's, the command's) leaves every worker thread of the process started from it broken.
  const { Worker } = await import('node:worker_threads');
  const start = performance.now();
  const worker = new Worker(entryScript('transformworker'), { workerData: job });
  const ticker = onTick === undefined ? undefined : setInterval(() => onTick(performance.now() - start), TICK_MS);
  return new Promise<{ key: string; bytes: Uint8Array }>((resolve, reject) => {
    let answered = false;
    worker.once('message', (done: TransformDone) => {
      answered = true;
      if (done.ok) resolve({ key: done.key, bytes: done.bytes });
      else reject(done.user ? new TransformError(done.message) : new Error(`the module transform failed: ${done.message}`));
    });
    worker.once('error', (e) => {
      answered = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the module transform's thread exited (code ${code}) without an answer`));
    });
  }).finally(() => {
    if (ticker !== undefined) clearInterval(ticker);
    void worker.terminate();
  });
}
