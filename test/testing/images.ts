// Looking at a checkpoint image from a test: a fingerprint of every file, to prove a command changed
// nothing, and its blobs, to damage one on purpose.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every entry under dir by relative path: a file's sha256, or "dir" for a folder. */
export function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true })) {
    const p = join(dir, String(f));
    out[relative(dir, p)] = statSync(p).isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
  }
  return out;
}

/** The files of a fingerprint (its folders left out), by relative path. */
export function filesOf(print: Record<string, string>): string[] {
  return Object.keys(print).filter((f) => print[f] !== 'dir');
}

/** The image's blobs, largest first, as [digest hex, path]. */
export function blobs(image: string): Array<[string, string]> {
  const dir = join(image, 'blobs', 'sha256');
  return readdirSync(dir)
    .map((d): [string, string] => [d, join(dir, d)])
    .sort((a, b) => statSync(b[1]).size - statSync(a[1]).size);
}
