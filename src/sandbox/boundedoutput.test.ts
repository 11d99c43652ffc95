// A pipe's write end with a reader outside the sandbox: bounded backlog (EAGAIN), EPIPE once the reader
// has gone, EBADF on read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EAGAIN, EBADF, EPIPE } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import { BoundedOutput, type OutputSink } from './boundedoutput.js';

/** A sink whose reader takes nothing until told to, and may go away. */
function fakeSink(): { sent: Uint8Array[]; taken: number; gone: boolean; sink: OutputSink } {
  const state = {
    sent: [] as Uint8Array[],
    taken: 0,
    gone: false,
    sink: {
      send: (src: Uint8Array) => void state.sent.push(Uint8Array.from(src)),
      backlog: () => state.sent.reduce((n, b) => n + b.length, 0) - state.taken,
      gone: () => state.gone,
    },
  };
  return state;
}

const errno = (f: () => unknown): number => {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  return 0;
};

test('writes go out until capacity bytes wait, then EAGAIN until the reader takes some', () => {
  const s = fakeSink();
  const out = new BoundedOutput(s.sink, 8);
  assert.equal(out.write(new Uint8Array(5)), 5);
  assert.deepEqual(out.readiness(), { readable: false, writable: true, hangup: false, nbytes: 3 });
  assert.equal(out.write(new Uint8Array(6)), 6, 'a write with some room goes out whole, as a pipe write under PIPE_BUF');
  assert.equal(errno(() => out.write(new Uint8Array(1))), EAGAIN);
  assert.equal(out.readiness().writable, false);
  s.taken = 4;
  assert.equal(out.readiness().nbytes, 1);
  assert.equal(out.write(Uint8Array.of(7)), 1);
  assert.deepEqual(s.sent.map((b) => b.length), [5, 6, 1]);
});

test('an empty write sends nothing; reading the write end is EBADF', () => {
  const s = fakeSink();
  const out = new BoundedOutput(s.sink, 8);
  assert.equal(out.write(new Uint8Array(0)), 0);
  assert.equal(s.sent.length, 0);
  assert.equal(errno(() => out.read()), EBADF);
});

test('a reader that has gone is EPIPE, and the end reads as hung up and writable', () => {
  const s = fakeSink();
  const out = new BoundedOutput(s.sink, 8);
  out.write(new Uint8Array(8));
  s.gone = true;
  assert.equal(errno(() => out.write(new Uint8Array(1))), EPIPE);
  assert.deepEqual(out.readiness(), { readable: false, writable: true, hangup: true, nbytes: 0 });
});
