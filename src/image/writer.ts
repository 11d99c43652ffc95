// writeImage: a checkpoint image written whole or not at all, like CRIU's dump into an images directory
// and runsc's `checkpoint --image-path`. Everything goes to a sibling DIR.tmp-<random>, is flushed, and
// only then renamed to DIR; an image already at DIR is renamed aside first and removed last, so a crash
// or an error at any point leaves the earlier image whole (at DIR, or for the instant between the two
// renames at DIR.old-<random>, which readImage then points to). A deferred flush (deferFlush) makes its
// image durable by itself, every file it holds (linked ones too) fsynced, and follows it if a later image
// sets it aside meanwhile, so a write into DIR need not wait for the flush of the image there: an image
// set aside is removed only by one newer than it, once that one is on disk. With a parent image (CRIU's
// --prev-images-dir, runsc's --parent-path), blobs it already holds are hard-linked, not rewritten.
// Blobs are hashed here (or by store.sha256Of, off this thread, where the host has it) and handed to
// store.writeFile, which writes and fsyncs several at once off this thread: hashing, writing and the
// disk's flushes overlap (README.md). A checkpoint's pre-copy (runtime/precopy.ts) stages its memory
// parts' blobs in the temporary directory before the cut exists (stageImage); writeImage then finishes
// that image, the staged payloads named by digest alone.
import { blobPath, copyFile, readBlob } from './blobs.js';
import { ImageError } from './error.js';
import {
  ANNOTATION_CREATED, ANNOTATION_FORMAT, ANNOTATION_FORMAT_VERSION, ANNOTATION_POD, ANNOTATION_REF_NAME,
  ARTIFACT_TYPE, BLOBS_DIR, CONFIG_KEY, digestOf, FORMAT_NAME, FORMAT_VERSION, INDEX_FILE, jsonBytes, LAYOUT_FILE,
  LAYOUT_VERSION, MEDIA_IMAGE_CONFIG, MEDIA_INDEX, MEDIA_MANIFEST, PLATFORM, REF_NAME, type CheckpointConfig,
  type Descriptor, type OciImageConfig, type OciIndex, type OciManifest,
} from './layout.js';
import { checkPayloads, layerOf, type StoredBlob } from './layers.js';
import { allLayers, openImage, type Layer } from './manifest.js';
import type { Payload, StagedPayload } from './payload.js';
import { ownSiblings, siblingName } from './recover.js';
import type { ImageStore, StoreCodec } from './store.js';
import { nextTurn } from '../base/turn.js';
import { messageOf } from '../base/error.js';

export interface ImageContents {
  podId: string;
  /** Whatever the caller wants in the config (JSON-serializable); {} unless given. */
  meta?: Record<string, unknown>;
  /** The manifest's annotations (org.criu.checkpoint.*, org.amber.*), also the image config's labels;
   *  the writer adds its own (created, pod, format). */
  annotations?: Record<string, string>;
  /** Called once every payload blob is written, flushed or linked: the config's stats. */
  stats?: (w: WriteStats) => Record<string, number | null>;
  /** Read once, up front (to know the total for progress). Names are unique but for parts of one payload.
   *  A staged payload's blob must be in options.staging. */
  payloads: Iterable<Payload | StagedPayload>;
  /** RFC 3339; the current time unless given. */
  created?: string;
}

export interface WriteOptions {
  /** Told of payload bytes stored so far (written, linked or found already stored) out of their total. */
  onProgress?: (done: number, total: number) => void;
  /** An earlier image whose blobs are reused when a payload (or part) is unchanged: hard-linked, or
   *  copied across filesystems. The new image does not depend on it afterwards. */
  parent?: string;
  /**
   * Identities (ImageStore.identity) of blobs as the caller saw them when it wrote them, by hex: a parent
   * blob whose identity is still the same is linked as it is; any other is read and verified first (and
   * written anew from the payload if it does not match), so a damaged parent never damages the new image.
   */
  parentIdentities?: ReadonlyMap<string, string>;
  /** The parent was not asked for by name (the last checkpoint's image): one that cannot be opened (gone,
   *  damaged) is no parent, rather than an error. */
  parentOptional?: boolean;
  /**
   * Return once the image is complete and in place, and flush its files to stable storage afterwards
   * (WriteResult.flushed): the image it replaces is removed only once that is done, so a crash before
   * leaves it whole at DIR.old-<random> (while DIR, not yet flushed, may be refused as damaged). The
   * default flushes everything before the image is renamed into place.
   */
  deferFlush?: boolean;
  /** Compress payload blobs of at least 16 KiB with the store's codec of this name ("gzip", "zstd"),
   *  keeping the result when it saves at least an eighth (so a zero part costs one tiny blob, and
   *  random bytes stay as they are). */
  compress?: string;
  /** The image begun by stageImage, with blobs in it already: written in its temporary directory (its
   *  parent, identities and target are the staging's; parent, parentIdentities and parentOptional here
   *  are not looked at). */
  staging?: Staging;
}

/** What writing the payloads took, when they are all stored. */
export interface WriteStats {
  /** Bytes of payload given. */
  readonly payloadBytes: number;
  /** Blob bytes written anew, and taken from the parent. */
  readonly written: number;
  readonly reused: number;
  /** Distinct payload blobs. */
  readonly blobs: number;
  /** Milliseconds since writeImage was called. */
  readonly ms: number;
}

