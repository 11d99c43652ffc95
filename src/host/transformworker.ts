// The module transform on a thread of its own (node:worker_threads), like a compiler run in the
// background: Binaryen works synchronously for seconds to minutes on a large module, so the thread that
// asked keeps its event loop (progress on a terminal, a control socket) while this one transforms.
// workerData is a TransformJob; the one message posted back is a TransformDone.
import { parentPort, workerData } from 'node:worker_threads';
import { AmberError } from '../base/error.js';
import { ownBuffer } from '../transform/cache.js';
import type { TransformJob, TransformDone } from './transformjob.js';
import { DirTransformCache, InvalidModuleError, podTransformOptions, sha256Hex } from './modulecache.js';
import { engineOptions, wasmOptEngine } from './wasmopt.js';

const job = workerData as TransformJob;
let done: TransformDone;
try {
  const native = job.native;
  const options = podTransformOptions(engineOptions(native, job.lean), job.trackWrites === true);
  const host = { hash: sha256Hex, cache: new DirTransformCache(job.cacheDir) };
  const engine = native === null ? undefined : wasmOptEngine(native);
  // The lean transform never loads binaryen.js (~1 s); Binaryen's transform is loaded for what it refuses.
  const lean = job.lean ? (await import('../transform/lean/lean.js')).leanCached(job.bytes, host, options) : null;
  if (lean === null) {
    const { transformCached } = await import('../transform/transform.js');
    const r = transformCached(job.bytes, host, options, engine);
    done = { ok: true, key: r.key, bytes: r.bytes };
  } else if (lean.bytes !== null) {
    done = { ok: true, key: lean.key, bytes: lean.bytes };
  } else {
    const { transformModuleWithReport } = await import('../transform/transform.js');
    const { fallbackOptions } = await import('../transform/lean/lean.js');
    const bytes = transformModuleWithReport(job.bytes, fallbackOptions(options), engine).bytes;
    host.cache.set(lean.key, bytes);
    done = { ok: true, key: lean.key, bytes };
  }
} catch (e) {
  // An AmberError is a refusal to show as it is, as is a module that does not validate because its input
  // does not; anything else is a bug (a transform that made an invalid module of a valid one), with its stack.
  if (e instanceof InvalidModuleError && !WebAssembly.validate(ownBuffer(job.bytes))) {
    done = { ok: false, message: 'not a valid WebAssembly module (WebAssembly.validate() refuses it)', user: true };
  } else {
    done = { ok: false, message: e instanceof AmberError ? e.line : e instanceof Error ? (e.stack ?? e.message) : String(e), user: e instanceof AmberError };
  }
}
parentPort?.postMessage(done);
