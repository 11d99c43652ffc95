// `amber inspect` and `amber diff` for programs, like checkpointctl: what checkpoint images (directories,
// or archives unpacked into temporary ones) hold, and what changed between two, as the data models of
// runtime/inspect. Read-only: an image is opened as a restore opens it (every blob verified, nothing
// written beside or inside it), and no host directory an image names is touched.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CheckpointImage } from '../image/reader.js';
import { diffImages } from '../runtime/inspect/diff.js';
import type { ImageDiff } from '../runtime/inspect/imagediff.js';
import { inspectImage } from '../runtime/inspect/inspect.js';
import type { Inspection } from '../runtime/inspect/inspection.js';
import { amberRegistry } from '../sandbox/bindings.js';
import { openImage } from '../sandbox/restoreplan.js';
import { isArchive, withImportedImage } from './archive.js';

export type { ImageDiff, Inspection };

export interface InspectOptions {
  /** Add the process tree, each container's mount tree, each process's open files. */
  psTree?: boolean;
  mounts?: boolean;
  files?: boolean;
}

/** The bytes of every file under dir (lstat only: nothing is opened, followed or changed). */
function bytesOnDisk(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) total += bytesOnDisk(path);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

async function inspectDir(dir: string, opts: InspectOptions): Promise<Inspection> {
  const image = await openImage(dir);
  return inspectImage(image, bytesOnDisk(image.dir), amberRegistry(), { psTree: opts.psTree === true, mounts: opts.mounts === true, files: opts.files === true });
}

/** What the image at path holds: an image directory, or an archive (read as the directory it unpacks to). */
export async function inspectCheckpoint(path: string, opts: InspectOptions = {}): Promise<Inspection> {
  if (!isArchive(path)) return inspectDir(path, opts);
  const info = await withImportedImage(path, (dir) => inspectDir(dir, opts));
  return { ...info, image: resolve(path), size: { ...info.size, onDisk: statSync(path).size } };
}

/** Each image's inspection, in the order given (checkpointctl show of several checkpoints). */
export async function inspectCheckpoints(paths: readonly string[], opts: InspectOptions = {}): Promise<Inspection[]> {
  const out: Inspection[] = [];
  for (const path of paths) out.push(await inspectCheckpoint(path, opts));
  return out;
}

/** fn on the image at path opened (an archive unpacked for as long as fn runs); its dir as the user named it. */
async function withImage<T>(path: string, fn: (image: CheckpointImage, shown: string) => Promise<T>): Promise<T> {
  if (!isArchive(path)) {
    const image = await openImage(path);
    return fn(image, image.dir);
  }
  return withImportedImage(path, async (dir) => fn(await openImage(dir), resolve(path)));
}

/** What changed from image a to image b (directories or archives): memory pages, files, processes, mounts. */
export async function diffCheckpoints(a: string, b: string): Promise<ImageDiff> {
  return withImage(a, (ia, shownA) =>
    withImage(b, async (ib, shownB) => {
      const d = diffImages(ia, ib, amberRegistry());
      return { ...d, a: { ...d.a, image: shownA }, b: { ...d.b, image: shownB } };
    }));
}
