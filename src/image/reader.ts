// readImage: a checkpoint image opened for restore, like CRIU's restore reading a dump directory (and
// `checkpointctl inspect` reading one without restoring). Every blob's size and SHA-256 is checked
// before its bytes are handed out; by default all of them up front, so a damaged image is refused
// before a restore changes anything. The image directory is only ever opened read-only.
import { readBlob } from './blobs.js';
import { ImageError } from './error.js';
import type { CheckpointConfig } from './layout.js';
import { openImage, type Layer } from './manifest.js';
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
  /** The annotations of a payload's (first) layer, Amber's own included. */
  annotations(name: string): Readonly<Record<string, string>>;
  /** A payload's bytes, its parts joined (once: read in place). Treat them as read-only: they are shared. */
  payload(name: string): Uint8Array;
  /** A payload's parts in order (one for a payload not written in parts): views of payload(name). */
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

  /** Verified payload bytes by blob hex: a view into the payload that first needed them. */
  const loaded = new Map<string, Uint8Array>();
  /** Each payload's bytes, its parts end to end. */
  const assembled = new Map<string, Uint8Array>();
  /** The SHA-256 hex of `size` zero bytes, by size (a shared all-zero memory part). */
  const zeroHexes = new Map<number, string>();
  const zeroHex = (size: number): string => {
    let hex = zeroHexes.get(size);
    if (hex === undefined) {
      const hash = store.sha256();
      hash.update(new Uint8Array(size));
      hex = hash.hexDigest();
      zeroHexes.set(size, hex);
    }
    return hex;
  };

  /**
   * The verified bytes of layer l: read into `into` (l.size bytes, all zero) when given, so a payload in
   * parts is read in place rather than joined afterwards. A blob read once already is copied from there
   * (not even that when it is all zeros: into is already).
   */
  const load = (l: Layer, into?: Uint8Array): Uint8Array => {
    let bytes = loaded.get(l.hex);
    if (bytes === undefined) {
      const ref = { hex: l.hex, size: l.blobSize, label: l.label };
      if (l.compressed) bytes = decompress(store, image.dir, l, readBlob(store, image.dir, ref, onBytes));
      else bytes = readBlob(store, image.dir, ref, onBytes, into !== undefined && into.length === l.blobSize ? into : undefined);
      loaded.set(l.hex, bytes);
    } else if (into !== undefined && !l.compressed && bytes.length === l.size && l.hex === zeroHex(l.size)) {
      return into;
    }
    if (bytes.length !== l.size) {
      throw new ImageError(`${image.dir}: ${l.label}: holds ${bytes.length} bytes where the manifest says ${l.size}`);
    }
    if (into === undefined || into === bytes) return bytes;
    into.set(bytes);
    return into;
  };

  const layersOf = (name: string): readonly Layer[] => {
    const layers = image.payloads.get(name);
    if (layers === undefined) throw new ImageError(`${image.dir}: holds no payload named "${name}"`);
    return layers;
  };
  const payload = (name: string): Uint8Array => {
    let bytes = assembled.get(name);
    if (bytes === undefined) {
      const layers = layersOf(name);
      const [first] = layers;
      if (layers.length === 1 && first !== undefined) {
        bytes = load(first);
      } else {
        bytes = new Uint8Array(layers.reduce((n, l) => n + l.size, 0));
        let at = 0;
        for (const l of layers) {
          load(l, bytes.subarray(at, at + l.size));
          at += l.size;
        }
      }
      assembled.set(name, bytes);
    }
    return bytes;
  };
  if (options.lazy !== true) {
    for (const name of image.payloads.keys()) payload(name);
    if (total === 0) onProgress?.(0, 0);
  }

  return {
    dir: image.dir,
    manifestDigest: image.manifestDigest,
    config: image.config,
    names: () => [...image.payloads.keys()],
    has: (name) => image.payloads.has(name),
    kind: (name) => layersOf(name)[0]?.kind ?? '',
    size: (name) => layersOf(name).reduce((n, l) => n + l.size, 0),
    annotations: (name) => layersOf(name)[0]?.annotations ?? {},
    payload,
    parts: (name) => {
      const whole = payload(name);
      let at = 0;
      return layersOf(name).map((l) => whole.subarray(at, (at += l.size)));
    },
  };
}

function decompress(store: ImageStore, dir: string, l: Layer, bytes: Uint8Array): Uint8Array {
  const codec = store.codec;
  if (codec === undefined) throw new ImageError(`${dir}: ${l.label}: compressed, and this Amber has no codec`);
  const out = codec.decompress(bytes, l.size);
  if (out === null) throw new ImageError(`${dir}: ${l.label}: does not decompress to ${l.size} bytes (damaged image)`);
  return out;
}
