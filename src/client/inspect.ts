// `amber inspect` for programs, like checkpointctl: what a checkpoint image (a directory, or an archive
// unpacked into a temporary one) holds, as the data model of runtime/inspect. Read-only: the image is
// opened as a restore opens it (every blob verified, nothing written beside or inside it), and no host
// directory the image names is touched.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectImage } from '../runtime/inspect/inspect.js';
import type { Inspection } from '../runtime/inspect/inspection.js';
import { amberRegistry } from '../sandbox/bindings.js';
import { openImage } from '../sandbox/restoreplan.js';
import { isArchive, withImportedImage } from './archive.js';

export type { Inspection };

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
