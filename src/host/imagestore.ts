// NodeImageStore: image/store.ts's ImageStore on node:fs and node:crypto: the files of a checkpoint image
// directory (an OCI image layout), SHA-256 by OpenSSL on the calling thread (no sha256Of: WebCrypto's
// digest, on the thread pool, copied every blob first and took twice as long at 256 MiB), gzip and zstd (host/codecs.ts) for compressed blobs. Reads open O_RDONLY|O_NOATIME where allowed, so a
// restore leaves an image untouched.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { ImageError } from '../image/error.js';
import { imageCodecs } from '../image/manifest.js';
import { recoverImagePath, staleLeftovers } from '../image/recover.js';
import type { ImageStore, Sha256, StoreCodec, StoreEntry, StoreReader, StoreWriter } from '../image/store.js';
import { BlobRecords, RACY_NS, sameFile, wallNs } from './blobrecords.js';
import { amberCacheDir } from './cachedir.js';
import { allCodecs, gzipCodec } from './codecs.js';
import { processAlive } from './pidalive.js';
import type { CutThread, HashSplit } from './cutthread.js';

const NOATIME = fs.constants.O_NOATIME ?? 0;
/** The most one write(2) of writeFile is given. */
const WRITE_SLICE = 8 << 20;
/** Files up to this size not flushed at once are written on the caller's thread (writeFile). */
const SMALL_WRITE = 64 << 10;

/** A node:fs failure as one line: "/x/img/index.json: permission denied". */
export function imageErrorOf(path: string, e: unknown): unknown {
  if (e instanceof ImageError || !(e instanceof Error) || !('code' in e)) return e;
  const errno = 'errno' in e && typeof e.errno === 'number' ? e.errno : undefined;
  const reason = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1];
  return new ImageError(`${path}: ${reason ?? String(e.code)}`);
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' && codes.includes(e.code);
}

/** Runs f, turning a node:fs failure into ImageError about path. */
function on<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw imageErrorOf(path, e);
  }
}

class FileWriter implements StoreWriter {
  readonly #path: string;
  readonly #fd: number;

  constructor(path: string, fd: number) {
    this.#path = path;
    this.#fd = fd;
  }

  write(bytes: Uint8Array): void {
    on(this.#path, () => {
      for (let at = 0; at < bytes.length;) at += fs.writeSync(this.#fd, bytes, at, bytes.length - at);
    });
  }

  sync(): void {
    on(this.#path, () => fs.fsyncSync(this.#fd));
  }

  close(): void {
    on(this.#path, () => fs.closeSync(this.#fd));
  }
}

class FileReader implements StoreReader {
  readonly size: number;
  // Plain properties, not #private: tests wrap a reader with Object.create, and its methods see these.
  private readonly path: string;
  private readonly fd: number;
  /** The file as opened (fstat), and when: what vouched(), unchanged() and identity() go by. */
  private readonly opened: fs.BigIntStats;
  private readonly openedNs: bigint;
  private readonly records: BlobRecords | null;

  constructor(path: string, fd: number, st: fs.BigIntStats, records: BlobRecords | null) {
    this.path = path;
    this.fd = fd;
    this.opened = st;
    this.openedNs = wallNs();
    this.records = records;
    this.size = Number(st.size);
  }

  read(into: Uint8Array): number {
    return on(this.path, () => fs.readSync(this.fd, into, 0, into.length, null));
  }

  /** pread(2) on libuv's thread pool: the copy out of the page cache, and the faults of `into`'s fresh
   *  pages (a restored program's memory), are that thread's. */
  readAt(into: Uint8Array, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, into, 0, into.length, position, (e, n) => (e === null ? resolve(n) : reject(imageErrorOf(this.path, e))));
    });
  }

  vouched(hex: string): boolean {
    return this.records?.vouches(this.opened, hex) ?? false;
  }

  unchanged(): boolean {
    try {
      return sameFile(fs.fstatSync(this.fd, { bigint: true }), this.opened);
    } catch {
      return false;
    }
  }

  identity(): string | null {
    return this.openedNs - this.opened.mtimeNs < RACY_NS ? null : identityOf(this.opened);
  }

  close(): void {
    on(this.path, () => fs.closeSync(this.fd));
  }
}

