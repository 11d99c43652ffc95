// The SHA-256 of an all-zero blob, as CRIU tells a zero page by its flag rather than its bytes: known
// ahead for the size a checkpoint cuts memory into (runtime/memorycut.ts MEMORY_PART, 4 MiB), so a restore
// knows a shared all-zero memory part by its name without first hashing megabytes of zeros on the thread
// that then starts the memory read (3-8 ms at 4 MiB). Any other size is hashed, once per image read.
import type { ImageStore } from './store.js';

/** SHA-256 hex of `size` zero bytes, by size: each checked against a hash of zeros by zerodigest.test.ts. */
export const KNOWN_ZERO_HEXES: ReadonlyMap<number, string> = new Map([
  [4 << 20, 'bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8'],
]);

/** The SHA-256 hex of `size` zero bytes for a size KNOWN_ZERO_HEXES holds (a checkpoint's part size). */
export function knownZeroHex(size: number): string {
  const hex = KNOWN_ZERO_HEXES.get(size);
  if (hex === undefined) throw new RangeError(`no known SHA-256 of ${size} zero bytes`);
  return hex;
}

/** The SHA-256 hex of `size` zero bytes: known, else hashed by store (and remembered in cache). */
export function zeroHexOf(store: ImageStore, size: number, cache: Map<number, string>): string {
  let hex = KNOWN_ZERO_HEXES.get(size) ?? cache.get(size);
  if (hex === undefined) {
    const hash = store.sha256();
    hash.update(new Uint8Array(size));
    hex = hash.hexDigest();
    cache.set(size, hex);
  }
  return hex;
}
