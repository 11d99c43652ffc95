// `amber prepare MODULE...`, like `wasmtime compile`: each module's transform (src/transform/) paid once,
// ahead of time, into the per-user cache that every state root shares. Pods, bundles, restores and execs
// call it before they ask a sandbox for anything, so a sandbox always finds its modules transformed and
// its start-up limit never counts a transform; while one runs the caller hears how long it has taken.
import { basename } from 'node:path';
import { ensureTransformed, type Prepared } from '../host/modulecache.js';
import type { OnProgress } from './progress.js';

export interface PreparedModule extends Prepared {
  /** The module file as given. */
  module: string;
}

/** Transforms every module the cache does not hold yet (each file once), in order; what each took. */
export async function prepareModules(modules: readonly string[], opts: { onProgress?: OnProgress; trackWrites?: boolean } = {}): Promise<PreparedModule[]> {
  const out: PreparedModule[] = [];
  for (const module of new Set(modules)) {
    const onProgress = opts.onProgress;
    const tick = onProgress === undefined ? {} : { onTick: (ms: number) => onProgress({ phase: `transforming ${basename(module)} (${(ms / 1000).toFixed(0)} s; once per module)` }) };
    out.push({ module, ...(await ensureTransformed(module, { ...tick, trackWrites: opts.trackWrites === true })) });
  }
  return out;
}
