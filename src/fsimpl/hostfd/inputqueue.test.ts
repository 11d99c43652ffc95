// Input queued from outside the kernel, read as from a pipe: partial chunks, 0 at end, EAGAIN while empty.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EAGAIN } from '../../abi/errno.js';
import { KernelError } from '../../base/error.js';
import { InputQueue } from './inputqueue.js';

test('reads take across chunk edges, and poll sees what is left', () => {
  const q = new InputQueue();
  q.push(Uint8Array.of(1, 2, 3));
  q.push(Uint8Array.of(4, 5));
  const dst = new Uint8Array(4);
  assert.equal(q.read(dst), 4);
  assert.deepEqual([...dst], [1, 2, 3, 4]);
  assert.deepEqual(q.readiness(), { readable: true, writable: false, hangup: false, nbytes: 1 });
  assert.equal(q.read(dst), 1);
  assert.equal(dst[0], 5);
  assert.equal(q.nbytes, 0);
});

test('an empty queue is EAGAIN until its end, then reads 0 and polls as hung up', () => {
  const q = new InputQueue();
  assert.throws(() => q.read(new Uint8Array(8)), (e) => e instanceof KernelError && e.errno === EAGAIN);
  assert.equal(q.readiness().readable, false);
  assert.equal(q.read(new Uint8Array(0)), 0, 'a read of 0 bytes returns 0 at once, as read(2)');
  q.push(Uint8Array.of(9));
  q.end();
  const dst = new Uint8Array(8);
  assert.equal(q.read(dst), 1, 'what came before the end is still read');
  assert.equal(q.read(dst), 0);
  assert.deepEqual(q.readiness(), { readable: true, writable: false, hangup: true, nbytes: 0 });
});
