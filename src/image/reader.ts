// readImage: a checkpoint image opened for restore, like CRIU's restore reading a dump directory (and
// `checkpointctl inspect` reading one without restoring). Every blob's size and SHA-256 is checked
// before its bytes are used (but a memory part whose file the store vouches for, unchanged across the
// read: blobs.ts); by default all of them up front, so a damaged image is refused before a restore
// changes anything. A restore reads memory straight into the program's (fill: on the host's I/O
// threads, each slice hashed here as it lands; copyTo: on this thread), then waits for every blob to be
// verified (verified()) before the program runs.
// A payload's patches (patch.ts) are laid over its parts in order, by payload(), and for fill and copyTo
// by verified() once the parts' checks are done. The image directory is only ever opened read-only.
import { blobPath, digestMismatch, readBlob, readBlobChecked, readBlobsInto, type BlobRead, type BlobRef } from './blobs.js';
import { ImageError } from './error.js';
import type { CheckpointConfig } from './layout.js';
import { allLayers, openImage, type Layer, type OpenedImage } from './manifest.js';
import { applyPatch, decodePatch } from './patch.js';
import type { ImageStore } from './store.js';
import { zeroHexOf } from './zerodigest.js';
import { nextTurn } from '../base/turn.js';

export interface ReadOptions {
  /** Told of bytes read and verified so far, out of the image's payload blobs' total. */
  onProgress?: (done: number, total: number) => void;
  /** Read and verify each payload's blobs when it is first asked for, not all up front (for inspect). */
  lazy?: boolean;
  /** The image at dir opened already (manifest.ts openImage: layout, index, manifest and config read and
   *  checked), every codec its layers need in the store: not read a second time. */
  opened?: OpenedImage;
}

export interface CheckpointImage {
  /** The image directory, absolute. */
  readonly dir: string;
  /** "sha256:<hex>" of Amber's manifest: the image's identity. */
  readonly manifestDigest: string;
  readonly config: CheckpointConfig;
  /** The manifest's annotations (org.criu.checkpoint.*, org.amber.*). */
  readonly annotations: Readonly<Record<string, string>>;
  /** The payload names, in the order they were written. */
  names(): string[];
  has(name: string): boolean;
  /** A payload's kind (its media type's <kind>). */
  kind(name: string): string;
  /** A payload's size in bytes, all parts together. */
  size(name: string): number;
  /** The annotations of a payload's (first) layer, Amber's own included. */
  layerAnnotations(name: string): Readonly<Record<string, string>>;
  /** A payload's bytes, its parts joined (once: read in place) and its patches laid over them. Treat them
   *  as read-only: they are shared. */
  payload(name: string): Uint8Array;
  /** A payload's parts in order (one for a payload not written in parts): views of payload(name). */
  parts(name: string): Uint8Array[];
  /** How many patch layers are laid over a payload's parts (patch.ts); 0 for most. */
  patches(name: string): number;
  /** A payload to be read straight into a caller's buffer (a program's linear memory): see PayloadSource. */
  source(name: string): PayloadSource;
  /**
   * Resolves once every blob of the image has been verified: those read so far (copyTo's checks under
   * way), then any not read yet, read and checked now. Rejects with the first ImageError. A restore
   * awaits it before any guest runs.
   */
  verified(): Promise<void>;
  /** The blobs fill and copyTo read so far (memory parts): how many the store vouched for (read
   *  unhashed: StoreReader.vouched) and how many were hashed. */
  partsRead(): { vouched: number; hashed: number };
  /**
   * Records each blob fill or copyTo hashed and found to be what its name says, its file unchanged across
   * the read (ImageStore.remember), so a later read of that very file needs no hash. For once the restore
   * is done (the program running): it writes a small file per blob, yielding between them. Never rejects.
   */
  remember(): Promise<void>;
}

