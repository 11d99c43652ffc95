import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFAULT } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import { GuestMemory, TrackedGuestMemory } from './memory.js';

const PAGE = 65536;

function efault(f: () => unknown, what: string): void {
  assert.throws(f, (e: unknown) => e instanceof KernelError && e.errno === EFAULT, what);
}

test('accesses up to the very end of memory work; one byte past it is EFAULT', () => {
  const mem = new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
  mem.setU32(PAGE - 4, 0xdeadbeef);
  assert.equal(mem.u32(PAGE - 4), 0xdeadbeef);
  assert.equal(mem.bytes(PAGE, 0).length, 0, 'an empty range at the end');
  efault(() => mem.u32(PAGE - 3), 'u32 across the end');
  efault(() => mem.bytes(PAGE + 1, 0), 'an empty range past the end');
  efault(() => mem.check(-1, 1), 'a negative pointer');
  efault(() => mem.check(0, -1), 'a negative length');
});

test('after memory.grow detaches the buffer, every access sees the grown memory', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 3 });
  const mem = new GuestMemory(memory);
  mem.setU32(8, 7);
  efault(() => mem.u32(PAGE), 'past the end before growing');
  memory.grow(1);
  assert.equal(mem.bytes(0, 0).length, 0, 'an empty range on the old (detached) views');
  assert.equal(mem.u32(8), 7, 'old contents, read through fresh views');
  mem.setU32(PAGE, 9);
  assert.equal(mem.u32(PAGE), 9, 'the new page');
  memory.grow(1);
  mem.write(8, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...mem.bytes(8, 3)], [1, 2, 3], 'a write after a grow lands in the live buffer');
  assert.deepEqual([...new Uint8Array(memory.buffer, 8, 3)], [1, 2, 3]);
  efault(() => mem.u8(3 * PAGE), 'past the grown end');
});

test('a shared memory that grew in place: old range through the old views, new range after a refresh', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 3, shared: true });
  const mem = new GuestMemory(memory);
  mem.setU32(4, 1);
  memory.grow(1);
  mem.setU32(PAGE + 4, 3);
  assert.equal(mem.u32(PAGE + 4), 3);
  assert.equal(mem.u32(4), 1);
  assert.equal(new DataView(memory.buffer).getUint32(PAGE + 4, true), 3);
  efault(() => mem.u8(2 * PAGE), 'past the grown end');
});

test('iovec() reads one iovec_t as iovecs() would, with the same EFAULTs', () => {
  const mem = new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
  mem.setU32(16, 100);
  mem.setU32(20, 5);
  assert.deepEqual(mem.iovec(16), mem.iovecs(16, 1)[0]);
  assert.equal(mem.iovec(16).byteOffset, 100);
  assert.equal(mem.iovec(16).length, 5);
  efault(() => mem.iovec(PAGE - 4), 'the iovec_t runs off the end');
  mem.setU32(24, PAGE - 2);
  mem.setU32(28, 3);
  efault(() => mem.iovec(24), 'the buffer runs off the end');
});

test('ascii() gives plain ASCII as a string, and undefined for a NUL or any byte from 0x80', () => {
  const mem = new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
  mem.write(100, new TextEncoder().encode('a/b.txt'));
  assert.equal(mem.ascii(100, 7), 'a/b.txt');
  assert.equal(mem.ascii(100, 0), '');
  mem.write(200, new Uint8Array([0x66, 0x00, 0x67]));
  assert.equal(mem.ascii(200, 3), undefined, 'a NUL');
  mem.write(300, new Uint8Array([0x66, 0xc3, 0xa9]));
  assert.equal(mem.ascii(300, 3), undefined, 'UTF-8 past ASCII');
  efault(() => mem.ascii(PAGE - 2, 3), 'off the end');
});

