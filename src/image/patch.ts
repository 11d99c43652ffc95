// A patch layer: runs of bytes laid over a payload's parts, like an overlay filesystem's upper layer over
// its lower one (or CRIU's incremental pages-*.img over its parent's). A checkpoint that compared memory
// with the last cut links the big parts of its base from the parent image and writes only the runs that
// changed since, as one small blob; a reader applies an image's patches of a payload in order.
//
//   offset  size  field
//   0       8     magic "AMBPATCH"
//   8       4     run count N (u32, little-endian)
//   12      4     0
//   16      16×N  runs: offset (u64), length (u32), 0 (u32); in order of offset, none overlapping
//   16+16N  …     the runs' bytes, one after the other: exactly the lengths' sum
import { ImageError } from './error.js';

const MAGIC = [0x41, 0x4d, 0x42, 0x50, 0x41, 0x54, 0x43, 0x48]; // "AMBPATCH"
const HEADER = 16;
const RUN = 16;

/** One run: bytes to put at offset of the payload. */
export interface PatchRun {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** The blob of runs (in order of offset, none overlapping). */
export function encodePatch(runs: readonly PatchRun[]): Uint8Array {
  let size = HEADER + RUN * runs.length;
  let end = 0;
  for (const r of runs) {
    if (!Number.isSafeInteger(r.offset) || r.offset < end || r.bytes.length === 0) throw new RangeError('encodePatch: runs must be non-empty, in order and not overlap');
    end = r.offset + r.bytes.length;
    size += r.bytes.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  view.setUint32(8, runs.length, true);
  let at = HEADER + RUN * runs.length;
  runs.forEach((r, i) => {
    view.setBigUint64(HEADER + RUN * i, BigInt(r.offset), true);
    view.setUint32(HEADER + RUN * i + 8, r.bytes.length, true);
    out.set(r.bytes, at);
    at += r.bytes.length;
  });
  return out;
}

/**
 * The runs of a patch blob (views of it) for a payload of size bytes, checked: magic, run table, every
 * run inside the payload, in order and none overlapping, the bytes exactly the runs'. ImageError `${where}: …` else.
 */
export function decodePatch(patch: Uint8Array, size: number, where: string): PatchRun[] {
  const bad = (why: string): ImageError => new ImageError(`${where}: not a patch of this payload (${why})`);
  if (patch.length < HEADER || MAGIC.some((b, i) => patch[i] !== b)) throw bad('no AMBPATCH header');
  const view = new DataView(patch.buffer, patch.byteOffset, patch.length);
  const count = view.getUint32(8, true);
  if (view.getUint32(12, true) !== 0) throw bad('header bytes 12-15 are not zero');
  if (count > (patch.length - HEADER) / RUN) throw bad(`${count} runs do not fit in ${patch.length} bytes`);
  const runs: PatchRun[] = [];
  let at = HEADER + RUN * count;
  let end = 0;
  for (let i = 0; i < count; i++) {
    const offset = view.getBigUint64(HEADER + RUN * i, true);
    const length = view.getUint32(HEADER + RUN * i + 8, true);
    if (view.getUint32(HEADER + RUN * i + 12, true) !== 0) throw bad(`run ${i}: its last 4 bytes are not zero`);
    if (length === 0 || offset < BigInt(end) || offset + BigInt(length) > BigInt(size)) {
      throw bad(`run ${i} at ${offset} of ${length} bytes: empty, overlapping the one before, or past the payload's ${size} bytes`);
    }
    if (at + length > patch.length) throw bad(`run ${i}: its bytes run past the blob's end`);
    runs.push({ offset: Number(offset), bytes: patch.subarray(at, at + length) });
    at += length;
    end = Number(offset) + length;
  }
  if (at !== patch.length) throw bad(`${patch.length - at} bytes past the last run`);
  return runs;
}

/** Lays decoded runs over into (the payload's bytes). */
export function applyPatch(into: Uint8Array, runs: readonly PatchRun[]): void {
  for (const r of runs) into.set(r.bytes, r.offset);
}
