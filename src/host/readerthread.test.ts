// The reader thread: what it copies is the file, its hex is the SHA-256 of exactly what it copied, reads
// in a row share the ring (files bigger than it, and of odd sizes), and a file shorter or longer than
// asked for is a rejection naming it, after which the next read works.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageError } from '../image/error.js';
import { ReaderThread } from './readerthread.js';
import { scratch } from './testing/scratch.js';

const bytesOf = (n: number, seed: number): Uint8Array => {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};
const hexOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Reads file path (expecting size bytes) through thread; the copy and its promised hex. */
function readThrough(thread: ReaderThread, path: string, size: number): { into: Uint8Array; hex: Promise<string> } {
  const fd = openSync(path, 'r');
  try {
    const into = new Uint8Array(size);
    return { into, hex: thread.read(fd, path, into) };
  } finally {
    closeSync(fd);
  }
}

test('reads in a row: each copy is its file, each hex its SHA-256, progress adds up', async (t) => {
  const dir = scratch('readerthread', t);
  const thread = new ReaderThread();
  // Past the ring (8 MiB), an odd size, one byte, exactly a slot.
  for (const [i, n] of [9 << 20, (3 << 20) + 12345, 1, 1 << 20].entries()) {
    const bytes = bytesOf(n, i + 1);
    const path = join(dir, `f${i}`);
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r');
    const into = new Uint8Array(n);
    let told = 0;
    const hex = thread.read(fd, path, into, (k) => (told += k));
    closeSync(fd);
    assert.deepEqual(into, bytes);
    assert.equal(told, n);
    assert.equal(await hex, hexOf(bytes));
  }
});

test('a file shorter or longer than asked for is refused, naming it; the next read works', async (t) => {
  const dir = scratch('readerthread', t);
  const thread = new ReaderThread();
  const path = join(dir, 'f');
  writeFileSync(path, bytesOf(3 << 20, 7));
  const short = readThrough(thread, path, 5 << 20);
  await assert.rejects(short.hex, (e: unknown) => e instanceof ImageError && e.message === `${path}: shorter than ${5 << 20} bytes (damaged image)`);
  const long = readThrough(thread, path, (3 << 20) - 1);
  await assert.rejects(long.hex, (e: unknown) => e instanceof ImageError && e.message === `${path}: longer than ${(3 << 20) - 1} bytes (damaged image)`);
  const whole = readThrough(thread, path, 3 << 20);
  assert.equal(await whole.hex, hexOf(bytesOf(3 << 20, 7)));
  assert.deepEqual(whole.into, bytesOf(3 << 20, 7));
});
