// A detached restore's sandbox restoring before it knows its pod, as a pre-forked worker warms up for
// its job: bin/amber starts it beside the command and names the image (sandbox/idbeside.ts), and while
// the command reads that image and makes the pod, the sandbox opens it, compiles the modules it carries
// and reads each program's memory into a fresh instance, verifying every blob (runtime/restore.ts
// restoreEarly). What depends on the pod (its id, logs, volumes, a spec given) waits for launch.json;
// the work is used only for a launch that restores this very image as it holds it (usableFor).
import { resolve } from 'node:path';
import { AmberError } from '../base/error.js';
import { NodeImageStore } from '../host/imagestore.js';
import type { LoadedModule } from '../host/modulecache.js';
import type { CheckpointImage } from '../image/reader.js';
import { staleLeftovers } from '../image/recover.js';
import { restoreEarly, type EarlyFiber } from '../runtime/restore.js';
import { savedSpecOf } from '../runtime/spec/saved.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { memoryLimitOf } from './memorylimit.js';
import type { Launch } from './protocol.js';
import { carriedRestoreModules } from './restoremodules.js';
import { openImage } from './restoreplan.js';

/** The restore begun before the pod was made: its image, modules and fibers (their memory on its way in). */
export interface EarlyRestore {
  /** The image path, absolute. */
  readonly imagePath: string;
  readonly image: CheckpointImage;
  /** The spec the modules were chosen for: the image's own. */
  readonly spec: PodSpec;
  readonly modules: Map<string, LoadedModule>;
  readonly fibers: Map<string, EarlyFiber>;
  /** When the image was open and the reads begun: ms since this process started. */
  readonly begunAt: number;
  /** Where the image's read progress goes from now on (the pod's progress file, once there is a pod). */
  progressTo(sink: (done: number, total: number) => void): void;
}

/**
 * Begins restoring the image at imagePath; null when there is nothing to begin: an image this cannot
 * open (the launch's own restore then says why, as one line), one with leftovers of a checkpoint that
 * died beside it (the restore cleans those first: image/recover.ts), one whose modules it does not carry.
 */
export async function beginRestore(imagePath: string): Promise<EarlyRestore | null> {
  const abs = resolve(imagePath);
  try {
    if (staleLeftovers(new NodeImageStore(), abs).length > 0) return null;
    let sink: ((done: number, total: number) => void) | null = null;
    const image = await openImage(abs, { lazy: true, onProgress: (done, total) => sink?.(done, total) });
    const spec = savedSpecOf(image.config.meta, image.dir);
    if (spec === undefined) return null;
    const modules = await carriedRestoreModules(image, spec);
    if (modules === null) return null;
    const fibers = restoreEarly(image, modules);
    return { imagePath: abs, image, spec, modules, fibers, begunAt: performance.now(), progressTo: (s) => void (sink = s) };
  } catch (e) {
    if (e instanceof AmberError) return null;
    throw e;
  }
}

/** Each container's memory limit under spec, the one thing of a spec a carried module is compiled for (memorylimit.ts). */
function limitsOf(spec: PodSpec): string {
  return spec.containers.map((c) => `${c.name}=${memoryLimitOf(spec, c) ?? 'none'}`).sort().join(',');
}

/**
 * Whether launch restores exactly what early began: the same image path holding the same manifest (the
 * command read it after the sandbox did), with the modules early compiled (a spec given that sets other
 * memory limits needs others), every container restored at once (not runc's claims, whose bundles may
 * set other limits too), and not asked to hash every blob (--verify).
 */
export function usableFor(early: EarlyRestore, launch: Extract<Launch, { mode: 'restore' }>): boolean {
  return (
    resolve(launch.imagePath) === early.imagePath &&
    launch.manifestDigest === early.image.manifestDigest &&
    (launch.spec === undefined || limitsOf(launch.spec.spec) === limitsOf(early.spec)) &&
    launch.replace === undefined &&
    launch.awaitClaims !== true &&
    launch.verify !== true // early trusted the memory parts the records of verified blobs vouch for
  );
}
