// The modules a restore runs, like CRIU restoring a task from the very executable it dumped: a snapshot
// fits only the transformed module it was taken with (the image records its sha256 per container). An
// image carries that module (runtime/modules.ts), compiled here as it is: no .wasm file, no transform.
// An image of format 1 does not: its spec's module file is used, and a file whose own sha256 is the
// image's hash already is the transformed module, compiled as it is (so such an image restores on a
// machine whose transform has changed since); any other file is transformed as `pod run` would.
import { setRestoredGuestTier } from '../host/guesttier.js';
import { compileForPod, defaultCacheDir, prepareModule, sha256Hex, type LoadedModule } from '../host/modulecache.js';
import { inModule, inModuleAsync, readModuleFile } from '../host/modulefile.js';
import type { CheckpointImage } from '../image/reader.js';
import { carriedModule, modulePayloadName } from '../runtime/modules.js';
import { readPrograms } from '../runtime/programs.js';
import { withMemoryLimit } from './memorylimit.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { tracksWrites } from '../runtime/spec/trackwrites.js';
import { ownBuffer } from '../transform/cache.js';

/** The module at path for a snapshot that needs the transformed module of sha256 `want`. */
export async function restoreModuleFile(path: string, want: string | undefined, trackWrites = false): Promise<LoadedModule> {
  const bytes = readModuleFile(path);
  const hash = sha256Hex(bytes);
  if (hash === want) return inModule(path, () => ({ module: compileForPod(bytes, 'unchecked'), hash, bytes, sourceHash: null, transform: null }));
  return inModuleAsync(path, () => prepareModule(bytes, defaultCacheDir(), trackWrites));
}

/** The module of sha256 want that image carries, compiled; null if it carries none. */
function imageModule(image: CheckpointImage, want: string): LoadedModule | null {
  const carried = carriedModule(image, want, sha256Hex);
  if (carried === null) return null;
  const bytes = ownBuffer(carried.bytes);
  const where = `${image.dir}: payload "${modulePayloadName(want)}"`;
  return inModule(where, () => ({ module: compileForPod(bytes, 'unchecked'), hash: want, bytes, sourceHash: carried.sourceHash, transform: carried.transform }));
}

/**
 * The module files a restore of image into spec would transform: a container's that will run again,
 * whose module the image does not carry and whose file is not that module already. The client
 * transforms them (client/prepare.ts) before it starts the sandbox.
 */
export function modulesToTransform(image: CheckpointImage, spec: PodSpec): string[] {
  const programs = readPrograms(image).programs;
  const wanted = new Map(programs.map((r) => [r.container, r.moduleHash]));
  const exited = new Set(programs.filter((r) => r.state === 'exited').map((r) => r.container));
  return spec.containers
    .filter((c) => {
      if (exited.has(c.name)) return false;
      const want = wanted.get(c.name);
      if (want !== undefined && want !== '' && image.has(modulePayloadName(want))) return false;
      return sha256Hex(readModuleFile(c.module)) !== want;
    })
    .map((c) => c.module);
}

/**
 * loadRestoreModules() when image carries every module it needs (what a sandbox may compile before it
 * knows its pod: no module file read, nothing transformed); null when it does not.
 */
export async function carriedRestoreModules(image: CheckpointImage, spec: PodSpec): Promise<Map<string, LoadedModule> | null> {
  const programs = readPrograms(image).programs;
  const wanted = new Map(programs.map((r) => [r.container, r.moduleHash]));
  const exited = new Set(programs.filter((r) => r.state === 'exited').map((r) => r.container));
  const live = spec.containers.filter((c) => !exited.has(c.name));
  if (!live.every((c) => image.has(modulePayloadName(wanted.get(c.name) ?? '')))) return null;
  return loadRestoreModules(image, spec);
}

/** Each container's module for a restore of image into spec, by container name; none for one that exited. */
export async function loadRestoreModules(image: CheckpointImage, spec: PodSpec): Promise<Map<string, LoadedModule>> {
  const programs = readPrograms(image).programs;
  const wanted = new Map(programs.map((r) => [r.container, r.moduleHash]));
  const exited = new Set(programs.filter((r) => r.state === 'exited').map((r) => r.container));
  const out = new Map<string, LoadedModule>();
  setRestoredGuestTier(); // before any compile, and before the rewinds that prove each saved stack
  for (const c of spec.containers) {
    if (exited.has(c.name)) continue; // it will not run again
    const want = wanted.get(c.name);
    const carried = want === undefined || want === '' ? null : imageModule(image, want);
    out.set(c.name, await withMemoryLimit(carried ?? await restoreModuleFile(c.module, want, tracksWrites(spec)), spec, c));
  }
  return out;
}
