// ImageStore: the host calls the image layer makes, like the image-file helpers of CRIU's criu/image.c:
// plain files and directories under host paths, SHA-256, optional compression. host/imagestore.ts
// implements it with node:fs, node:crypto and host/codecs.ts; a test wraps it to fail or count.
//
// Rules every implementation keeps:
// - Paths are absolute host paths once resolve() made them so; the image layer joins them with '/'.
// - Every failure throws ImageError naming the path and the host's reason ("/x/img: permission denied").
// - Calls are synchronous (a checkpoint or restore owns the sandbox while it runs), but for writeFile,
//   sha256Of and a reader's readAt: the writer hands a payload blob to writeFile and goes on hashing the next one while the host
//   writes and flushes it, so hashing, writing and the disk's flushes overlap (they do not when each blob
//   is fsynced in turn: a 256 MiB image took 3× as long); where a host has sha256Of, a restore reads a
//   blob while it hashes the one before on another thread; where readers have readAt, a restore reads
//   memory into the program on the host's I/O threads while it hashes each slice that landed.

/** What is at a path (symlinks followed, as for an --image-path a user gives). */
export interface StoreEntry {
  readonly kind: 'file' | 'directory' | 'other';
  readonly size: number;
}

/** A new file being written from the start. */
export interface StoreWriter {
  /** Appends all of bytes. */
  write(bytes: Uint8Array): void;
  /** Flushes the file's data to stable storage (fsync). */
  sync(): void;
  close(): void;
}

/** A file opened read-only, read from the start. */
export interface StoreReader {
  /** The file's size when it was opened. */
  readonly size: number;
  /** Reads up to into.length bytes at the current position; 0 at the end of the file. */
  read(into: Uint8Array): number;
  /**
   * Where the host can: reads up to into.length bytes at byte offset `position` (pread(2): the position
   * read() uses does not move) off this thread, so the caller hashes what landed while more is read;
   * resolves with the count, 0 at the end of the file; rejects with ImageError. `into` must not be used
   * until it settles, and the reader not closed.
   */
  readAt?(into: Uint8Array, position: number): Promise<number>;
  /**
   * Where the host keeps records of verified blob files (ImageStore.remember): whether one says this
   * file, as it was opened (its device, inode, size, modification and birth time), holds blob hex: this user's
   * Amber wrote it or hashed it before, and it was not modified since. The caller reads it without hashing,
   * then asks unchanged(): a file modified meanwhile is hashed as read, as any other.
   */
  vouched?(hex: string): boolean;
  /** Whether the file is still as it was opened: the same device, inode, size, modification and birth time. */
  unchanged?(): boolean;
  /**
   * The file as it was opened, as ImageStore.remember takes it; null when it had been modified just
   * before (a later change within the same tick of the clock that stamps it would leave it as it was).
   */
  identity?(): string | null;
  close(): void;
}

/** Incremental SHA-256 (FIPS 180-4). */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** The digest as 64 lowercase hex digits; the hash is finished. */
  hexDigest(): string;
}

/**
 * A byte codec for blobs, as OCI layers name them: its name is the suffix of the layers' media types
 * ("gzip": "...v1+gzip", "zstd": "...v1+zstd"). compress gives one complete stream the tools of its name
 * read (gzip, zstd -d).
 */
export interface StoreCodec {
  readonly name: string;
  compress(bytes: Uint8Array): Uint8Array;
  /** The decompressed bytes; null unless bytes decompress to exactly `size` bytes. */
  decompress(bytes: Uint8Array, size: number): Uint8Array | null;
}

