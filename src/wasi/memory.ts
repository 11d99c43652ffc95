// Guest linear memory as the syscall layer reads it: bounds-checked accessors that turn a bad pointer
// into EFAULT, like Linux's copy_from_user. Views are re-made whenever memory.grow replaced the buffer,
// and only then: reading memory.buffer costs more than the check itself, so an access looks again only
// when it falls outside the views it has. That covers both ways memory grows: a grow detaches the old
// buffer (its views read as length 0, so every access lands outside them), and a shared memory that grew
// in place keeps its old views valid for the old range and lands outside them past it.
import { EFAULT } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import { setU64Number } from '../base/u64.js';
import { RecentPaths } from './recentpaths.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

export class GuestMemory {
  readonly #memory: WebAssembly.Memory;
  #buffer: ArrayBufferLike = new ArrayBuffer(0);
  #u8: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  readonly #recentPaths = new RecentPaths();

  constructor(memory: WebAssembly.Memory) {
    this.#memory = memory;
  }

  #refresh(): void {
    const b = this.#memory.buffer;
    if (b !== this.#buffer) {
      this.#buffer = b;
      this.#u8 = new Uint8Array(b);
      this.#view = new DataView(b);
    }
  }

  /** Throws EFAULT unless [ptr, ptr+len) lies inside memory. */
  check(ptr: number, len: number): void {
    // Strictly inside the views: no need to look at memory.buffer. Reaching their end (a detached
    // buffer has length 0, so any access does) takes the slow path, which refreshes them first.
    if (ptr < 0 || len < 0 || ptr + len >= this.#u8.length) this.#checkFresh(ptr, len);
  }

  #checkFresh(ptr: number, len: number): void {
    this.#refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.#u8.length) throw new KernelError(EFAULT);
  }

  /** A live view of [ptr, ptr+len): valid until the guest runs again. */
  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    // The constructor, not #u8.subarray(): V8 makes it in well under half the time.
    return new Uint8Array(this.#buffer, ptr, len);
  }

  u8(ptr: number): number {
    this.check(ptr, 1);
    return this.#u8[ptr] as number;
  }

  u16(ptr: number): number {
    this.check(ptr, 2);
    return this.#view.getUint16(ptr, true);
  }

  u32(ptr: number): number {
    this.check(ptr, 4);
    return this.#view.getUint32(ptr, true);
  }

  u64(ptr: number): bigint {
    this.check(ptr, 8);
    return this.#view.getBigUint64(ptr, true);
  }

  setU8(ptr: number, v: number): void {
    this.check(ptr, 1);
    this.#u8[ptr] = v;
  }

  setU16(ptr: number, v: number): void {
    this.check(ptr, 2);
    this.#view.setUint16(ptr, v, true);
  }

  setU32(ptr: number, v: number): void {
    this.check(ptr, 4);
    this.#view.setUint32(ptr, v, true);
  }

  /** A number (a size, an inode: an integer below 2^53) is written as two halves, with no BigInt made. */
  setU64(ptr: number, v: bigint | number): void {
    this.check(ptr, 8);
    if (typeof v === 'bigint') {
      this.#view.setBigUint64(ptr, v, true); // ToBigUint64: a negative value wraps, as asUintN(64) would
    } else if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      setU64Number(this.#view, ptr, v);
    } else {
      this.#view.setBigUint64(ptr, BigInt(v), true);
    }
  }

  /** A UTF-8 string of len bytes at ptr. */
  string(ptr: number, len: number): string {
    return decoder.decode(this.bytes(ptr, len));
  }

  /**
   * The len bytes at ptr as a string if every one is ASCII other than NUL; undefined if any is not
   * (the caller then decodes them with its own rules). EFAULT if they run off memory. For short
   * strings this is cheaper than a subarray and a TextDecoder.
   */
  ascii(ptr: number, len: number): string | undefined {
    this.check(ptr, len);
    const u8 = this.#u8;
    let s = '';
    for (let i = ptr; i < ptr + len; i++) {
      const b = u8[i] as number;
      if (b === 0 || b >= 0x80) return undefined;
      s += String.fromCharCode(b);
    }
    return s;
  }

  /**
   * The path whose bytes are [ptr, ptr+len) if one of the last few remembered here had these very bytes
   * (RecentPaths), else undefined; EFAULT if they run off memory.
   */
  recentPath(ptr: number, len: number): string | undefined {
    this.check(ptr, len);
    return this.#recentPaths.find(this.#u8, ptr, len);
  }

  /** Remembers path as what the bytes [ptr, ptr+len) decode to, for recentPath; they were just checked. */
  rememberPath(ptr: number, len: number, path: string): void {
    this.#recentPaths.add(this.#u8, ptr, len, path);
  }

  /** A NUL-terminated string at ptr (at most max bytes before the NUL); EFAULT if it runs off memory. */
  cString(ptr: number, max = 4096): string {
    this.#refresh();
    const end = Math.min(this.#u8.length, ptr + max + 1);
    if (ptr < 0 || ptr >= this.#u8.length) throw new KernelError(EFAULT);
    const nul = this.#u8.indexOf(0, ptr);
    if (nul < 0 || nul >= end) throw new KernelError(EFAULT);
    return decoder.decode(this.#u8.subarray(ptr, nul));
  }

  /** Copies src to ptr; EFAULT if it does not fit. */
  write(ptr: number, src: Uint8Array): void {
    this.check(ptr, src.length);
    this.#u8.set(src, ptr);
  }

  /** The UTF-8 encoding of s. */
  static encode(s: string): Uint8Array {
    return encoder.encode(s);
  }

  /** The one iovec_t at ptr as a view into memory (iovecs() without the array, for the common case). */
  iovec(ptr: number): Uint8Array {
    this.check(ptr, 8);
    const view = this.#view;
    return this.bytes(view.getUint32(ptr, true), view.getUint32(ptr + 4, true));
  }

  /** Reads a scatter/gather list (iovec_t[len] at ptr) as views into memory. */
  iovecs(ptr: number, len: number): Uint8Array[] {
    this.check(ptr, len * 8);
    const out: Uint8Array[] = [];
    for (let i = 0; i < len; i++) {
      const buf = this.#view.getUint32(ptr + i * 8, true);
      const bufLen = this.#view.getUint32(ptr + i * 8 + 4, true);
      out.push(this.bytes(buf, bufLen));
    }
    return out;
  }
}
