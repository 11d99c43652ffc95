// A container's memory limit on its module's linear memory, as a memory cgroup's limit makes an
// allocation past it fail: the module's memory gets a maximum (its memory section's limits rewritten
// in the transformed bytes before they are compiled), so memory.grow past the limit returns -1 and
// malloc returns NULL, instead of the sandbox running out. Nothing else in the module changes; its hash,
// which a checkpoint image names, is the bytes' as transformed.
import { AmberError } from '../base/error.js';

const PAGE = 65536;
const MEMORY_SECTION = 5;

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new AmberError('memory limit: a truncated module');
}

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** The pages a limit of `bytes` allows (whole 64 KiB pages). */
export function pagesWithin(bytes: number): number {
  return Math.min(65536, Math.floor(bytes / PAGE));
}

/**
 * bytes with its (first, own) memory's maximum lowered to maxPages; the same bytes if the module
 * defines no memory (an imported one is the importer's). AmberError if its initial memory is already
 * more than that (what names the limit says which field).
 */
export function withMemoryMax(bytes: Uint8Array<ArrayBuffer>, maxPages: number, what: string): Uint8Array<ArrayBuffer> {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at] as number;
    const size = readLeb(bytes, at + 1);
    const body = size.next;
    const end = body + size.value;
    if (id === MEMORY_SECTION) {
      const count = readLeb(bytes, body);
      if (count.value === 0) return bytes;
      const flags = bytes[count.next] as number;
      if (flags > 1) return bytes; // shared or 64-bit memory: not a wasm32 WASI program's
      const min = readLeb(bytes, count.next + 1);
      const hasMax = flags === 1;
      const oldMax = hasMax ? readLeb(bytes, min.next) : null;
      if (min.value > maxPages) throw new AmberError(`${what}: ${maxPages * PAGE} bytes is less than the module's initial memory of ${min.value * PAGE} bytes`);
      const max = Math.min(maxPages, oldMax?.value ?? Infinity);
      const rest = bytes.subarray(oldMax?.next ?? min.next, end);
      const payload = [...leb(count.value), 1, ...leb(min.value), ...leb(max)];
      const newBody = new Uint8Array(payload.length + rest.length);
      newBody.set(payload);
      newBody.set(rest, payload.length);
      const head = [MEMORY_SECTION, ...leb(newBody.length)];
      const out = new Uint8Array(at + head.length + newBody.length + (bytes.length - end));
      out.set(bytes.subarray(0, at));
      out.set(head, at);
      out.set(newBody, at + head.length);
      out.set(bytes.subarray(end), at + head.length + newBody.length);
      return out;
    }
    at = end;
  }
  return bytes;
}
