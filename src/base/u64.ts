// A little-endian u64 field (WASI's and the image format's) written from a JavaScript number, with
// no BigInt made: for sizes, inodes and devices, integers below 2^53. Two u32 halves, as the hardware
// stores it.

/** Writes v (a non-negative safe integer) at off in view. */
export function setU64Number(view: DataView, off: number, v: number): void {
  view.setUint32(off, v >>> 0, true);
  view.setUint32(off + 4, Math.floor(v / 0x1_0000_0000) >>> 0, true);
}
