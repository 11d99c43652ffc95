import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFAULT } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import { GuestMemory } from './memory.js';

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