export interface ImageStore {
  /** path as an absolute, normalized path (no trailing slash, no "." or ".." components). */
  resolve(path: string): string;
  /** What is at path; null if nothing is. */
  stat(path: string): StoreEntry | null;
  /** The names in directory path; null if it does not exist. */
  list(path: string): string[] | null;
  /** Creates directory path; its parent must exist; fails if path exists. */
  makeDir(path: string): void;
  /** Creates directory path and any missing parents (mkdir -p). */
  makeDirs(path: string): void;
  /** Creates a new file (exclusively) for writing. */
  create(path: string): StoreWriter;
  /**
   * Creates a new file (exclusively) holding bytes and flushes it to stable storage (unless sync is
   * false: the writer flushes it later), off this thread where the host can. bytes must not change until the promise settles; it rejects with ImageError,
   * and a file it created may then be left behind (the writer removes its whole temporary directory).
   */
  writeFile(path: string, bytes: Uint8Array, options?: { sync?: boolean }): Promise<void>;
  /** Flushes a file's data to stable storage (fsync), off this thread where the host can. */
  syncFile?(path: string): Promise<void>;
  /** Opens a file read-only (never creates, never changes access times it can avoid); null if missing. */
  open(path: string): StoreReader | null;
  /** Hard-links existing to newPath; false when the host cannot (another filesystem), so copy instead. */
  link(existing: string, newPath: string): boolean;
  /** rename(2): atomic within one filesystem. */
  rename(from: string, to: string): void;
  /** Flushes a file's or a directory's entries to stable storage (fsync). */
  sync(path: string): void;
  /** Removes path and everything under it; nothing if it does not exist. */
  remove(path: string): void;
  /**
   * A string that changes whenever the file at path is written, replaced or linked (its device, inode,
   * size, modification, birth and change times); null if nothing is there. A writer that recorded a blob's
   * identity when it wrote it can trust the blob's content later without reading it. With writtenBy (ms
   * since the epoch: when a writer's own writes of it were done), null also for a file modified after that:
   * its content may no longer be what the writer wrote.
   */
  identity?(path: string, writtenBy?: number): string | null;
  /**
   * The identity of the file at path now if it is still the very file `before` named, only its links
   * changed since (which moves its change time: a writer removing the image its own replaced, whose
   * blobs are the same files); null otherwise.
   */
  relinked?(path: string, before: string): string | null;
  /**
   * Records, for later readers to vouch for (StoreReader.vouched), that the file at path holds blob hex:
   * given the file's identity when its content was known to be that (ImageStore.identity once written,
   * StoreReader.identity once read and hashed), and only if it is still that file, unmodified since (its
   * device, inode, size, modification and birth time). 'racy' when it was modified too recently to tell a later
   * change (try again later), 'refused' when it is not recorded (changed, or no records kept). Records
   * live outside any image (a restore never writes to its image); losing one only costs a hash. A writer
   * gives the identity it took with writtenBy (identity()): none for a file modified after its writes.
   */
  remember?(path: string, hex: string, identity: string): 'recorded' | 'racy' | 'refused';
  /** A short random string for temporary names. */
  randomSuffix(): string;
  /**
   * The writing process as temporary names carry it ("<pid>"), and whether the process such a tag names
   * still runs: a later checkpoint or restore cleans leftovers of one that died (recover.ts). Absent,
   * names carry no owner and nothing is cleaned.
   */
  ownerTag?(): string;
  ownerAlive?(tag: string): boolean;
  sha256(): Sha256;
  /**
   * The SHA-256 hex of bytes, computed off this thread where the host can (several at once), so reading
   * and hashing overlap; absent, the image layer hashes on its own thread, as it reads or writes each
   * blob. Only worth having without a copy of bytes: Node's WebCrypto copies them first, and hashing
   * 256 MiB through it took twice as long as on the calling thread (host/imagestore.ts). bytes must not
   * change until the promise settles.
   */
  sha256Of?(bytes: Uint8Array): Promise<string>;
  /**
   * Where the host has a helper thread that can reach parts (a checkpoint's memory parts, in snapshot
   * buffers it made so): hashes them there from the last backwards while the caller hashes them from the
   * first, each part once. take(k), asked in order, claims part k for the caller (null: hash it yourself)
   * or gives the helper's promise of its hex. Null when the host cannot (the caller hashes them all).
   * Parts must not change until their promises settle.
   */
  sha256Split?(parts: readonly Uint8Array[]): { take(k: number): Promise<string> | null } | null;
  /** The codecs of compressed blobs, by name; an image with a layer of a codec not here is refused. */
  readonly codecs?: ReadonlyMap<string, StoreCodec> | undefined;
}