/** A payload read into a buffer the caller owns, with no copy of its own. */
export interface PayloadSource {
  /** The payload's size in bytes. */
  readonly length: number;
  /**
   * Reads the payload into into[0, length) now: its parts; its patches are laid over them by verified(),
   * once the parts are checked. An all-zero part is not read where into is zero already (at and past
   * zeroFrom); a part met before is copied. The bytes are checked off this thread: use none of them
   * before verified() resolves (on a rejection into holds anything).
   */
  copyTo(into: Uint8Array, zeroFrom: number): void;
  /**
   * The same, with the parts read off this thread where the store's readers can (readAt), several at
   * once, each slice hashed here as it lands: done when the promise resolves (its rejections are
   * copyTo's throws). Still use none of the bytes before verified() resolves.
   */
  fill(into: Uint8Array, zeroFrom: number): Promise<void>;
}

/**
 * Opens the image at dir and, unless lazy, reads and verifies every blob. Throws ImageError naming the
 * file or blob for a missing, damaged or foreign image.
 */
export function readImage(store: ImageStore, dir: string, options: ReadOptions = {}): CheckpointImage {
  const image = options.opened ?? openImage(store, dir);
  if (options.opened !== undefined) checkOpened(store, dir, options.opened);
  const { onProgress } = options;
  const blobs = new Map<string, Layer>();
  for (const l of allLayers(image)) blobs.set(l.hex, l);
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
  const zeroHex = (size: number): string => zeroHexOf(store, size, zeroHexes);

  /**
   * The verified bytes of layer l: read into `into` (l.size bytes, all zero) when given, so a payload in
   * parts is read in place rather than joined afterwards. A blob read once already is copied from there
   * (not even that when it is all zeros: into is already).
   */
  const load = (l: Layer, into?: Uint8Array): Uint8Array => {
    let bytes = loaded.get(l.hex);
    if (bytes === undefined) {
      const ref = { hex: l.hex, size: l.blobSize, label: l.label };
      if (l.codec !== null) bytes = decompress(store, image.dir, l, readBlob(store, image.dir, ref, onBytes));
      else bytes = readBlob(store, image.dir, ref, onBytes, into !== undefined && into.length === l.blobSize ? into : undefined);
      loaded.set(l.hex, bytes);
    } else if (into !== undefined && l.codec === null && bytes.length === l.size && l.hex === zeroHex(l.size)) {
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
  /** Lays name's patches over into (the payload's bytes), each read and verified first. */
  const patch = (name: string, into: Uint8Array): void => {
    for (const l of image.patches.get(name) ?? []) applyPatch(into, decodePatch(load(l), into.length, `${image.dir}: ${l.label}`));
  };
  const payload = (name: string): Uint8Array => {
    let bytes = assembled.get(name);
    if (bytes === undefined) {
      const layers = layersOf(name);
      const [first] = layers;
      if (image.patches.has(name)) {
        // Parts read on their own (a blob another payload shares stays as stored), then patched.
        bytes = new Uint8Array(layers.reduce((n, l) => n + l.size, 0));
        let at = 0;
        for (const l of layers) {
          bytes.set(load(l), at);
          at += l.size;
        }
        patch(name, bytes);
      } else if (layers.length === 1 && first !== undefined) {
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

  /** Digest checks under way (copyTo's and fill's), by blob hex. */
  const checking = new Map<string, Promise<void>>();
  const check = (l: Layer, bytes: Uint8Array): Promise<void> => {
    const ref = { hex: l.hex, size: l.blobSize, label: l.label };
    const hashed = store.sha256Of?.(bytes) ?? Promise.resolve().then(() => {
      const hash = store.sha256();
      hash.update(bytes);
      return hash.hexDigest();
    });
    return hashed.then((hex) => {
      if (hex !== l.hex) throw digestMismatch(image.dir, ref);
    });
  };
  /** Blobs copyTo or fill read into a caller's buffer, by hex: views of it, never handed out by payload(). */
  const copied = new Map<string, Uint8Array>();
  /** Payloads copyTo or fill read whose patches verified() lays over them. */
  const toPatch: { name: string; into: Uint8Array }[] = [];
  /**
   * Lays payload name's parts into into[0, size): the ones in place already (decompressed, all zeros, a
   * blob read before) at once, each blob not read before handed to read(l, view), once. done(), once
   * read() has filled them all, copies a blob met twice here to its second place and leaves the patches
   * to verified().
   */
  const lay = (name: string, into: Uint8Array, zeroFrom: number, read: (l: Layer, view: Uint8Array) => void): { done: () => void } => {
    const first = new Map<string, Uint8Array>();
    const twice: { view: Uint8Array; from: Uint8Array }[] = [];
    let at = 0;
    for (const l of layersOf(name)) {
      const view = into.subarray(at, at + l.size);
      if (view.length !== l.size) throw new RangeError(`source: ${into.length} bytes to read payload "${name}" into`);
      const seen = copied.get(l.hex) ?? loaded.get(l.hex);
      const mine = first.get(l.hex);
      if (l.codec !== null) {
        view.set(load(l));
      } else if (l.hex === zeroHex(l.size)) {
        load(l); // read and verified once, here
        if (at < zeroFrom) view.subarray(0, zeroFrom - at).fill(0);
      } else if (seen !== undefined) {
        view.set(seen); // bytes already read: verified() covers them
      } else if (mine !== undefined) {
        twice.push({ view, from: mine });
      } else {
        first.set(l.hex, view);
        read(l, view);
      }
      at += l.size;
    }
    return {
      done: () => {
        for (const { view, from } of twice) view.set(from);
        if (image.patches.has(name)) toPatch.push({ name, into: into.subarray(0, at) });
      },
    };
  };
  /** Blob l's bytes, read into view, are checked against its digest: a mismatch is verified()'s. */
  const checkLater = (l: Layer, view: Uint8Array, checked: Promise<void>): void => {
    copied.set(l.hex, view);
    checked.catch(() => {}); // verified() reports it; until then it is not unhandled
    checking.set(l.hex, checked);
  };
  const refOf = (l: Layer): BlobRef => ({ hex: l.hex, size: l.blobSize, label: l.label });
  const matches = (l: Layer, hex: string): Promise<void> => (hex === l.hex ? Promise.resolve() : Promise.reject(digestMismatch(image.dir, refOf(l))));
  /** How the blobs fill and copyTo read were accepted, and the files hashed and found right, for remember(). */
  const counts = { vouched: 0, hashed: 0 };
  const toRemember: { path: string; hex: string; identity: string }[] = [];
  /** Blob l read into view as `read` says: checked (verified() reports a mismatch), counted, kept to remember. */
  const accept = (l: Layer, view: Uint8Array, read: BlobRead): void => {
    if (read.vouched) counts.vouched++;
    else counts.hashed++;
    const checked = read.hex === null ? check(l, view) : matches(l, read.hex);
    const { identity } = read;
    if (identity !== null) void checked.then(() => void toRemember.push({ path: blobPath(image.dir, l.hex), hex: l.hex, identity }), () => {});
    checkLater(l, view, checked);
  };
  const copyTo = (name: string, into: Uint8Array, zeroFrom: number): void => {
    const { done } = lay(name, into, zeroFrom, (l, view) => {
      // Hashed as it is read, a slice at a time while it is in the cache (or by sha256Of, off this
      // thread, after), unless the store vouches for its file.
      accept(l, view, readBlobChecked(store, image.dir, refOf(l), view, onBytes, store.sha256Of !== undefined));
    });
    done();
  };
  const fill = async (name: string, into: Uint8Array, zeroFrom: number): Promise<void> => {
    const reads: { l: Layer; view: Uint8Array }[] = [];
    const { done } = lay(name, into, zeroFrom, (l, view) => reads.push({ l, view }));
    // Read off this thread, several at once, each slice hashed here as it lands (unless vouched for).
    const got = await readBlobsInto(store, image.dir, reads.map(({ l, view }) => ({ ref: refOf(l), view })), onBytes);
    reads.forEach(({ l, view }, k) => accept(l, view, got[k] ?? { hex: '', vouched: false, identity: null }));
    done();
  };
  const remember = async (): Promise<void> => {
    for (const { path, hex, identity } of toRemember.splice(0)) {
      try {
        store.remember?.(path, hex, identity);
      } catch {
        // a record not written only costs a hash
      }
      await nextTurn();
    }
  };
  const verified = async (): Promise<void> => {
    await Promise.all(checking.values());
    for (const l of allLayers(image)) if (!loaded.has(l.hex) && !copied.has(l.hex)) load(l);
    // The parts are checked: the patches can change them now. What they read is no longer as stored.
    for (const { name, into } of toPatch.splice(0)) {
      patch(name, into);
      for (const [hex, view] of copied) if (view.buffer === into.buffer) copied.delete(hex);
    }
  };

  return {
    dir: image.dir,
    manifestDigest: image.manifestDigest,
    config: image.config,
    annotations: image.annotations,
    names: () => [...image.payloads.keys()],
    has: (name) => image.payloads.has(name),
    kind: (name) => layersOf(name)[0]?.kind ?? '',
    size: (name) => layersOf(name).reduce((n, l) => n + l.size, 0),
    layerAnnotations: (name) => layersOf(name)[0]?.annotations ?? {},
    payload,
    parts: (name) => {
      const whole = payload(name);
      let at = 0;
      return layersOf(name).map((l) => whole.subarray(at, (at += l.size)));
    },
    patches: (name) => {
      layersOf(name); // an unknown name is refused as everywhere
      return image.patches.get(name)?.length ?? 0;
    },
    source: (name) => ({
      length: layersOf(name).reduce((n, l) => n + l.size, 0),
      copyTo: (into, zeroFrom) => copyTo(name, into, zeroFrom),
      fill: (into, zeroFrom) => fill(name, into, zeroFrom),
    }),
    verified,
    partsRead: () => ({ ...counts }),
    remember,
  };
}

/** An image given opened to readImage is the one at dir, every codec it needs in store (a caller's bug if not). */
function checkOpened(store: ImageStore, dir: string, image: OpenedImage): void {
  if (image.dir !== store.resolve(dir)) throw new RangeError(`readImage: ${dir} given opened as ${image.dir}`);
  for (const l of allLayers(image)) {
    if (l.codec !== null && store.codecs?.has(l.codec) !== true) throw new RangeError(`readImage: ${image.dir} needs codec ${l.codec}, which the store lacks`);
  }
}

/**
 * A compressed layer's payload bytes: the blob (already verified) decompressed by its codec to exactly the
 * size the manifest says, and checked against the digest it says they have (org.amber.content), so a
 * codec's output is verified as a raw blob is.
 */
function decompress(store: ImageStore, dir: string, l: Layer, bytes: Uint8Array): Uint8Array {
  const codec = l.codec === null ? undefined : store.codecs?.get(l.codec);
  if (codec === undefined) throw new ImageError(`${dir}: ${l.label}: compressed with ${l.codec ?? '?'}, and this Amber has no such codec`);
  const out = codec.decompress(bytes, l.size);
  if (out === null) throw new ImageError(`${dir}: ${l.label}: does not decompress to ${l.size} bytes (damaged image)`);
  if (l.contentHex !== null) {
    const hash = store.sha256();
    hash.update(out);
    if (hash.hexDigest() !== l.contentHex) throw new ImageError(`${dir}: ${l.label}: decompresses to bytes whose digest is not sha256:${l.contentHex} (damaged image)`);
  }
  return out;
}