test('setU64 writes numbers (as two halves) and bigints alike, a negative bigint wrapped', () => {
  const mem = new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
  for (const v of [0, 1, 0xffff_ffff, 0x1_0000_0000, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
    mem.setU64(16, v);
    assert.equal(mem.u64(16), BigInt(v), `number ${v}`);
    mem.setU64(24, BigInt(v));
    assert.equal(mem.u64(24), BigInt(v), `bigint ${v}`);
  }
  mem.setU64(16, -1n);
  assert.equal(mem.u64(16), 2n ** 64n - 1n);
  efault(() => mem.setU64(PAGE - 4, 1), 'across the end');
});

// A tracked module's memory (transformed.ts: TRACK_BASE_EXPORT): the guest's address 0 is real byte B,
// and real bytes [0, B) are the write map, one byte per TRACK_PAGE of the guest's memory.
const B = 1 << 20;
const TP = 4096;

function tracked(guestPages = 4): { memory: WebAssembly.Memory; mem: GuestMemory; real: () => Uint8Array; marked: () => number[] } {
  const memory = new WebAssembly.Memory({ initial: B / PAGE + guestPages, maximum: B / PAGE + guestPages + 2 });
  const mem = GuestMemory.of(memory, B);
  const real = (): Uint8Array => new Uint8Array(memory.buffer);
  const marked = (): number[] => {
    const out: number[] = [];
    real().subarray(0, B).forEach((b, i) => {
      if (b !== 0) out.push(i);
    });
    return out;
  };
  return { memory, mem, real, marked };
}

test('tracked: pointers are guest addresses, B bytes up; EFAULT at the guest\'s end, not the real one', () => {
  const { mem, real } = tracked();
  mem.setU32(0, 0xdeadbeef);
  assert.equal(new DataView(real().buffer).getUint32(B, true), 0xdeadbeef, 'guest 0 is real B');
  assert.equal(mem.u32(0), 0xdeadbeef);
  const end = 4 * PAGE;
  mem.setU32(end - 4, 7);
  assert.equal(new DataView(real().buffer).getUint32(B + end - 4, true), 7);
  assert.equal(mem.bytes(end, 0).length, 0, 'an empty range at the guest\'s end');
  efault(() => mem.u32(end - 3), 'u32 across the guest\'s end');
  efault(() => mem.u8(end), 'the first byte past the guest\'s end');
  efault(() => mem.setU8(end, 1), 'a write past the guest\'s end');
  efault(() => mem.bytes(end + 1, 0), 'an empty range past it');
  efault(() => mem.check(-1, 1), 'a negative pointer (never the map)');
  assert.equal(mem.bytes(16, 4).byteOffset, B + 16, 'a view starts at B + ptr');
  mem.write(100, new TextEncoder().encode('/tmp/x\0'));
  assert.equal(mem.cString(100), '/tmp/x');
  assert.equal(mem.ascii(100, 6), '/tmp/x');
  assert.equal(mem.string(100, 6), '/tmp/x');
  assert.equal(mem.trackBase, B);
});

test('tracked: every writer marks the pages it touches, and only those; readers mark nothing', () => {
  const writers: Array<[string, (m: GuestMemory) => void, number[]]> = [
    ['setU8', (m) => m.setU8(5 * TP + 1, 1), [5]],
    ['setU16 across a page', (m) => m.setU16(3 * TP - 1, 0x101), [2, 3]],
    ['setU32', (m) => m.setU32(7 * TP, 1), [7]],
    ['setU32 across a page', (m) => m.setU32(8 * TP - 2, 0x01010101), [7, 8]],
    ['setU64 number', (m) => m.setU64(9 * TP + 8, 5), [9]],
    ['setU64 bigint across a page', (m) => m.setU64(10 * TP - 4, 2n ** 40n), [9, 10]],
    ['setU64 unsafe number', (m) => m.setU64(11 * TP, 2 ** 60), [11]],
    ['write', (m) => m.write(12 * TP + 10, new Uint8Array(2 * TP)), [12, 13, 14]],
    ['writable', (m) => m.writable(20 * TP, TP + 1).fill(1), [20, 21]],
    ['writable, empty', (m) => m.writable(22 * TP, 0), []],
  ];
  for (const [what, write, pages] of writers) {
    const { mem, marked } = tracked();
    write(mem);
    assert.deepEqual(marked(), pages, what);
  }
  const { mem, marked } = tracked();
  mem.setU32(0, 30 * TP); // an iovec_t at 0: { buf = page 30, len = 2 pages }
  mem.setU32(4, 2 * TP);
  mem.setU32(8, 31 * TP - 1); // and at 8: { page 31 - 1, 1 byte }
  mem.setU32(12, 1);
  const setup = marked();
  assert.deepEqual(setup, [0]);
  mem.bytes(40 * TP, TP);
  mem.iovec(0);
  mem.iovecs(0, 2);
  mem.u32(25 * TP);
  mem.u64(25 * TP);
  mem.string(25 * TP, 10);
  assert.deepEqual(marked(), setup, 'reads mark nothing');
  mem.iovec(0, true);
  assert.deepEqual(marked(), [0, 30, 31], 'a writable iovec');
  const again = tracked();
  again.mem.setU32(0, 30 * TP);
  again.mem.setU32(4, 2 * TP);
  again.mem.setU32(8, 40 * TP - 1);
  again.mem.setU32(12, 1);
  again.mem.iovecs(0, 2, true);
  assert.deepEqual(again.marked(), [0, 30, 31, 39], 'writable iovecs');
});

test('tracked: after memory.grow, marks land in the live buffer and the new pages are addressable', () => {
  const { memory, mem, marked } = tracked();
  efault(() => mem.setU8(4 * PAGE, 1), 'past the end before growing');
  memory.grow(1);
  mem.setU8(4 * PAGE + 5, 1);
  assert.deepEqual(marked(), [(4 * PAGE) / TP]);
  assert.equal(new Uint8Array(memory.buffer)[B + 4 * PAGE + 5], 1);
});

test('a memory with a write map is a TrackedGuestMemory: GuestMemory refuses a base, of() picks by it', () => {
  const memory = new WebAssembly.Memory({ initial: B / PAGE + 1 });
  assert.throws(() => new GuestMemory(memory, B), /TrackedGuestMemory/);
  assert.ok(GuestMemory.of(memory, B) instanceof TrackedGuestMemory);
  assert.ok(!(GuestMemory.of(memory, 0) instanceof TrackedGuestMemory));
});

test('untracked: no map, no marks: the bytes below a write stay as they were', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const mem = new GuestMemory(memory);
  mem.setU32(PAGE, 1);
  mem.write(PAGE + 8, new Uint8Array([1, 2]));
  mem.writable(PAGE + 16, 4).fill(3);
  assert.equal(mem.trackBase, 0);
  assert.ok(new Uint8Array(memory.buffer).subarray(0, PAGE).every((b) => b === 0), 'nothing written below the writes');
});
