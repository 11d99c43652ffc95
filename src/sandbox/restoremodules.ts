// The modules a restore runs, like CRIU restoring a task from the very executable it dumped: a snapshot
// fits only the transformed module it was taken with (the image records its sha256 per container). A
// module file whose own sha256 is that hash already is the transformed module, so it is compiled as it
// is (how an image of format 1, which names its modules by host path, restores on a machine whose
// transform has changed since); any other file is transformed as `pod run` would (host/modulecache.ts).
import { prepareModule, sha256Hex, type LoadedModule } from '../host/modulecache.js';
import { inModule, inModuleAsync, readModuleFile } from '../host/modulefile.js';
import type { CheckpointImage } from '../image/reader.js';
import { readPrograms } from '../runtime/programs.js';
import type { PodSpec } from '../runtime/spec/podspec.js';

/** The module at path for a snapshot that needs the transformed module of sha256 `want`. */
export async function restoreModuleFile(path: string, want: string | undefined): Promise<LoadedModule> {
  const bytes = readModuleFile(path);
  const hash = sha256Hex(bytes);
  if (hash === want) return inModule(path, () => ({ module: new WebAssembly.Module(bytes), hash }));
  return inModuleAsync(path, () => prepareModule(bytes));
}

/** Each container's module for a restore of image into spec, by container name. */
export async function loadRestoreModules(image: CheckpointImage, spec: PodSpec): Promise<Map<string, LoadedModule>> {
  const wanted = new Map(readPrograms(image).programs.map((r) => [r.container, r.moduleHash]));
  const out = new Map<string, LoadedModule>();
  for (const c of spec.containers) out.set(c.name, await restoreModuleFile(c.module, wanted.get(c.name)));
  return out;
}
