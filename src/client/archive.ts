// Checkpoint archives for programs, as podman's `checkpoint --export FILE` and `restore --import FILE`:
// an image directory exported to one file (tar, .tar.gz or .tar.zst, by its name; host/archive.ts), and
// an archive imported into a temporary image directory that lives as long as the caller needs it.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AmberError } from '../base/error.js';
import { compressionOfName, readArchive, writeArchive, type ArchiveCompression } from '../host/archive.js';

/** How file's name says to compress it; an AmberError for a name that says nothing (before any work). */
export function archiveCompression(file: string): ArchiveCompression {
  const c = compressionOfName(file);
  if (c === null) throw new AmberError(`${file}: an archive's name ends in .tar, .tar.gz or .tar.zst`);
  return c;
}

/** Writes image directory dir as archive file, replacing one there only once it is complete. */
export async function exportImage(dir: string, file: string): Promise<void> {
  await writeArchive(resolve(dir), resolve(file), archiveCompression(file));
}

/** An archive unpacked into a temporary image directory; close() removes it. */
export interface ImportedImage {
  readonly dir: string;
  close(): void;
}

/** Whether path names a file (an archive) rather than a directory (an image). */
export function isArchive(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Unpacks archive file into a new temporary directory (removed again if the archive is refused). */
export async function importImage(file: string): Promise<ImportedImage> {
  if (!isArchive(file)) throw new AmberError(`${file}: no such archive`);
  const dir = mkdtempSync(join(tmpdir(), 'amber-import-'));
  const close = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await readArchive(file, dir);
  } catch (e) {
    close();
    throw e;
  }
  return { dir, close };
}

/**
 * fn's result on the image in archive file, the temporary directory removed afterwards; an AmberError
 * that names the directory names the archive instead (the user never saw the directory).
 */
export async function withImportedImage<T>(file: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const image = await importImage(file);
  try {
    return await fn(image.dir);
  } catch (e) {
    if (e instanceof AmberError && e.line.includes(image.dir)) throw new AmberError(e.line.replaceAll(image.dir, file), { cause: e });
    throw e;
  } finally {
    image.close();
  }
}
