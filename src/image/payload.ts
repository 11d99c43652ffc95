// Payloads: the named byte arrays an image holds ("kernel", "memory/ctr-a", "files/shm"), like the image
// files of a CRIU dump directory (core-*.img, pages-*.img). A big one may be cut into parts (chunked) so
// that parts unchanged since an earlier checkpoint are the same blobs: stored once, reused by a parent.

/** One payload, or one part of one, to write. */
export interface Payload {
  /** Unique in an image (parts share their payload's name); any non-empty string. */
  readonly name: string;
  /** Names the layer's media type, application/vnd.amber.checkpoint.<kind>.v1; [a-z0-9.-]. Default: the
   *  name up to its first '/' ("memory/ctr-a" is a "memory"). */
  readonly kind?: string;
  readonly bytes: Uint8Array;
  /** For a payload in parts: this part's index from 0, and how many there are. */
  readonly part?: { readonly index: number; readonly count: number };
  /**
   * For a patch (patch.ts's encodePatch) of the payload named name: this patch's index from 0, and how
   * many there are; applied in index order over the payload's parts, which must be given too. Its layer's
   * kind is "patch", whatever kind says.
   */
  readonly patch?: { readonly index: number; readonly count: number };
  /** Annotations of its layer (each part's) beside Amber's own org.amber.name/part/size/content, which
   *  they may not set. */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * The SHA-256 hex of bytes, when the caller knows it (a checkpoint that compared a part with the same
   * bytes of the last cut, whose digest it kept): the writer trusts it and does not hash them again.
   */
  readonly contentHex?: string;
}

/**
 * A payload whose blob the caller already stored in the image being written (a checkpoint's pre-copy:
 * writer.ts Staging): its content's digest and size, not its bytes.
 */
export interface StagedPayload extends Omit<Payload, 'bytes' | 'contentHex'> {
  readonly staged: { readonly contentHex: string; readonly size: number };
}

/** The bytes a payload holds, given or staged. */
export function payloadSize(p: Payload | StagedPayload): number {
  return 'staged' in p ? p.staged.size : p.bytes.length;
}

export const MiB = 1 << 20;
/** The default part size: 256 pages of wasm memory, small enough that one store touches few parts. */
export const DEFAULT_CHUNK_SIZE = MiB;

export interface ChunkOptions {
  /** Bytes per part (the last may be shorter); DEFAULT_CHUNK_SIZE unless given. */
  chunkSize?: number;
  kind?: string;
}

/**
 * bytes as parts of at most chunkSize bytes, views into bytes (nothing is copied). An empty payload is
 * one empty part. The reader's payload(name) gives the whole again, parts(name) the parts.
 */
export function chunked(name: string, bytes: Uint8Array, options: ChunkOptions = {}): Payload[] {
  const size = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`chunked: chunkSize must be a positive integer, got ${size}`);
  }
  const count = Math.max(1, Math.ceil(bytes.length / size));
  const parts: Payload[] = [];
  for (let index = 0; index < count; index++) {
    const view = bytes.subarray(index * size, Math.min(bytes.length, (index + 1) * size));
    const base = { name, bytes: view, part: { index, count } };
    parts.push(options.kind === undefined ? base : { ...base, kind: options.kind });
  }
  return parts;
}

/** The kind a payload declares, or the one its name implies. */
export function kindOf(p: Payload | StagedPayload): string {
  if (p.kind !== undefined) return p.kind;
  const slash = p.name.indexOf('/');
  return slash < 0 ? p.name : p.name.slice(0, slash);
}

/** Concatenates parts into one array (the one part itself when there is one). */
export function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
