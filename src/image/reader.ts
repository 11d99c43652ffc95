// readImage: a checkpoint image opened for restore, like CRIU's restore reading a dump directory (and
// `checkpointctl inspect` reading one without restoring). Every blob's size and SHA-256 is checked
// before its bytes are handed out; by default all of them up front, so a damaged image is refused
// before a restore changes anything. The image directory is only ever opened read-only.
import { readBlob } from './blobs.js';
import { ImageError } from './error.js';
import type { CheckpointConfig } from './layout.js';
import { openImage, type Layer } from './manifest.js';
import { concatParts } from './payload.js';
import type { ImageStore } from './store.js';

export interface ReadOptions {
  /** Told of bytes read and verified so far, out of the image's payload blobs' total. */
  onProgress?: (done: number, total: number) => void;
  /** Read and verify each payload's blobs when it is first asked for, not all up front (for inspect). */
  lazy?: boolean;
}

export interface CheckpointImage {
  /** The image directory, absolute. */
  readonly dir: string;
  /** "sha256:<hex>" of Amber's manifest: the image's identity. */
  readonly manifestDigest: string;
  readonly config: CheckpointConfig;
  /** The payload names, in the order they were written. */
  names(): string[];
  has(name: string): boolean;
  /** A payload's kind (its media type's <kind>). */
  kind(name: string): string;
  /** A payload's size in bytes, all parts together. */
  size(name: string): number;
  /** A payload's bytes, its parts joined. Treat them as read-only: parts may be shared. */
  payload(name: string): Uint8Array;
  /** A payload's parts in order (one for a payload not written in parts); no copy is made. */
  parts(name: string): Uint8Array[];
}

/**
 * Opens the image at dir and, unless lazy, reads and verifies every blob. Throws ImageError naming the
 * file or blob for a missing, damaged or foreign image.
 */
export function readImage(store: ImageStore, dir: string, options: ReadOptions = {}): CheckpointImage {
  const image = openImage(store, dir);
  const { onProgress } = options;
  const blobs = new Map<string, Layer>();
  for (const layers of image.payloads.values()) for (const l of layers) blobs.set(l.hex, l);
  let total = 0;
  for (const l of blobs.values()) total += l.blobSize;
  let done = 0;
  const onBytes = onProgress === undefined ? undefined : (n: number): void => onProgress((done += n), total);

  /** Verified payload bytes by blob hex. */
  const loaded = new Map<string, Uint8Array>();
  const load = (l: Layer): Uint8Array => {
    let bytes = loaded.get(l.hex);
    if (bytes === undefined) {
      bytes = readBlob(store, image.dir, { hex: l.hex, size: l.blobSize, label: l.label }, onBytes);
      if (l.compressed) bytes = decompress(store, image.dir, l, bytes);
      loaded.set(l.hex, bytes);
    }
    if (bytes.length !== l.size) {
      throw new ImageError(`${image.dir}: ${l.label}: holds ${bytes.length} bytes where the manifest says ${l.size}`);
    }
    return bytes;
  };
  if (options.lazy !== true) {
    for (const l of blobs.values()) load(l);
    if (total === 0) onProgress?.(0, 0);
  }

  const layersOf = (name: string): readonly Layer[] => {
    const layers = image.payloads.get(name);
    if (layers === undefined) throw new ImageError(`${image.dir}: holds no payload named "${name}"`);
    return layers;
  };
  return {
    dir: image.dir,
    manifestDigest: image.manifestDigest,
    config: image.config,
    names: () => [...image.payloads.keys()],
    has: (name) => image.payloads.has(name),
    kind: (name) => layersOf(name)[0]?.kind ?? '',
    size: (name) => layersOf(name).reduce((n, l) => n + l.size, 0),
    payload: (name) => concatParts(layersOf(name).map(load)),
    parts: (name) => layersOf(name).map(load),
  };
}

function decompress(store: ImageStore, dir: string, l: Layer, bytes: Uint8Array): Uint8Array {
  const codec = store.codec;
  if (codec === undefined) throw new ImageError(`${dir}: ${l.label}: compressed, and this Amber has no codec`);
  const out = codec.decompress(bytes, l.size);
  if (out === null) throw new ImageError(`${dir}: ${l.label}: does not decompress to ${l.size} bytes (damaged image)`);
  return out;
}
