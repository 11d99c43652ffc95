// Looking at a checkpoint image from a test: a fingerprint of every file, to prove a command changed
// nothing, its blobs, to damage one on purpose, and its manifest and config, rewritten as a tool would.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

/** Writes bytes as a blob of image; its descriptor's digest and size. */
function putBlob(image: string, bytes: Uint8Array): { digest: string; size: number } {
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(image, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

function readJsonBlob(image: string, digest: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(image, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8')) as Record<string, unknown>;
}

interface Descriptor { digest: string; size: number }

/** The layers of the image's manifest, as written. */
export function layers(image: string): Array<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }> {
  const index = JSON.parse(readFileSync(join(image, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  return readJsonBlob(image, (index.manifests[0] as Descriptor).digest)['layers'] as ReturnType<typeof layers>;
}

/**
 * Rewrites the image's manifest with edit (and its config with editConfig), as a tool that knows the
 * format would: new blobs, index.json pointing at the new manifest. The old blobs stay.
 */
export function editImage(image: string, edit: { manifest?: (m: Record<string, unknown>) => void; config?: (c: Record<string, unknown>) => void }): void {
  const indexPath = join(image, 'index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: Descriptor[] };
  const desc = index.manifests[0] as Descriptor;
  const manifest = readJsonBlob(image, desc.digest);
  if (edit.config !== undefined) {
    const configDesc = manifest['config'] as Descriptor;
    const config = readJsonBlob(image, configDesc.digest);
    edit.config(config);
    Object.assign(configDesc, putBlob(image, Buffer.from(JSON.stringify(config))));
  }
  edit.manifest?.(manifest);
  Object.assign(desc, putBlob(image, Buffer.from(JSON.stringify(manifest))));
  writeFileSync(indexPath, JSON.stringify(index));
}