/** What ImageStore.identity says of a file: device, inode, size, mtime, birth time and ctime (ns). */
function identityOf(s: fs.BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.birthtimeNs}:${s.ctimeNs}`;
}

/** Whether the file was modified after its writer was done with it (the ms Date.now() gave, plus the one it truncated). */
function modifiedAfter(s: fs.BigIntStats, writtenBy: number): boolean {
  return s.mtimeNs > BigInt(writtenBy + 1) * 1_000_000n;
}

/** All of an identity but its change time (the last field): the same file, size and modification time. */
function fileOf(identity: string): string {
  return identity.slice(0, identity.lastIndexOf(':'));
}

export interface NodeImageStoreOptions {
  /** The codecs compressed blobs can be written and read with, by name; gzip alone unless given
   *  (host/codecs.ts allCodecs() adds zstd, which loads a WebAssembly module). */
  codecs?: ReadonlyMap<string, StoreCodec>;
  /** A checkpoint's helper thread: payloads in its buffers are hashed there while this thread hashes
   *  others (sha256Split). */
  cutThread?: CutThread;
  /** Where the records of verified blobs are kept (host/blobrecords.ts: verifiedDir()): readers vouch for
   *  the blob files they hold (StoreReader.vouched), and remember() writes them. None unless given. */
  verified?: string;
}

/** The records folder of this user's verified blobs: <cache>/amber/verified, beside the module cache. */
export function verifiedDir(env: NodeJS.ProcessEnv = process.env): string {
  return amberCacheDir('verified', env);
}

export class NodeImageStore implements ImageStore {
  readonly codecs: ReadonlyMap<string, StoreCodec>;
  /** A plain property, not #private: tests wrap a store with Object.create, and its methods see this one. */
  private readonly cutThread: CutThread | null;
  private readonly records: BlobRecords | null;

  constructor(options: NodeImageStoreOptions = {}) {
    this.codecs = options.codecs ?? new Map([[gzipCodec.name, gzipCodec]]);
    this.cutThread = options.cutThread ?? null;
    this.records = options.verified === undefined ? null : new BlobRecords(options.verified);
  }

  sha256Split(parts: readonly Uint8Array[]): HashSplit | null {
    return this.cutThread?.sha256Split(parts) ?? null;
  }

  resolve(path: string): string {
    return resolve(path);
  }

  stat(path: string): StoreEntry | null {
    const s = on(path, () => fs.statSync(path, { throwIfNoEntry: false }));
    if (s === undefined) return null;
    return { kind: s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other', size: s.size };
  }

  list(path: string): string[] | null {
    try {
      return fs.readdirSync(path);
    } catch (e) {
      if (isCode(e, 'ENOENT')) return null;
      throw imageErrorOf(path, e);
    }
  }

  makeDir(path: string): void {
    on(path, () => fs.mkdirSync(path));
  }

  makeDirs(path: string): void {
    on(path, () => fs.mkdirSync(path, { recursive: true }));
  }

  create(path: string): StoreWriter {
    const fd = on(path, () => fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644));
    return new FileWriter(path, fd);
  }

  async syncFile(path: string): Promise<void> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(path, fs.constants.O_RDONLY);
      await handle.sync();
    } catch (e) {
      throw imageErrorOf(path, e);
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  async writeFile(path: string, bytes: Uint8Array, options: { sync?: boolean } = {}): Promise<void> {
    // A small file not flushed now is written on this thread: into the page cache, a few syscalls, where
    // three trips to the thread pool and back cost more (an incremental checkpoint's few blobs and JSON).
    if (options.sync === false && bytes.length <= SMALL_WRITE) {
      on(path, () => fs.writeFileSync(path, bytes, { flag: 'wx', mode: 0o644 }));
      return;
    }
    // Open, write, fsync and close each run on libuv's thread pool: several blobs are flushed at once
    // while the writer hashes the next (the disk merges their flushes into few journal commits).
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
      for (let at = 0; at < bytes.length;) {
        const { bytesWritten } = await handle.write(bytes, at, Math.min(bytes.length - at, WRITE_SLICE));
        at += bytesWritten;
      }
      if (options.sync !== false) await handle.sync();
      const h = handle;
      handle = undefined;
      await h.close();
    } catch (e) {
      await handle?.close().catch(() => {}); // the first failure is the one to report
      throw imageErrorOf(path, e);
    }
  }

  open(path: string): StoreReader | null {
    let fd: number;
    try {
      fd = openReadOnly(path);
    } catch (e) {
      if (isCode(e, 'ENOENT')) return null;
      if (isCode(e, 'ELOOP')) throw new ImageError(`${path}: a symbolic link, not a regular file`);
      throw imageErrorOf(path, e);
    }
    try {
      const st = on(path, () => fs.fstatSync(fd, { bigint: true }));
      if (!st.isFile()) throw new ImageError(`${path}: ${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'a special file'}, not a regular file`);
      return new FileReader(path, fd, st, this.records);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  link(existing: string, newPath: string): boolean {
    try {
      fs.linkSync(existing, newPath);
      return true;
    } catch (e) {
      // Another filesystem, or one without hard links, or a link count at its limit: copy instead.
      if (isCode(e, 'EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP')) return false;
      throw imageErrorOf(newPath, e);
    }
  }

  rename(from: string, to: string): void {
    on(to, () => fs.renameSync(from, to));
  }

  sync(path: string): void {
    on(path, () => {
      const fd = fs.openSync(path, fs.constants.O_RDONLY);
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  remove(path: string): void {
    on(path, () => fs.rmSync(path, { recursive: true, force: true }));
  }

  identity(path: string, writtenBy?: number): string | null {
    const s = on(path, () => fs.statSync(path, { bigint: true, throwIfNoEntry: false }));
    if (s === undefined || (writtenBy !== undefined && modifiedAfter(s, writtenBy))) return null;
    return identityOf(s);
  }

  relinked(path: string, before: string): string | null {
    const now = this.identity(path);
    return now !== null && fileOf(now) === fileOf(before) ? now : null;
  }

  remember(path: string, hex: string, identity: string): 'recorded' | 'racy' | 'refused' {
    if (this.records === null) return 'refused';
    let now: fs.BigIntStats | undefined;
    try {
      now = fs.statSync(path, { bigint: true, throwIfNoEntry: false });
    } catch {
      return 'refused';
    }
    if (now === undefined || !now.isFile() || fileOf(identityOf(now)) !== fileOf(identity)) return 'refused';
    return this.records.record(now, hex);
  }

  randomSuffix(): string {
    return randomBytes(6).toString('hex');
  }

  ownerTag(): string {
    return String(process.pid);
  }

  ownerAlive(tag: string): boolean {
    return /^\d+$/.test(tag) && processAlive(Number(tag));
  }

  sha256(): Sha256 {
    const h = createHash('sha256');
    return {
      update: (bytes) => void h.update(bytes),
      hexDigest: () => h.digest('hex'),
    };
  }
}

/**
 * O_RDONLY, with O_NOATIME when the caller owns the file (the kernel refuses it otherwise). An image
 * holds regular files only: O_NOFOLLOW refuses a symbolic link (ELOOP), and O_NONBLOCK keeps a FIFO put
 * in a file's place from blocking the open (the caller then refuses what fstat shows is not a file).
 */
function openReadOnly(path: string): number {
  const flags = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
  if (NOATIME !== 0) {
    try {
      return fs.openSync(path, flags | NOATIME);
    } catch (e) {
      if (!isCode(e, 'EPERM')) throw e;
    }
  }
  return fs.openSync(path, flags);
}

/** A store with every codec (zstd's WebAssembly loaded): for writing compressed images and reading any. */
export async function fullImageStore(options: Omit<NodeImageStoreOptions, 'codecs'> = {}): Promise<NodeImageStore> {
  return new NodeImageStore({ codecs: await allCodecs(), ...options });
}

/**
 * A store for writing with codec `compress` (none if undefined) and reading the images given: zstd's
 * WebAssembly is loaded only when one of them needs it (its first calls compile it: ~0.2 s).
 */
export async function imageStoreFor(compress: string | undefined, images: readonly string[] = [], options: Omit<NodeImageStoreOptions, 'codecs'> = {}): Promise<NodeImageStore> {
  const probe = new NodeImageStore();
  const needs = (dir: string): boolean => probe.stat(probe.resolve(dir)) !== null && imageCodecs(probe, dir).has('zstd');
  return compress === 'zstd' || images.some(needs) ? fullImageStore(options) : new NodeImageStore(options);
}

/**
 * Cleans what checkpoints whose process died left beside image path dir (image/recover.ts), keeping the
 * whole image; what it did, one line each. A store with every codec verifies, but only when there is
 * something to clean.
 */
export async function recoverImageDir(dir: string): Promise<string[]> {
  const plain = new NodeImageStore();
  const target = plain.resolve(dir);
  if (staleLeftovers(plain, target).length === 0) return [];
  return recoverImagePath(await fullImageStore(), target);
}
