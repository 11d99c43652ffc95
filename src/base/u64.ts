// A little-endian u64 field (WASI's and the image format's) read or written as a JavaScript number, with
// no BigInt made: for sizes, inodes and devices, integers below 2^53. Two u32 halves, as the hardware
// stores it.

/** Writes v (a non-negative safe integer) at off in view. */
export function setU64Number(view: DataView, off: number, v: number): void {
  view.setUint32(off, v >>> 0, true);
  view.setUint32(off + 4, Math.floor(v / 0x1_0000_0000) >>> 0, true);
}

/** The u64 at off in b, as a number (rounded past 2^53 as Number(bigint) rounds). */
export function u64Number(b: Uint8Array, off: number): number {
  const lo = ((b[off] as number) | ((b[off + 1] as number) << 8) | ((b[off + 2] as number) << 16) | ((b[off + 3] as number) << 24)) >>> 0;
  const hi = ((b[off + 4] as number) | ((b[off + 5] as number) << 8) | ((b[off + 6] as number) << 16) | ((b[off + 7] as number) << 24)) >>> 0;
  return hi * 0x1_0000_0000 + lo;
}
