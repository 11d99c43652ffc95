// Content-addressed blobs (OCI `blobs/sha256/<hex>`, like CRIU's pages-*.img deduplicated by content):
// reading one whole while checking its size and SHA-256 (writing is ImageStore.writeFile's, driven by
// writer.ts). A blob is read read-only and verified before anyone sees a byte of it.
import { ImageError } from './error.js';
import { BLOBS_DIR } from './layout.js';
import type { ImageStore, Sha256 } from './store.js';

/** I/O and progress granularity: big enough to cost nothing, small enough for a live progress bar. */
export const SLICE = 8 << 20;
/** The most a JSON document of an image may take (the manifest of a 64 GiB pod in 1 MiB parts is ~13 MiB). */
export const MAX_JSON = 64 << 20;

export function blobPath(dir: string, hex: string): string {
  return `${dir}/${BLOBS_DIR}/${hex}`;
}

/** What to call a blob in an error: `manifest sha256:<hex>`, `blob sha256:<hex> (payload "kernel")`. */
export interface BlobRef {
  readonly hex: string;
  readonly size: number;
  readonly label: string;
}

/**
 * The bytes of blob ref in image dir, after checking they are ref.size bytes whose SHA-256 is ref.hex.
 * onBytes(n) is told of each slice read. Read into `into` (ref.size bytes) when given, else a new array;
 * on a failure into holds anything.
 */
export function readBlob(store: ImageStore, dir: string, ref: BlobRef, onBytes?: (n: number) => void, into?: Uint8Array): Uint8Array {
  const bytes = into ?? new Uint8Array(ref.size);
  const hash = store.sha256();
  readSized(store, dir, ref, bytes, onBytes, hash);
  if (hash.hexDigest() !== ref.hex) throw digestMismatch(dir, ref);
  return bytes;
}

/** Blobs from this size are read through StoreReader.readHashed where the store has it (a trip to the
 *  reader thread costs more than hashing a few KiB here). */
const OFF_THREAD = 256 << 10;

/**
 * Reads blob ref into `into` (ref.size bytes), checking its size but not yet its digest: the caller
 * checks the digest and uses none of the bytes before it matches (digestMismatch otherwise). Where the
 * store's reader has readHashed (and the blob is big), the bytes are hashed off this thread as they are
 * copied: the promise of their hex is returned. Else null, and the caller hashes them: hash, given it, is
 * fed the bytes as they are read, while they are in the cache (or ImageStore.sha256Of, off its thread).
 * On a failure into holds anything.
 */
export function readBlobUnverified(store: ImageStore, dir: string, ref: BlobRef, into: Uint8Array, onBytes?: (n: number) => void, hash?: Sha256): Promise<string> | null {
  return readSized(store, dir, ref, into, onBytes, hash, ref.size >= OFF_THREAD);
}

/** The error for a blob whose bytes do not hash to its name. */
export function digestMismatch(dir: string, ref: BlobRef): ImageError {
  return new ImageError(`${dir}: ${ref.label}: content does not match its digest (damaged image)`);
}

/** Reads blob ref into bytes, checking its size; through r.readHashed when offThread and the reader has it
 *  (its hex promised), else on this thread (null). */
function readSized(store: ImageStore, dir: string, ref: BlobRef, bytes: Uint8Array, onBytes?: (n: number) => void, hash?: Sha256, offThread = false): Promise<string> | null {
  const what = `${dir}: ${ref.label}`;
  if (bytes.length !== ref.size) throw new RangeError(`readBlob: ${bytes.length} bytes to read ${ref.size} into`);
  const r = store.open(blobPath(dir, ref.hex));
  if (r === null) throw new ImageError(`${what}: missing (damaged image)`);
  try {
    if (r.size !== ref.size) {
      throw new ImageError(`${what}: ${r.size} bytes where the image says ${ref.size} (damaged image)`);
    }
    if (offThread && r.readHashed !== undefined) return r.readHashed(bytes, onBytes); // its failures name the file
    let at = 0;
    while (at < bytes.length) {
      const slice = bytes.subarray(at, Math.min(bytes.length, at + SLICE));
      const n = r.read(slice);
      if (n === 0) throw new ImageError(`${what}: shorter than ${ref.size} bytes (damaged image)`);
      hash?.update(slice.subarray(0, n));
      at += n;
      onBytes?.(n);
    }
    if (r.read(new Uint8Array(1)) !== 0) {
      throw new ImageError(`${what}: longer than ${ref.size} bytes (damaged image)`);
    }
    return null;
  } finally {
    r.close();
  }
}

/** Copies the file at from to a new file at to (when a hard link cannot be made), flushed. */
export function copyFile(store: ImageStore, from: string, to: string, onBytes?: (n: number) => void): void {
  const r = store.open(from);
  if (r === null) throw new ImageError(`${from}: disappeared while it was being copied`);
  try {
    const w = store.create(to);
    try {
      const buf = new Uint8Array(Math.min(SLICE, Math.max(1, r.size)));
      for (let n = r.read(buf); n > 0; n = r.read(buf)) {
        w.write(buf.subarray(0, n));
        onBytes?.(n);
      }
      w.sync();
    } finally {
      w.close();
    }
  } finally {
    r.close();
  }
}
