// Content-addressed blobs (OCI `blobs/sha256/<hex>`, like CRIU's pages-*.img deduplicated by content):
// reading one whole while checking its size and SHA-256 (writing is ImageStore.writeFile's, driven by
// writer.ts). A blob is read read-only and verified before anyone sees a byte of it.
import { ImageError } from './error.js';
import { BLOBS_DIR } from './layout.js';
import type { ImageStore, Sha256, StoreReader } from './store.js';

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
  readBlobUnverified(store, dir, ref, bytes, onBytes, hash);
  if (hash.hexDigest() !== ref.hex) throw digestMismatch(dir, ref);
  return bytes;
}

/** Reads in flight at once for readBlobsInto: enough to keep another core busy with them. */
const LANES = 4;
/** What readBlobsInto reads at once and then hashes: small enough that the hashing follows the reads
 *  closely, big enough that a trip to the I/O thread costs little beside it. */
const LANE_SLICE = 1 << 20;

/** A blob to read into a caller's buffer: view is ref.size bytes. */
export interface BlobInto {
  readonly ref: BlobRef;
  readonly view: Uint8Array;
}

/**
 * Reads each blob into its view, checking its size, with up to LANES blobs read at once off this thread
 * (StoreReader.readAt, else on this one), each slice hashed on this thread as it lands: the bytes hashed
 * are the very bytes in the view, and the hashing overlaps the reads of the others (and their faults of
 * fresh pages). Resolves with each blob's SHA-256 hex once every byte is in place; the caller compares
 * them (digestMismatch) and uses none of the bytes before. Rejects, once no read is in flight any more,
 * with the first ImageError (a blob missing, shorter or longer, unreadable); the views then hold anything.
 */
export async function readBlobsInto(store: ImageStore, dir: string, blobs: readonly BlobInto[], onBytes?: (n: number) => void): Promise<string[]> {
  const hexes: string[] = [];
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (failure === null && next < blobs.length) {
      const k = next++;
      const { ref, view } = blobs[k] as BlobInto;
      try {
        hexes[k] = await readHashedAt(store, dir, ref, view, onBytes);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, blobs.length) }, lane));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return hexes;
}

/** One blob of readBlobsInto: read slice by slice at its offsets, each hashed once it is there. */
async function readHashedAt(store: ImageStore, dir: string, ref: BlobRef, view: Uint8Array, onBytes?: (n: number) => void): Promise<string> {
  if (view.length !== ref.size) throw new RangeError(`readBlobsInto: ${view.length} bytes to read ${ref.size} into`);
  const r = openSized(store, dir, ref);
  try {
    const readAt = r.readAt?.bind(r);
    const hash = store.sha256();
    for (let at = 0; at < view.length;) {
      const slice = view.subarray(at, Math.min(view.length, at + LANE_SLICE));
      // Without readAt the reader reads on from where it is: this blob's slices are read in order.
      const n = readAt === undefined ? r.read(slice) : await readAt(slice, at);
      if (n === 0) throw sizeError(dir, ref, 'shorter');
      hash.update(slice.subarray(0, n));
      at += n;
      onBytes?.(n);
    }
    const past = new Uint8Array(1);
    if ((readAt === undefined ? r.read(past) : await readAt(past, ref.size)) !== 0) throw sizeError(dir, ref, 'longer');
    return hash.hexDigest();
  } finally {
    r.close();
  }
}

/** The error for a blob whose bytes do not hash to its name. */
export function digestMismatch(dir: string, ref: BlobRef): ImageError {
  return new ImageError(`${dir}: ${ref.label}: content does not match its digest (damaged image)`);
}

/** Blob ref opened, its size checked (ImageError if it is missing or of another size). */
function openSized(store: ImageStore, dir: string, ref: BlobRef): StoreReader {
  const r = store.open(blobPath(dir, ref.hex));
  if (r === null) throw new ImageError(`${dir}: ${ref.label}: missing (damaged image)`);
  if (r.size !== ref.size) {
    r.close();
    throw new ImageError(`${dir}: ${ref.label}: ${r.size} bytes where the image says ${ref.size} (damaged image)`);
  }
  return r;
}

/** A blob found shorter or longer than its size as it was read (it changed since it was opened). */
function sizeError(dir: string, ref: BlobRef, what: 'shorter' | 'longer'): ImageError {
  return new ImageError(`${dir}: ${ref.label}: ${what} than ${ref.size} bytes (damaged image)`);
}

/**
 * Reads blob ref into `bytes` (ref.size bytes) on this thread, checking its size but not yet its digest:
 * the caller checks the digest and uses none of the bytes before it matches (digestMismatch otherwise).
 * hash, given it, is fed the bytes as they are read, while they are in the cache. On a failure bytes
 * holds anything.
 */
export function readBlobUnverified(store: ImageStore, dir: string, ref: BlobRef, bytes: Uint8Array, onBytes?: (n: number) => void, hash?: Sha256): void {
  if (bytes.length !== ref.size) throw new RangeError(`readBlob: ${bytes.length} bytes to read ${ref.size} into`);
  const r = openSized(store, dir, ref);
  try {
    let at = 0;
    while (at < bytes.length) {
      const slice = bytes.subarray(at, Math.min(bytes.length, at + SLICE));
      const n = r.read(slice);
      if (n === 0) throw sizeError(dir, ref, 'shorter');
      hash?.update(slice.subarray(0, n));
      at += n;
      onBytes?.(n);
    }
    if (r.read(new Uint8Array(1)) !== 0) throw sizeError(dir, ref, 'longer');
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
