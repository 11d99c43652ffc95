// Content-addressed blobs (OCI `blobs/sha256/<hex>`, like CRIU's pages-*.img deduplicated by content):
// reading one whole while checking its size and SHA-256 (writing is ImageStore.writeFile's, driven by
// writer.ts). A blob is read read-only and verified before anyone sees a byte of it. A memory part read
// into a program (readBlobsInto, readBlobChecked) is not hashed where the store vouches for its file
// (StoreReader.vouched: this user's Amber wrote or hashed that very file, unmodified since) and the file
// did not change across the read, as containerd trusts a blob verified when it entered its store.
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
  if (bytes.length !== ref.size) throw new RangeError(`readBlob: ${bytes.length} bytes to read ${ref.size} into`);
  const hash = store.sha256();
  const r = openSized(store, dir, ref);
  try {
    readWhole(r, dir, ref, bytes, onBytes, hash);
  } finally {
    r.close();
  }
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

/** How a blob read into a caller's view is accepted. */
export interface BlobRead {
  /** The SHA-256 hex of the bytes read: ref.hex when vouched for; null when the caller hashes them itself. */
  readonly hex: string | null;
  /** The store vouched for its file, which did not change across the read: not hashed. */
  readonly vouched: boolean;
  /** Hashed, its file unchanged across the read: what ImageStore.remember takes, once hex is found to be
   *  the blob's; else null. */
  readonly identity: string | null;
}

/**
 * Reads each blob into its view, checking its size, with up to LANES blobs read at once off this thread
 * (StoreReader.readAt, else on this one), each slice hashed on this thread as it lands (unless the store
 * vouches for the blob's file): the bytes hashed are the very bytes in the view, and the hashing overlaps
 * the reads of the others (and their faults of fresh pages). Resolves with how each blob was read once
 * every byte is in place; the caller compares the hexes (digestMismatch) and uses none of the bytes
 * before. Rejects, once no read is in flight any more, with the first ImageError (a blob missing,
 * shorter or longer, unreadable); the views then hold anything.
 */
export async function readBlobsInto(store: ImageStore, dir: string, blobs: readonly BlobInto[], onBytes?: (n: number) => void): Promise<BlobRead[]> {
  const reads: BlobRead[] = [];
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (failure === null && next < blobs.length) {
      const k = next++;
      const { ref, view } = blobs[k] as BlobInto;
      try {
        reads[k] = await readHashedAt(store, dir, ref, view, onBytes);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, blobs.length) }, lane));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return reads;
}

/** One blob of readBlobsInto: read slice by slice at its offsets, each hashed once it is there (unless vouched for). */
async function readHashedAt(store: ImageStore, dir: string, ref: BlobRef, view: Uint8Array, onBytes?: (n: number) => void): Promise<BlobRead> {
  if (view.length !== ref.size) throw new RangeError(`readBlobsInto: ${view.length} bytes to read ${ref.size} into`);
  const r = openSized(store, dir, ref);
  try {
    const readAt = r.readAt?.bind(r);
    const trusted = r.vouched?.(ref.hex) === true;
    const hash = trusted ? undefined : store.sha256();
    for (let at = 0; at < view.length;) {
      const slice = view.subarray(at, Math.min(view.length, at + LANE_SLICE));
      // Without readAt the reader reads on from where it is: this blob's slices are read in order.
      const n = readAt === undefined ? r.read(slice) : await readAt(slice, at);
      if (n === 0) throw sizeError(dir, ref, 'shorter');
      hash?.update(slice.subarray(0, n));
      at += n;
      onBytes?.(n);
    }
    const past = new Uint8Array(1);
    if ((readAt === undefined ? r.read(past) : await readAt(past, ref.size)) !== 0) throw sizeError(dir, ref, 'longer');
    return settle(store, r, ref, view, trusted, hash, false);
  } finally {
    r.close();
  }
}

/**
 * How a blob just read into view is accepted: vouched for and its file unchanged since it was opened, as
 * is; else by the hex of the bytes as read (hash's, fed as they were read; the view hashed now if the
 * file was vouched for but changed meanwhile, unless hashLater: then the caller hashes it).
 */
function settle(store: ImageStore, r: StoreReader, ref: BlobRef, view: Uint8Array, trusted: boolean, hash: Sha256 | undefined, hashLater: boolean): BlobRead {
  const unchanged = r.unchanged?.() === true;
  if (trusted && unchanged) return { hex: ref.hex, vouched: true, identity: null };
  let hex: string | null = hash?.hexDigest() ?? null;
  if (hex === null && !hashLater) {
    const again = store.sha256();
    again.update(view);
    hex = again.hexDigest();
  }
  return { hex, vouched: false, identity: unchanged ? r.identity?.() ?? null : null };
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
 * Reads blob ref into `bytes` (ref.size bytes) on this thread, checking its size, hashing it as it is
 * read, while it is in the cache (not at all where the store vouches for its file and it did not change
 * meanwhile; not here with hashLater: the caller hashes it, hex null). The caller checks the hex and uses
 * none of the bytes before it matches (digestMismatch otherwise). On a failure bytes holds anything.
 */
export function readBlobChecked(store: ImageStore, dir: string, ref: BlobRef, bytes: Uint8Array, onBytes?: (n: number) => void, hashLater = false): BlobRead {
  if (bytes.length !== ref.size) throw new RangeError(`readBlob: ${bytes.length} bytes to read ${ref.size} into`);
  const r = openSized(store, dir, ref);
  try {
    const trusted = r.vouched?.(ref.hex) === true;
    const hash = trusted || hashLater ? undefined : store.sha256();
    readWhole(r, dir, ref, bytes, onBytes, hash);
    return settle(store, r, ref, bytes, trusted, hash, hashLater);
  } finally {
    r.close();
  }
}

/** Reads the open blob ref into bytes on this thread, feeding hash as it goes; its size checked. */
function readWhole(r: StoreReader, dir: string, ref: BlobRef, bytes: Uint8Array, onBytes?: (n: number) => void, hash?: Sha256): void {
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
