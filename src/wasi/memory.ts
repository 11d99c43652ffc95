// Guest linear memory as the syscall layer reads it: bounds-checked accessors that turn a bad pointer
// into EFAULT, like Linux's copy_from_user. Views are re-made whenever memory.grow replaced the buffer,
// and only then: reading memory.buffer costs more than the check itself, so an access looks again only
// when it falls outside the views it has. That covers both ways memory grows: a grow detaches the old
// buffer (its views read as length 0, so every access lands outside them), and a shared memory that grew
// in place keeps its old views valid for the old range and lands outside them past it.
//
// A module transformed to track its writes (transformed.ts: TRACK_BASE_EXPORT) keeps its address space B
// bytes up and a write map below it: the views here start at B, so every pointer stays the guest's own,
// and every write the kernel makes into guest memory sets the map bytes of the pages it touches, as the
// guest's own stores do (over-marking is harmless; a write left unmarked would be lost by the next
// incremental checkpoint). That is TrackedGuestMemory (GuestMemory.of gives it for B > 0): GuestMemory's
// own accessors, the untracked ones, stay as they were, with no marking work and no test for it.
import { EFAULT } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import { setU64Number } from '../base/u64.js';
import { RecentPaths } from './recentpaths.js';
import { TRACK_BASE_EXPORT, TRACK_PAGE } from './transformed.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/** A map byte's page, as a shift. */
const TRACK_SHIFT = Math.log2(TRACK_PAGE);

/**
 * The write map's size B of an instance of a transformed module: its TRACK_BASE_EXPORT global's value,
 * 0 when it has none (an untracked module). Read once per instance. Error for a value the contract
 * forbids (not a multiple of 64 KiB).
 */
export function trackBaseOf(instance: WebAssembly.Instance): number {
  const g = instance.exports[TRACK_BASE_EXPORT];
  if (g === undefined) return 0;
  const v: unknown = g instanceof WebAssembly.Global ? g.value : undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v % 65536 !== 0) {
    throw new Error(`the module's ${TRACK_BASE_EXPORT} is not a global of a multiple of 64 KiB: ${String(v)}`);
  }
  return v;
}

export class GuestMemory {
  readonly #memory: WebAssembly.Memory;
  /** Where the guest's address 0 is in memory (TRACK_BASE_EXPORT): 0 here, B in TrackedGuestMemory. */
  readonly #base: number;
  #buffer: ArrayBufferLike = new ArrayBuffer(0);
  /** The guest's memory, from its address 0: real bytes [B, end). */
  #u8: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  readonly #recentPaths = new RecentPaths();

  /** The memory of an instance whose write map is base bytes (trackBaseOf): tracked when base > 0. */
  static of(memory: WebAssembly.Memory, base: number): GuestMemory {
    return base === 0 ? new GuestMemory(memory) : new TrackedGuestMemory(memory, base);
  }

  /** An untracked memory; base is TrackedGuestMemory's alone (a GuestMemory of B > 0 would mark nothing). */
  constructor(memory: WebAssembly.Memory, base = 0) {
    if (base !== 0 && new.target === GuestMemory) throw new Error('a memory with a write map is a TrackedGuestMemory (GuestMemory.of)');
    this.#memory = memory;
    this.#base = base;
  }

  /** The write map's size B: 0 for an untracked module. */
  get trackBase(): number {
    return this.#base;
  }

  /** The buffer the views are of: fresh once an access was checked. */
  protected get checkedBuffer(): ArrayBufferLike {
    return this.#buffer;
  }

  #refresh(): void {
    const b = this.#memory.buffer;
    if (b !== this.#buffer) {
      const base = this.#base;
      if (b.byteLength < base) throw new Error(`memory of ${b.byteLength} bytes is smaller than its write map (${base} bytes)`);
      this.#buffer = b;
      this.#u8 = new Uint8Array(b, base);
      this.#view = new DataView(b, base);
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

  /** A live view of [ptr, ptr+len) to read: valid until the guest runs again. The kernel writes only
   *  through writable(). */
  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    // The constructor, not #u8.subarray(): V8 makes it in well under half the time.
    return new Uint8Array(this.#buffer, ptr, len);
  }

  /** bytes() for the kernel to write into (TrackedGuestMemory marks its pages written). */
  writable(ptr: number, len: number): Uint8Array {
    return this.bytes(ptr, len);
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

  /** The one iovec_t at ptr as a view into memory (iovecs() without the array, for the common case);
   *  writable: the kernel writes into it (a read(2)), and its pages are marked. */
  iovec(ptr: number, writable = false): Uint8Array {
    this.check(ptr, 8);
    const view = this.#view;
    const buf = view.getUint32(ptr, true);
    const len = view.getUint32(ptr + 4, true);
    return writable ? this.writable(buf, len) : this.bytes(buf, len);
  }

  /** Reads a scatter/gather list (iovec_t[len] at ptr) as views into memory; writable as for iovec(). */
  iovecs(ptr: number, len: number, writable = false): Uint8Array[] {
    this.check(ptr, len * 8);
    const out: Uint8Array[] = [];
    for (let i = 0; i < len; i++) {
      const buf = this.#view.getUint32(ptr + i * 8, true);
      const bufLen = this.#view.getUint32(ptr + i * 8 + 4, true);
      out.push(writable ? this.writable(buf, bufLen) : this.bytes(buf, bufLen));
    }
    return out;
  }
}

/**
 * The memory of a module that tracks its writes (transformed.ts): GuestMemory over the guest's bytes from
 * B up, and every write the kernel makes through it marks the pages it touches in the map at real bytes
 * [0, B), after the write (nothing runs in between: a cut is taken only while no syscall runs).
 */
export class TrackedGuestMemory extends GuestMemory {
  readonly #b: number;
  /** The write map, real bytes [0, B): byte i stands for the guest's page i. */
  #map: Uint8Array = new Uint8Array(0);

  constructor(memory: WebAssembly.Memory, base: number) {
    super(memory, base);
    this.#b = base;
  }

  /** Marks the pages of [ptr, ptr+len) written in the map (the range was just checked: the buffer is fresh). */
  #mark(ptr: number, len: number): void {
    if (len === 0) return;
    const buffer = this.checkedBuffer;
    if (this.#map.buffer !== buffer) this.#map = new Uint8Array(buffer, 0, this.#b);
    this.#map.fill(1, ptr >>> TRACK_SHIFT, ((ptr + len - 1) >>> TRACK_SHIFT) + 1);
  }

  override bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return new Uint8Array(this.checkedBuffer, this.#b + ptr, len);
  }

  override writable(ptr: number, len: number): Uint8Array {
    const view = this.bytes(ptr, len);
    this.#mark(ptr, len);
    return view;
  }

  override setU8(ptr: number, v: number): void {
    super.setU8(ptr, v);
    this.#mark(ptr, 1);
  }

  override setU16(ptr: number, v: number): void {
    super.setU16(ptr, v);
    this.#mark(ptr, 2);
  }

  override setU32(ptr: number, v: number): void {
    super.setU32(ptr, v);
    this.#mark(ptr, 4);
  }

  override setU64(ptr: number, v: bigint | number): void {
    super.setU64(ptr, v);
    this.#mark(ptr, 8);
  }

  override write(ptr: number, src: Uint8Array): void {
    super.write(ptr, src);
    this.#mark(ptr, src.length);
  }
}
