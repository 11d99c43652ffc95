// The WebAssembly binary format's primitive encodings (the spec's "Values" chapter): LEB128 integers,
// names and raw floats, read from and written to byte arrays. The lean transform's decoders and encoders
// read and write through these alone.
import { LeanUnsupported } from './types.js';

/** A malformed module: a read past the end, an over-long LEB128. */
export class MalformedModule extends Error {
  constructor(what: string, at: number) {
    super(`malformed module at byte ${at}: ${what}`);
    this.name = 'MalformedModule';
  }
}

export class ByteReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw new MalformedModule('unexpected end', this.pos);
    return this.bytes[this.pos++]!;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift === 28 && b > 0x0f) throw new MalformedModule('u32 too long', this.pos - 1);
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** A signed LEB128 of at most 32 bits. */
  s32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift === 28 && (b & 0x80) !== 0) throw new MalformedModule('s32 too long', this.pos - 1);
      result |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        if (shift < 32 && (b & 0x40) !== 0) result |= -1 << shift;
        return result;
      }
    }
  }

  /** A signed LEB128 of at most 33 bits (a block type's type index); a number, exact below 2^53. */
  s33(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift === 35) throw new MalformedModule('s33 too long', this.pos - 1);
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        if ((b & 0x40) !== 0) result -= 2 ** shift;
        return result;
      }
    }
  }

  /** A signed LEB128 of at most 64 bits, as a bigint. */
  s64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      if (shift === 63n && b !== 0 && b !== 0x7f) throw new MalformedModule('s64 too long', this.pos - 1);
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if ((b & 0x40) !== 0) result -= 1n << shift;
        return BigInt.asIntN(64, result);
      }
    }
  }

  /** Skips a LEB128 of any width without decoding it (an i64.const's immediate on a hot path). */
  skipLeb(): void {
    while ((this.u8() & 0x80) !== 0);
  }

  /** n raw bytes, as a view (no copy). */
  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new MalformedModule(`${n} bytes past the end`, this.pos);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A name: a u32 length and that many UTF-8 bytes. */
  name(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.u32()));
  }

  /** A value type; LeanUnsupported for one the lean transform does not know (GC references, ...). */
  valType(): 0x7f | 0x7e | 0x7d | 0x7c | 0x7b | 0x70 | 0x6f {
    const b = this.u8();
    switch (b) {
      case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: case 0x70: case 0x6f:
        return b;
      default:
        throw new LeanUnsupported(`value type 0x${b.toString(16)}`);
    }
  }
}

/** A growable byte buffer written front to back. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(b: number): this {
    this.#room(1);
    this.#buf[this.#len++] = b;
    return this;
  }

  /** An unsigned LEB128 (0 ≤ v < 2^32). */
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`u32: ${v} out of range`);
    this.#room(5);
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.#buf[this.#len++] = b;
    } while (v !== 0);
    return this;
  }

  /** A signed LEB128 of a 32-bit integer (also right for s33 block type indices, which are ≥ 0). */
  s32(v: number): this {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 32) throw new Error(`s32: ${v} out of range`);
    this.#room(6);
    for (;;) {
      const b = v & 0x7f;
      v = Math.floor(v / 128);
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.#buf[this.#len++] = done ? b : b | 0x80;
      if (done) return this;
    }
  }

  /** A signed LEB128 of a 64-bit integer. */
  s64(v: bigint): this {
    this.#room(10);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.#buf[this.#len++] = done ? b : b | 0x80;
      if (done) return this;
    }
  }

  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** The bytes written so far (a copy the writer no longer touches). */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#buf.slice(0, this.#len);
  }
}