export interface WriteResult {
  /** The image directory, absolute. */
  readonly dir: string;
  readonly manifestDigest: string;
  /** Bytes of payload given. */
  readonly payloadBytes: number;
  /** Distinct payload blobs in the image. */
  readonly blobs: number;
  /** Blob bytes written anew. */
  readonly written: number;
  /** Blob bytes taken from the parent image. */
  readonly reused: number;
  /** What went wrong after the image was safely in place (an old image that could not be removed). */
  readonly warnings: string[];
  /** The SHA-256 hex of each payload's bytes, in the order given. */
  readonly contentHexes: readonly string[];
  /** Each raw payload blob of the new image, by content hex: what a later image staged with this one as
   *  its parent may link without opening it (stageImage's known). */
  readonly rawBlobs: ReadonlyMap<string, number>;
  /** The identity of each payload blob of the new image, in place, by hex (when the store tells); with
   *  deferFlush, taken on the turn after writeImage returns (the caller's reply goes first) and brought up
   *  to date before flushed settles (carryIdentities). */
  readonly identities: ReadonlyMap<string, string>;
  /** Settles once the image is on stable storage and the one it replaced removed (at once unless
   *  deferFlush), with what went wrong doing that; never rejects. */
  readonly flushed: Promise<string[]>;
}

/** Below this a payload blob is never compressed: the codec's fixed cost outweighs what it saves. */
const MIN_COMPRESS = 16 << 10;
/** Blob writes in flight at once (store.writeFile): enough to keep the host's writer threads and the disk
 *  busy while the next blobs are hashed, few enough that a failure is noticed soon. */
const IN_FLIGHT = 16;
/** Payloads up to this size are hashed on this thread (~30 µs), not by store.sha256Of. */
const HASH_HERE = 64 << 10;
/** Payload hashes started ahead of the one being stored (store.sha256Of: on other threads). */
const HASH_AHEAD = 8;
/** Bytes hashed between two turns of the event loop (~10 ms), so a pod left running, a control connection
 *  or a progress display gets its turn during a long write. */
const YIELD_EVERY = 8 << 20;

/** A blob now in the new image. */
type Stored = StoredBlob;

/** Where each payload (by content hex) can be found in the parent image. */
type ParentBlobs = ReadonlyMap<string, { readonly dir: string; readonly layer: Layer }>;

/** The blobs of the image being written, each stored once. */
class BlobSet {
  readonly #store: ImageStore;
  readonly #dir: string;
  readonly #parent: ParentBlobs;
  readonly #identities: ReadonlyMap<string, string>;
  readonly #codec: StoreCodec | undefined;
  /** Whether each file is flushed as it is written (else by the caller, later: every file of the image). */
  readonly #sync: boolean;
  readonly #progress: (n: number) => void;
  /** By the hex of the payload bytes. */
  readonly #byContent = new Map<string, Stored>();
  /** By the very array given: the same Uint8Array given again (a shared all-zero part) is not hashed again. */
  readonly #byArray = new Map<Uint8Array, Stored>();
  /** Blob hexes present in the new image. */
  readonly #present = new Set<string>();
  /** Blob hexes holding payloads. */
  readonly #payloadBlobs = new Set<string>();
  /** Blob writes not yet settled. */
  readonly #inFlight = new Set<Promise<void>>();
  /** The first blob write that failed. */
  #failed: { error: unknown } | null = null;
  #sinceTurn = 0;
  /** Blobs staged before the payloads were given (raw: content hex = blob hex), by hex: their size. */
  readonly #staged = new Map<string, number>();
  #stagedWritten = new Set<string>();
  /** Blobs this writer wrote itself (not linked) from bytes it hashed (not a caller's contentHex), by hex: their size. */
  readonly #mine = new Map<string, number>();
  written = 0;
  reused = 0;

  constructor(store: ImageStore, dir: string, parent: ParentBlobs, identities: ReadonlyMap<string, string>, codec: StoreCodec | undefined, sync: boolean, progress: (n: number) => void, staging?: Staging) {
    this.#sync = sync;
    if (staging !== undefined) {
      for (const [hex, size] of staging.written) {
        this.#present.add(hex);
        this.#staged.set(hex, size);
      }
      for (const [hex, size] of staging.linked) {
        this.#present.add(hex);
        this.#staged.set(hex, size);
      }
      this.#stagedWritten = new Set(staging.written.keys());
    }
    this.#store = store;
    this.#dir = dir;
    this.#parent = parent;
    this.#identities = identities;
    this.#codec = codec;
    this.#progress = progress;
  }

  get count(): number {
    return this.#payloadBlobs.size;
  }

  /**
   * Stores bytes (unless already stored) and says how; hex is their SHA-256 (hashOf's promise, or known:
   * the caller's contentHex). bytes must not change until flush() settles.
   */
  async put(bytes: Uint8Array, hex: Promise<string> | string, known: boolean): Promise<Stored> {
    this.#throwIfFailed();
    const same = this.#byArray.get(bytes);
    if (same !== undefined) {
      this.#progress(bytes.length);
      return same;
    }
    const contentHex = await hex;
    // Bytes hashed or written cost this thread time (a copy, a compression); a known part linked does not.
    let work = !known;
    let stored = this.#byContent.get(contentHex);
    if (stored === undefined) {
      const linked = this.#fromParent(contentHex);
      if (linked === null) work = true;
      stored = linked ?? await this.#write(contentHex, bytes, known);
      this.#byContent.set(contentHex, stored);
      this.#payloadBlobs.add(stored.hex);
    } else {
      this.#progress(bytes.length);
    }
    this.#byArray.set(bytes, stored);
    if (work) this.#sinceTurn += bytes.length;
    if (this.#sinceTurn >= YIELD_EVERY) {
      this.#sinceTurn = 0;
      await nextTurn();
    }
    return stored;
  }

