// The codecs of compressed image blobs (image/store.ts StoreCodec), as OCI layers name them: gzip
// (RFC 1952, node:zlib) and zstd (RFC 8878, @bokuweb/zstd-wasm: Node 20's zlib has none). Each is the
// media type suffix of its layers ("+gzip", "+zstd"), and each refuses a blob that would decompress to
// more or fewer bytes than the manifest says. The zstd library is imported when a zstd codec is asked
// for (its ten modules and its WebAssembly are no part of a start-up that reads no zstd blob).
import { gunzipSync, gzipSync } from 'node:zlib';
import type { StoreCodec } from '../image/store.js';

/** gzip at level 1: what OCI tools read everywhere; ~250 MB/s here, zeros and repeats shrink well. */
export const gzipCodec: StoreCodec = {
  name: 'gzip',
  compress(bytes) {
    const out = gzipSync(bytes, { level: 1 });
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  },
  decompress(bytes, size) {
    try {
      // maxOutputLength refuses a blob that would expand past what the manifest says.
      const out = gunzipSync(bytes, { maxOutputLength: Math.max(1, size) });
      return out.length === size ? new Uint8Array(out.buffer, out.byteOffset, out.length) : null;
    } catch {
      return null;
    }
  },
};

/** zstd's frame magic number, little-endian (RFC 8878 3.1.1). */
const ZSTD_MAGIC = 0xfd2fb528;

/**
 * The Frame_Content_Size a zstd frame's header declares (RFC 8878 3.1.1.1); null if bytes do not start
 * with a frame header that declares one. Read before decompressing, so a frame that claims more than
 * the manifest says is refused before the decoder allocates for it.
 */
export function zstdContentSize(bytes: Uint8Array): number | null {
  if (bytes.length < 6) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0, true) !== ZSTD_MAGIC) return null;
  const fhd = bytes[4] ?? 0;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictFlag = fhd & 3;
  const fcsSize = [singleSegment, 2, 4, 8][fcsFlag] ?? 0;
  if (fcsSize === 0) return null;
  const at = 5 + (singleSegment === 1 ? 0 : 1) + ([0, 1, 2, 4][dictFlag] ?? 0);
  if (bytes.length < at + fcsSize) return null;
  switch (fcsSize) {
    case 1: return view.getUint8(at);
    case 2: return view.getUint16(at, true) + 256;
    case 4: return view.getUint32(at, true);
    default: {
      const n = view.getBigUint64(at, true);
      return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
    }
  }
}

/** zstd's level for blobs: 1, the fastest of its regular levels (~400 MB/s here). */
const ZSTD_LEVEL = 1;

type ZstdLibrary = typeof import('@bokuweb/zstd-wasm');

/** Whether the library's one WebAssembly instance (per process, the library's own) is there already. */
function zstdLoaded(zstd: ZstdLibrary): boolean {
  try {
    zstd.compress(new Uint8Array(1), ZSTD_LEVEL);
    return true;
  } catch {
    return false;
  }
}

/**
 * The zstd codec, the library's WebAssembly instantiated first (a few ms) unless it is already: a second
 * init() would replace the instance without initializing it, and break every call after.
 */
export async function zstdCodec(): Promise<StoreCodec> {
  const zstd = await import('@bokuweb/zstd-wasm');
  if (!zstdLoaded(zstd)) await zstd.init();
  return {
    name: 'zstd',
    compress: (bytes) => zstd.compress(bytes, ZSTD_LEVEL),
    decompress(bytes, size) {
      // The decoder allocates what the frame header claims: refuse a claim that is not the manifest's.
      if (zstdContentSize(bytes) !== size) return null;
      try {
        const out = zstd.decompress(bytes);
        return out.length === size ? out : null;
      } catch {
        return null;
      }
    },
  };
}

/** Every codec this host has, by name: what a store that reads any image needs. */
export async function allCodecs(): Promise<Map<string, StoreCodec>> {
  return new Map([gzipCodec, await zstdCodec()].map((c) => [c.name, c]));
}
