// `amber prepare MODULE...`, like `wasmtime compile`: transforms each module into the per-user cache that
// every state root shares, so a later `pod run`, `run --bundle`, `restore` or `exec` of it starts at once.
// One line per module on stdout (transformed now, and how long it took, or found in the cache); a
// progress line on a terminal while a transform runs.
import { prepareModules } from '../client/prepare.js';
import { progressLine } from './progress.js';

export async function prepareVerb(modules: readonly string[], trackWrites = false): Promise<void> {
  for (const module of modules) {
    const progress = progressLine('prepare');
    let r;
    try {
      [r] = await prepareModules([module], { ...(progress.live ? { onProgress: (e) => ('phase' in e ? progress.phase(e.phase) : undefined) } : {}), trackWrites });
    } finally {
      progress.done();
    }
    if (r === undefined) continue;
    process.stdout.write(r.transformed ? `${module}: transformed in ${(r.ms / 1000).toFixed(1)} s\n` : `${module}: already prepared\n`);
  }
}