  /** A staged payload's blob, counted once as written or reused. */
  putStaged(p: StagedPayload): Stored {
    const hex = p.staged.contentHex;
    if (this.#staged.get(hex) !== p.staged.size) throw new Error(`kernel bug: payload "${p.name}" is staged as ${hex}, which the image being written does not hold`);
    this.#progress(p.staged.size);
    if (!this.#payloadBlobs.has(hex)) {
      this.#payloadBlobs.add(hex);
      if (this.#stagedWritten.has(hex)) this.written += p.staged.size;
      else this.reused += p.staged.size;
    }
    return { contentHex: hex, hex, size: p.staged.size, codec: null };
  }

  /** The blobs of the image this writer wrote itself (staged ones too), by hex: their size. */
  mine(): Map<string, number> {
    const out = new Map(this.#mine);
    for (const hex of this.#stagedWritten) if (this.#payloadBlobs.has(hex)) out.set(hex, this.#staged.get(hex) ?? 0);
    return out;
  }

  /** Removes the staged blobs no payload turned out to name (a program that exited, or whose memory grew,
   *  after its parts were staged): the image holds only what its manifest names. */
  dropUnstaged(): void {
    for (const hex of this.#staged.keys()) {
      if (this.#payloadBlobs.has(hex)) continue;
      this.#store.remove(blobPath(this.#dir, hex));
      this.#present.delete(hex);
    }
  }

  /** Writes a JSON document as a blob, in flight like the payloads' (flush() waits for it). */
  async putJson(bytes: Uint8Array): Promise<string> {
    const hash = this.#store.sha256();
    hash.update(bytes);
    const hex = hash.hexDigest();
    if (!this.#present.has(hex)) {
      this.#present.add(hex);
      await this.writeFile(blobPath(this.#dir, hex), bytes);
    }
    return hex;
  }

  /**
   * Starts writing a file (store.writeFile) once fewer than IN_FLIGHT are in flight; flush() waits for it
   * and throws its failure, or the next call does.
   */
  async writeFile(path: string, bytes: Uint8Array, onDone?: () => void): Promise<void> {
    while (this.#inFlight.size >= IN_FLIGHT) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    const write: Promise<void> = (this.#sync ? this.#store.writeFile(path, bytes) : this.#store.writeFile(path, bytes, { sync: false })).then(
      () => onDone?.(),
      (error: unknown) => {
        this.#failed ??= { error };
      },
    ).finally(() => this.#inFlight.delete(write));
    this.#inFlight.add(write);
  }

  /** Waits for every blob write; throws the first failure. */
  async flush(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
  }

  /** Waits until no write is in flight, failed or not (before the temporary directory is removed). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
  }

  #throwIfFailed(): void {
    if (this.#failed !== null) throw this.#failed.error;
  }

  #fromParent(contentHex: string): Stored | null {
    const found = this.#parent.get(contentHex);
    if (found === undefined) return null;
    const { layer } = found;
    const from = blobPath(found.dir, layer.hex);
    // A blob the caller saw written and that is still that very file is linked as it is; any other is
    // verified first, so a parent damaged since (or by another tool) never damages the new image.
    if (!intact(this.#store, this.#identities, found.dir, layer)) return null;
    const stored = { contentHex, hex: layer.hex, size: layer.blobSize, codec: layer.codec };
    if (!this.#present.has(layer.hex)) {
      const to = blobPath(this.#dir, layer.hex);
      if (!this.#store.link(from, to)) copyFile(this.#store, from, to);
      this.#present.add(layer.hex);
      this.reused += layer.blobSize;
    }
    this.#progress(layer.size);
    return stored;
  }

  /** Writes bytes as a blob (compressed if the codec saves enough); known: contentHex is the caller's, not hashed here. */
  async #write(contentHex: string, bytes: Uint8Array, known: boolean): Promise<Stored> {
    const codec = this.#codec;
    let blob = bytes;
    let hex = contentHex;
    if (codec !== undefined && bytes.length >= MIN_COMPRESS) {
      const packed = codec.compress(bytes);
      if (packed.length <= bytes.length - bytes.length / 8) {
        const hash = this.#store.sha256();
        hash.update(packed);
        blob = packed;
        hex = hash.hexDigest();
      }
    }
    const raw = blob === bytes;
    if (this.#present.has(hex)) {
      this.#progress(bytes.length);
    } else {
      this.#present.add(hex);
      this.written += blob.length;
      if (!known || blob !== bytes) this.#mine.set(hex, blob.length); // its name hashed here from the bytes written
      const n = bytes.length;
      await this.writeFile(blobPath(this.#dir, hex), blob, () => this.#progress(n));
    }
    return { contentHex, hex, size: blob.length, codec: raw || codec === undefined ? null : codec.name };
  }
}

/** Whether a parent blob still holds what its name says: unchanged since the caller saw it (identities),
 *  or verified now. */
function intact(store: ImageStore, identities: ReadonlyMap<string, string>, dir: string, layer: Layer): boolean {
  const path = blobPath(dir, layer.hex);
  const seen = identities.get(layer.hex);
  if (seen !== undefined && seen === store.identity?.(path)) return true;
  try {
    readBlob(store, dir, { hex: layer.hex, size: layer.blobSize, label: layer.label });
    return true;
  } catch (e) {
    if (e instanceof ImageError) return false; // damaged: the payload's own bytes are written instead
    throw e;
  }
}

/** What is at target now, and so how to replace it. */
function targetState(store: ImageStore, target: string): 'absent' | 'empty' | 'image' {
  const entry = store.stat(target);
  if (entry === null) return 'absent';
  if (entry.kind !== 'directory') throw new ImageError(`${target}: exists and is not a directory`);
  const names = store.list(target) ?? [];
  if (names.length === 0) return 'empty';
  if (names.includes(LAYOUT_FILE)) return 'image';
  throw new ImageError(`${target}: exists and is not a checkpoint image; refusing to replace it`);
}

/**
 * The parent's blobs this image may link: those stored as this image stores its own, so an image is as
 * its --compress says whatever its parent was: of this codec (or raw, as this codec left what did not
 * shrink, if the parent was written with it); with no codec, raw ones only.
 */
function parentBlobs(store: ImageStore, parent: string | undefined, optional: boolean, codec: string | null): ParentBlobs {
  const out = new Map<string, { dir: string; layer: Layer }>();
  if (parent === undefined) return out;
  let image;
  try {
    image = openImage(store, parent, true); // its blobs are linked or verified as stored, never decoded
  } catch (e) {
    if (optional && e instanceof ImageError) return out;
    throw e;
  }
  const all = allLayers(image);
  const sameWriter = codec === null || all.some((l) => l.codec === codec);
  for (const layer of all) {
    if (layer.contentHex === null || !(layer.codec === codec || (layer.codec === null && sameWriter))) continue;
    out.set(layer.contentHex, { dir: image.dir, layer });
  }
  return out;
}

/**
 * An image whose blobs are stored before its payloads exist, like CRIU's pre-dump writing pages before
 * the final dump: its temporary directory (writeImage's DIR.tmp-<random>, so a crash leaves only what
 * image/recover.ts clears), the parent's blobs it may link, and the blobs staged so far. Used from one
 * thread; another thread may write blobs into blobDir, which the caller records (stagedWritten). Ends in
 * writeImage (options.staging) or dropStaging.
 */
export interface Staging {
  readonly target: string;
  readonly tmp: string;
  /** Where each blob's file goes, named by its hex. */
  readonly blobDir: string;
  /** Blobs written into blobDir (raw), by content hex: their size. */
  readonly written: Map<string, number>;
  /** Blobs linked (or copied) from the parent, raw, by content hex: their size. */
  readonly linked: Map<string, number>;
  readonly parent: ParentBlobs;
  readonly identities: ReadonlyMap<string, string>;
}

export interface StageOptions extends Pick<WriteOptions, 'parent' | 'parentOptional' | 'parentIdentities'> {
  /**
   * The raw blobs of an image this process wrote (WriteResult.rawBlobs) and where: when it is the parent,
   * its blobs are known without opening it (its index, manifest and config read and checked: a cold
   * path of several ms). Safe as any parent is: a blob is linked unread only while its identity is the
   * one recorded (parentIdentities), else verified first; one gone or damaged is staged from the bytes.
   */
  known?: { readonly dir: string; readonly rawBlobs: ReadonlyMap<string, number> };
}

/** The parent blobs of an image this process wrote, as parentBlobs would find them. */
function knownBlobs(dir: string, rawBlobs: ReadonlyMap<string, number>): ParentBlobs {
  const out = new Map<string, { dir: string; layer: Layer }>();
  for (const [hex, size] of rawBlobs) {
    out.set(hex, { dir, layer: { hex, blobSize: size, size, kind: '', codec: null, contentHex: hex, label: `blob sha256:${hex}`, annotations: {} } });
  }
  return out;
}

/**
 * Begins an image at dir whose blobs the caller stages (stageBytes, stageLink, stagedWritten) before it
 * gives writeImage the payloads. Refuses an unusable dir before anything is written. Blobs are stored
 * raw: a codec is writeImage's alone.
 */
export function stageImage(store: ImageStore, dir: string, options: StageOptions = {}): Staging {
  const target = store.resolve(dir);
  if (target === '/') throw new ImageError('/: cannot be an image directory');
  targetState(store, target);
  const known = options.known;
  const parent = known !== undefined && options.parent !== undefined && store.resolve(options.parent) === known.dir
    ? knownBlobs(known.dir, known.rawBlobs)
    : parentBlobs(store, options.parent, options.parentOptional === true, null);
  const tmp = siblingName(store, target, 'tmp');
  store.makeDirs(dirName(target));
  store.makeDir(tmp);
  try {
    store.makeDirs(`${tmp}/${BLOBS_DIR}`);
  } catch (e) {
    dropStaging(store, { tmp });
    throw e;
  }
  return { target, tmp, blobDir: `${tmp}/${BLOBS_DIR}`, written: new Map(), linked: new Map(), parent, identities: options.parentIdentities ?? new Map() };
}

/** Removes a staged image that will not be finished (a failed checkpoint); what fails is ignored. */
export function dropStaging(store: ImageStore, staging: Pick<Staging, 'tmp'>): void {
  try {
    store.remove(staging.tmp);
  } catch {
    // A leftover DIR.tmp-* is harmless: image/recover.ts clears it.
  }
}

/**
 * Links the parent's raw blob of content hex into the staged image, if the parent has one that is intact
 * (its identity as recorded, or verified now); false if it has none (the caller stages the bytes).
 */
export function stageLink(store: ImageStore, staging: Staging, hex: string): boolean {
  if (staging.linked.has(hex) || staging.written.has(hex)) return true;
  const found = staging.parent.get(hex);
  if (found === undefined || found.layer.codec !== null || !intact(store, staging.identities, found.dir, found.layer)) return false;
  const from = blobPath(found.dir, found.layer.hex);
  const to = `${staging.blobDir}/${hex}`;
  if (!store.link(from, to)) copyFile(store, from, to);
  staging.linked.set(hex, found.layer.size);
  return true;
}

/**
 * Stages bytes as a blob now, on this thread (hashed, then linked from the parent or written into the page
 * cache; flushed by writeImage with the rest): bytes may change once it returns. Returns their hex.
 */
export function stageBytes(store: ImageStore, staging: Staging, bytes: Uint8Array): string {
  const hash = store.sha256();
  hash.update(bytes);
  const hex = hash.hexDigest();
  if (stageLink(store, staging, hex)) return hex;
  const path = `${staging.blobDir}/${hex}`;
  let out;
  try {
    out = store.create(path);
  } catch (e) {
    // Another thread staging the same bytes (stagedWritten) made the file first: the same content.
    if (store.stat(path)?.kind === 'file') return hex;
    throw e;
  }
  try {
    out.write(bytes);
  } finally {
    out.close();
  }
  staging.written.set(hex, bytes.length);
  return hex;
}

/** Records a blob another thread wrote into staging.blobDir (raw, named by hex). */
export function stagedWritten(staging: Staging, hex: string, size: number): void {
  staging.written.set(hex, size);
}

/** The SHA-256 hex of bytes: off this thread where the store can, but for a few KiB (a trip to another
 *  thread and back costs more than hashing them: the kernel graph, a stack, a patch). */
function hashOf(store: ImageStore, bytes: Uint8Array): Promise<string> | string {
  if (store.sha256Of !== undefined && bytes.length > HASH_HERE) return store.sha256Of(bytes);
  const hash = store.sha256();
  hash.update(bytes);
  return hash.hexDigest();
}

function dirName(path: string): string {
  return path.slice(0, Math.max(1, path.lastIndexOf('/')));
}

/**
 * Writes an image of contents at dir, replacing an image (or an empty directory) there only once the
 * new one is complete and flushed. Rejects with ImageError for a host failure or an unusable dir; then
 * nothing at dir changed and no temporary directory is left. The payloads' bytes must not change until
 * the promise settles (a running pod's memory is copied first: runtime/checkpoint.ts).
 */
export async function writeImage(
  store: ImageStore, dir: string, contents: ImageContents, options: WriteOptions = {},
): Promise<WriteResult> {
  const t0 = performance.now();
  const staging = options.staging;
  const target = staging?.target ?? store.resolve(dir);
  if (target === '/') throw new ImageError('/: cannot be an image directory');
  const payloads = [...contents.payloads];
  const total = checkPayloads(payloads);
  const config: CheckpointConfig = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    created: contents.created ?? new Date().toISOString(),
    podId: contents.podId,
    meta: contents.meta ?? {},
  };
  const annotations: Record<string, string> = {
    ...contents.annotations,
    [ANNOTATION_CREATED]: config.created,
    [ANNOTATION_POD]: config.podId,
    [ANNOTATION_FORMAT]: FORMAT_NAME,
    [ANNOTATION_FORMAT_VERSION]: String(FORMAT_VERSION),
  };
  const codec = options.compress === undefined ? undefined : store.codecs?.get(options.compress);
  if (options.compress !== undefined && codec === undefined) throw new ImageError(`${target}: no codec named ${options.compress} to compress with`);
  if (staging !== undefined && codec !== undefined) throw new Error('kernel bug: a staged image is written raw');
  targetState(store, target); // refuse an unusable dir before writing anything
  const parent = staging?.parent ?? parentBlobs(store, options.parent, options.parentOptional === true, codec?.name ?? null);
  const { onProgress } = options;
  let done = 0;
  const progress = onProgress === undefined ? (): void => {} : (n: number): void => onProgress((done += n), total);

  let tmp: string;
  if (staging !== undefined) {
    tmp = staging.tmp;
  } else {
    tmp = siblingName(store, target, 'tmp');
    store.makeDirs(dirName(target));
    store.makeDir(tmp);
  }
  let blobs: BlobSet | null = null;
  try {
    if (staging === undefined) store.makeDirs(`${tmp}/${BLOBS_DIR}`);
    const defer = options.deferFlush === true;
    // Staged blobs were written without a flush: flushed with the rest, now or later.
    if (!defer) {
      store.sync(`${tmp}/blobs`); // holds sha256/ alone, from now on
      for (const hex of staging?.written.keys() ?? []) store.sync(blobPath(tmp, hex));
    }
    blobs = new BlobSet(store, tmp, parent, staging?.identities ?? options.parentIdentities ?? new Map(), codec, !defer, progress, staging);
    // What does not depend on the payloads is written (and flushed) while they are.
    await blobs.writeFile(`${tmp}/${LAYOUT_FILE}`, jsonBytes({ imageLayoutVersion: LAYOUT_VERSION }));
    const layers: Descriptor[] = [];
    // Where the store hashes off this thread, each payload's hash is started HASH_AHEAD payloads before it
    // is stored, so hashing overlaps writing; else each is hashed as it is stored (between two turns of
    // the event loop, not eight at once). Where it has a helper thread (sha256Split), the big payloads
    // not hashed yet are hashed there from the last backwards while this thread hashes them as it stores
    // them, until the two meet. The same array given again (a shared zero part) is hashed once.
    const ahead = store.sha256Of !== undefined ? HASH_AHEAD : 1;
    const splitIndex = new Map<Uint8Array, number>();
    if (store.sha256Split !== undefined && store.sha256Of === undefined) {
      for (const p of payloads) if (!('staged' in p) && p.contentHex === undefined && p.bytes.length > HASH_HERE && !splitIndex.has(p.bytes)) splitIndex.set(p.bytes, splitIndex.size);
    }
    const split = splitIndex.size > 0 ? store.sha256Split?.([...splitIndex.keys()]) ?? null : null;
    const hashes = new Map<Uint8Array, Promise<string> | string>();
    const hashFor = (p: Payload): Promise<string> | string => {
      let h = hashes.get(p.bytes);
      if (h === undefined) {
        const k = splitIndex.get(p.bytes);
        h = p.contentHex ?? (split !== null && k !== undefined ? split.take(k) : null) ?? hashOf(store, p.bytes);
        if (typeof h !== 'string') h.catch(() => {}); // awaited in turn by put(); a failure is reported there
        hashes.set(p.bytes, h);
      }
      return h;
    };
    const stored: Stored[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < payloads.length; i++) {
      for (let j = i; j < Math.min(payloads.length, i + ahead); j++) {
        const q = payloads[j] as Payload | StagedPayload;
        if (!('staged' in q)) hashFor(q);
      }
      const p = payloads[i] as Payload | StagedPayload;
      const s = 'staged' in p ? blobs.putStaged(p) : await blobs.put(p.bytes, hashFor(p), p.contentHex !== undefined);
      stored.push(s);
      layers.push(layerOf(p, s));
      diffIds.push(digestOf(s.contentHex));
    }
    await blobs.flush(); // the payloads are stored: the stats can say so
    blobs.dropUnstaged();
    if (contents.stats !== undefined) {
      config.stats = contents.stats({ payloadBytes: total, written: blobs.written, reused: blobs.reused, blobs: blobs.count, ms: performance.now() - t0 });
    }
    const imageConfig: OciImageConfig = {
      created: config.created,
      ...PLATFORM,
      config: { Labels: annotations },
      rootfs: { type: 'layers', diff_ids: diffIds },
      [CONFIG_KEY]: config,
    };
    const configBytes = jsonBytes(imageConfig);
    const configHex = await blobs.putJson(configBytes);
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_MANIFEST,
      artifactType: ARTIFACT_TYPE,
      config: { mediaType: MEDIA_IMAGE_CONFIG, digest: digestOf(configHex), size: configBytes.length },
      layers,
      annotations,
    };
    const manifestBytes = jsonBytes(manifest);
    const manifestHex = await blobs.putJson(manifestBytes);
    const index: OciIndex = {
      schemaVersion: 2,
      mediaType: MEDIA_INDEX,
      manifests: [{
        mediaType: MEDIA_MANIFEST,
        digest: digestOf(manifestHex),
        size: manifestBytes.length,
        artifactType: ARTIFACT_TYPE,
        platform: { ...PLATFORM },
        annotations: { [ANNOTATION_REF_NAME]: REF_NAME, [ANNOTATION_POD]: config.podId },
      }],
    };
    await blobs.writeFile(`${tmp}/${INDEX_FILE}`, jsonBytes(index));
    await blobs.flush(); // every file written and flushed; then the directories that name them
    if (total === 0) onProgress?.(0, 0);
    if (!defer) {
      store.sync(`${tmp}/${BLOBS_DIR}`);
      store.sync(tmp);
    }
    // Every blob is written (the flush only syncs): one modified after this gets no identity (flushLater),
    // so it is neither linked unread by the next image nor recorded as verified.
    const writtenBy = Date.now();
    const warnings = swapIn(store, tmp, target, defer);
    const identities = new Map<string, string>();
    const hexes = new Set(stored.map((s) => s.hex));
    if (!defer) takeIdentities(store, target, hexes, identities);
    // Blobs it wrote itself are recorded as verified once on disk (store.remember): a restore reads them unhashed.
    const mine = new Set<string>();
    if (defer && store.remember !== undefined) {
      for (const [hex, size] of blobs.mine()) if (size >= REMEMBER_MIN) mine.add(hex);
    }
    const flushed = defer
      ? flushLater(store, { target, holder: holderOf(store, target), created: config.created }, hexes, identities, { hexes: mine, writtenBy })
      : Promise.resolve([]);
    return {
      dir: target,
      manifestDigest: digestOf(manifestHex),
      payloadBytes: total,
      blobs: blobs.count,
      written: blobs.written,
      reused: blobs.reused,
      warnings,
      contentHexes: stored.map((s) => s.contentHex),
      rawBlobs: new Map(stored.filter((s) => s.codec === null).map((s) => [s.hex, s.size])),
      identities,
      flushed,
    };
  } catch (e) {
    await blobs?.settle();
    try {
      store.remove(tmp);
    } catch {
      // The error that stopped the write is the one to report; a leftover DIR.tmp-* is harmless.
    }
    throw e;
  }
}

/** Blobs smaller than this are not recorded as verified: hashing one costs less than the record (a
 *  memory part is at least a 64 KiB WebAssembly page). */
const REMEMBER_MIN = 64 << 10;
/** When a blob's record was refused as written too recently (store.remember 'racy'), the wait before the
 *  second attempt: past the ~100 ms a host holds racy. */
const REMEMBER_AGAIN_MS = 150;

/** The blobs a writer wrote itself from bytes it hashed (by hex): what flushLater records as verified once
 *  they are on disk; and when the writer was done writing (ms since the epoch), which identities go by. */
interface Mine {
  readonly hexes: ReadonlySet<string>;
  readonly writtenBy: number;
}

/** Files flushed at once by flushLater (each an fsync on libuv's pool). */
const FLUSH_IN_FLIGHT = 8;

/** An image whose flush flushLater does, and how to find it: at target, or set aside since. */
interface DeferredFlush {
  readonly target: string;
  /** What tells this image from any other at target or set aside there (holderOf); null if unknown. */
  readonly holder: string | null;
  /** When it was created (its config's): images set aside before it are older. */
  readonly created: string;
}

/** Every file of the image at dir: its layout file, its index and every blob, written or linked. */
function imageFiles(store: ImageStore, dir: string): string[] {
  const blobs = `${dir}/${BLOBS_DIR}`;
  return [`${dir}/${LAYOUT_FILE}`, `${dir}/${INDEX_FILE}`, ...(store.list(blobs) ?? []).map((n) => `${blobs}/${n}`)];
}

/** Bytes of an index file read to tell two images apart when the store has no identity(). */
const INDEX_READ_MAX = 64 << 10;

/**
 * What tells the image at dir from any other: its index file's identity (a new file for every image,
 * kept when the image is renamed aside), or without identity() its bytes (they name the manifest, which
 * names the time it was created); null if there is no index or it cannot be read.
 */
function holderOf(store: ImageStore, dir: string): string | null {
  const index = `${dir}/${INDEX_FILE}`;
  try {
    if (store.identity !== undefined) return store.identity(index);
    const r = store.open(index);
    if (r === null) return null;
    try {
      const buf = new Uint8Array(INDEX_READ_MAX);
      let n = 0;
      for (let got = r.read(buf); got > 0 && n < buf.length; got = r.read(buf.subarray(n))) n += got;
      return new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      r.close();
    }
  } catch {
    return null;
  }
}

/** Where the image f is now: target, an image set aside there by this process, or null (removed). */
function locate(store: ImageStore, f: DeferredFlush): string | null {
  if (f.holder === null) return null;
  if (holderOf(store, f.target) === f.holder) return f.target;
  return ownSiblings(store, f.target, 'old').find((a) => holderOf(store, a) === f.holder) ?? null;
}

/** When the image at dir was created; null if it cannot be opened (damaged: older than any that can). */
function createdOf(store: ImageStore, dir: string): string | null {
  try {
    return openImage(store, dir, true).config.created;
  } catch {
    return null;
  }
}

/** fsync of every file of the image at dir, then of the directories that name them. */
async function syncImage(store: ImageStore, dir: string): Promise<void> {
  const queue = imageFiles(store, dir);
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (store.syncFile !== undefined) await store.syncFile(file);
      else store.sync(file);
    }
  };
  await Promise.all(Array.from({ length: FLUSH_IN_FLIGHT }, worker));
  for (const d of [`${dir}/${BLOBS_DIR}`, `${dir}/blobs`, dir, dirName(dir)]) {
    if (store.syncFile !== undefined) await store.syncFile(d);
    else store.sync(d);
  }
}

/**
 * The identity of each blob of the image at target (store.identity), by hex, into identities: what the
 * next image linking them trusts without reading them. One that cannot be told stays out (verified first).
 */
function takeIdentities(store: ImageStore, target: string, hexes: Iterable<string>, identities: Map<string, string>, writtenBy?: number): void {
  if (store.identity === undefined) return;
  for (const hex of hexes) {
    try {
      const id = store.identity(blobPath(target, hex), writtenBy);
      if (id !== null) identities.set(hex, id);
    } catch {
      // Unknown: the next checkpoint verifies that blob before it links it.
    }
  }
}

/**
 * deferFlush's second half: every file of the image (linked ones too: it is durable by itself, whatever
 * other flushes are under way), then its directories, flushed; then the images set aside at target before
 * it removed. A later image may replace it meanwhile (the flush syncs by path): the flush then follows it
 * to where it was set aside and flushes it there, so it is on disk when it would have been, and removes
 * only what was set aside before it; the image at target removes it once that one is flushed (and if
 * that comes first, this flush ends there). What fails is a warning, and then nothing is removed.
 */
async function flushLater(store: ImageStore, f: DeferredFlush, hexes: ReadonlySet<string>, identities: Map<string, string>, written: Mine): Promise<string[]> {
  // The caller answers first (a checkpoint's reply): the blobs' identities, and the listing and fsyncs of
  // the image, are taken on the next turn, while it is still the image at target (a later image there
  // takes a request and several turns of its own), unless it can no longer be told (then none: each blob
  // is verified before the next image links it, and none is recorded as verified).
  await nextTurn();
  // A blob modified after the writer was done with it (a linked one too: the same file) gets none.
  if (f.holder !== null && holderOf(store, f.target) === f.holder) takeIdentities(store, f.target, hexes, identities, written.writtenBy);
  // The identities of the blobs it wrote itself as written (before carryIdentities moves them), to record.
  const mine = new Map<string, string>();
  for (const hex of written.hexes) {
    const id = identities.get(hex);
    if (id !== undefined) mine.set(hex, id);
  }
  let at = f.target;
  for (;;) {
    let failure: unknown = null;
    try {
      await syncImage(store, at);
    } catch (e) {
      failure = e;
    }
    // From here to the last removal nothing awaits: no image is renamed in between.
    const now = locate(store, f);
    if (now === null && f.holder !== null) return [`replaced by a later checkpoint before its flush was done; that one was flushed first, and this one removed`];
    if (now !== null && now !== at) {
      at = now; // set aside while it was flushed: flushed again where it is
      continue;
    }
    if (failure !== null || now === null) {
      const why = failure === null ? 'it cannot be told from a later image at its path' : messageOf(failure);
      return [`the image could not be flushed to stable storage; what was set aside before it is kept: ${why}`];
    }
    const warnings = removeOlder(store, f, at, identities);
    // Their identities were taken with writtenBy: none was modified after the writer's writes.
    await rememberMine(store, at, mine);
    return warnings;
  }
}

/**
 * Records each blob this writer wrote itself (by hex: its identity once written), now on disk in the
 * image at dir, as verified (store.remember), yielding between two. One written too recently to tell a
 * later change (store.remember's 'racy') is tried once more after REMEMBER_AGAIN_MS, not waited for.
 */
async function rememberMine(store: ImageStore, dir: string, mine: ReadonlyMap<string, string>): Promise<void> {
  const attempt = (hex: string, identity: string): 'recorded' | 'racy' | 'refused' => {
    try {
      return store.remember?.(blobPath(dir, hex), hex, identity) ?? 'refused';
    } catch {
      return 'refused'; // a record not written only costs a hash
    }
  };
  const racy = new Map<string, string>();
  const each = async (blobs: ReadonlyMap<string, string>): Promise<void> => {
    for (const [hex, identity] of blobs) {
      if (attempt(hex, identity) === 'racy') racy.set(hex, identity);
      await nextTurn();
    }
  };
  await each(mine);
  if (racy.size > 0) setTimeout(() => void each(new Map(racy)), REMEMBER_AGAIN_MS);
}

/**
 * The images this process set aside at f.target before the image f, now on disk at `at`, removed: all of
 * them when it is at target, else those created before it. Warnings for what could not be removed.
 */
function removeOlder(store: ImageStore, f: DeferredFlush, at: string, identities: Map<string, string>): string[] {
  const warnings: string[] = [];
  let removed = false;
  for (const aside of ownSiblings(store, f.target, 'old')) {
    if (aside === at) continue;
    if (at !== f.target) {
      const created = createdOf(store, aside);
      if (created !== null && !(Date.parse(created) < Date.parse(f.created))) continue;
    }
    try {
      store.remove(aside);
      removed = true;
    } catch (e) {
      warnings.push(`the previous image, now at ${aside}, could not be removed: ${messageOf(e)}`);
    }
  }
  if (at !== f.target) return [...warnings, `replaced by a later checkpoint before its flush was done; flushed where it was set aside, ${at}, kept until that one is flushed`];
  if (removed) carryIdentities(store, f.target, identities);
  return warnings;
}

/**
 * The identities of the new image's blobs after the image it replaced was removed: a blob linked from
 * that image (the usual parent, at the same path) lost a link, which moves its change time. One that is
 * still the very file recorded keeps its place, under its identity now, so the next checkpoint links it
 * unread; any other is dropped (verified before it is linked).
 */
function carryIdentities(store: ImageStore, target: string, identities: Map<string, string>): void {
  for (const [hex, before] of identities) {
    let now: string | null = null;
    try {
      now = store.relinked?.(blobPath(target, hex), before) ?? null;
    } catch {
      // Unknown: dropped.
    }
    if (now === null) identities.delete(hex);
    else identities.set(hex, now);
  }
}

/**
 * Renames the complete image tmp to target, an earlier image there aside first and removed last (by the
 * caller once flushed, when deferred: flushLater removes every image this process set aside there
 * before). Once the new image is in place nothing throws: what fails after that is a warning.
 */
function swapIn(store: ImageStore, tmp: string, target: string, defer: boolean): string[] {
  let aside: string | null = null;
  if (targetState(store, target) === 'image') {
    aside = siblingName(store, target, 'old');
    store.rename(target, aside);
  }
  try {
    store.rename(tmp, target); // rename(2) replaces an empty directory atomically
  } catch (e) {
    if (aside !== null) store.rename(aside, target);
    throw e;
  }
  const warnings: string[] = [];
  const attempt = (what: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      warnings.push(`${what}: ${messageOf(e)}`);
    }
  };
  if (defer) return warnings;
  attempt('the image directory\'s parent could not be flushed', () => store.sync(dirName(target)));
  if (aside !== null) {
    const old = aside;
    attempt(`the previous image, now at ${old}, could not be removed`, () => store.remove(old));
  }
  return warnings;
}
