import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../abi/wasi_errno.js';
import * as W from '../abi/wasi.js';
import { MemStream, openAt, SANDBOX_FD, testKernel, writeText, type TestKernel } from './testing/testkit.js';

type Sub =
  | { userdata: bigint; clock: number; timeout: bigint; abstime?: boolean }
  | { userdata: bigint; fd: number; write?: boolean };

interface Event { userdata: bigint; error: number; type: number; nbytes: bigint; flags: number }

/** poll_oneoff over subs; returns the errno and the events written. */
function poll(t: TestKernel, subs: Sub[]): { errno: number; events: Event[] } {
  const inPtr = t.alloc(subs.length * W.SUBSCRIPTION_SIZE);
  const outPtr = t.alloc(Math.max(1, subs.length) * W.EVENT_SIZE);
  const nPtr = t.alloc(4);
  subs.forEach((s, i) => {
    const p = inPtr + i * W.SUBSCRIPTION_SIZE;
    t.mem.bytes(p, W.SUBSCRIPTION_SIZE).fill(0);
    t.mem.setU64(p, s.userdata);
    if ('clock' in s) {
      t.mem.setU8(p + W.SUBSCRIPTION_TAG, W.EVENTTYPE_CLOCK);
      t.mem.setU32(p + W.SUBSCRIPTION_CLOCK_ID, s.clock);
      t.mem.setU64(p + W.SUBSCRIPTION_CLOCK_TIMEOUT, s.timeout);
      t.mem.setU16(p + W.SUBSCRIPTION_CLOCK_FLAGS, s.abstime === true ? W.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0);
    } else {
      t.mem.setU8(p + W.SUBSCRIPTION_TAG, s.write === true ? W.EVENTTYPE_FD_WRITE : W.EVENTTYPE_FD_READ);
      t.mem.setU32(p + W.SUBSCRIPTION_FD, s.fd);
    }
  });
  const errno = t.call.poll_oneoff(inPtr, outPtr, subs.length, nPtr);
  const events: Event[] = [];
  if (errno === 0) {
    for (let i = 0; i < t.mem.u32(nPtr); i++) {
      const p = outPtr + i * W.EVENT_SIZE;
      events.push({
        userdata: t.mem.u64(p),
        error: t.mem.u16(p + W.EVENT_ERROR),
        type: t.mem.u8(p + W.EVENT_TYPE),
        nbytes: t.mem.u64(p + W.EVENT_NBYTES),
        flags: t.mem.u16(p + W.EVENT_FLAGS),
      });
    }
  }
  return { errno, events };
}

test('a relative clock subscription sleeps exactly its timeout, then reports its userdata', () => {
  const t = testKernel();
  const start = t.clock.monotonic;
  const r = poll(t, [{ userdata: 42n, clock: W.CLOCKID_MONOTONIC, timeout: 5_000_000n }]);
  assert.equal(r.errno, 0);
  assert.deepEqual(r.events, [{ userdata: 42n, error: 0, type: W.EVENTTYPE_CLOCK, nbytes: 0n, flags: 0 }]);
  assert.equal(t.clock.monotonic - start, 5_000_000n);
});

test('the earliest of several clocks fires alone; an absolute deadline already past fires at once', () => {
  const t = testKernel();
  const start = t.clock.realtime;
  const r = poll(t, [
    { userdata: 1n, clock: W.CLOCKID_REALTIME, timeout: 9_000n },
    { userdata: 2n, clock: W.CLOCKID_MONOTONIC, timeout: 3_000n },
  ]);
  assert.deepEqual(r.events.map((e) => e.userdata), [2n]);
  assert.equal(t.clock.realtime - start, 3_000n);
  const past = poll(t, [{ userdata: 7n, clock: W.CLOCKID_REALTIME, timeout: 1n, abstime: true }]);
  assert.deepEqual(past.events.map((e) => e.userdata), [7n]);
  assert.deepEqual(t.clock.slept.slice(1), [], 'no sleep for a deadline already past');
  const abs = poll(t, [{ userdata: 8n, clock: W.CLOCKID_MONOTONIC, timeout: t.clock.monotonic + 500n, abstime: true }]);
  assert.deepEqual(abs.events.map((e) => e.userdata), [8n]);
  assert.equal(t.clock.slept.at(-1), 500n);
  const zero = poll(t, [{ userdata: 9n, clock: W.CLOCKID_MONOTONIC, timeout: 0n }]);
  assert.deepEqual(zero.events.map((e) => e.userdata), [9n], 'a zero timeout is a plain yield');
});

test('ready descriptors answer at once, without waiting for a clock; files report bytes left', () => {
  const t = testKernel({ stdin: new MemStream('fifo', new TextEncoder().encode('abc')) });
  const [, fd] = openAt(t, SANDBOX_FD, 'f', { oflags: W.OFLAGS_CREAT });
  writeText(t, fd, 'hello');
  assert.equal(t.call.fd_seek(fd, 1n, W.WHENCE_SET, t.alloc(8)), 0);
  const r = poll(t, [
    { userdata: 1n, clock: W.CLOCKID_MONOTONIC, timeout: 1_000_000_000n },
    { userdata: 2n, fd: 0 },
    { userdata: 3n, fd: 1, write: true },
    { userdata: 4n, fd, write: false },
  ]);
  assert.equal(r.errno, 0);
  assert.deepEqual(r.events.map((e) => [e.userdata, e.type]), [[2n, W.EVENTTYPE_FD_READ], [3n, W.EVENTTYPE_FD_WRITE], [4n, W.EVENTTYPE_FD_READ]]);
  assert.equal(r.events[0]?.nbytes, 3n);
  assert.equal(r.events[2]?.nbytes, 4n, 'a file is readable with size - offset bytes');
  assert.deepEqual(t.clock.slept, []);
});

test('a stream that is not ready is waited for until the clock fires; hangup is reported', () => {
  const stdin = new MemStream('fifo', new Uint8Array(0), { readable: false, writable: false, hangup: false, nbytes: 0 });
  const t = testKernel({ stdin });
  const r = poll(t, [{ userdata: 1n, fd: 0 }, { userdata: 2n, clock: W.CLOCKID_MONOTONIC, timeout: 10_000_000n }]);
  assert.deepEqual(r.events.map((e) => e.userdata), [2n]);
  assert.equal(t.clock.slept.reduce((a, b) => a + b, 0n), 10_000_000n, 'slept in steps adding up to the timeout');
  stdin.ready = { readable: false, writable: false, hangup: true, nbytes: 0 };
  const h = poll(t, [{ userdata: 3n, fd: 0 }]);
  assert.deepEqual(h.events.map((e) => [e.userdata, e.flags]), [[3n, W.EVENTRWFLAGS_FD_READWRITE_HANGUP]]);
});

test('poll_oneoff errors: no subscriptions, an unknown event type or clock, CPU-time clocks; bad fds per event', () => {
  const t = testKernel();
  assert.equal(poll(t, []).errno, E.WASI_EINVAL);
  assert.equal(poll(t, [{ userdata: 1n, clock: 9, timeout: 0n }]).errno, E.WASI_EINVAL);
  assert.equal(poll(t, [{ userdata: 1n, clock: W.CLOCKID_PROCESS_CPUTIME_ID, timeout: 1n }]).errno, E.WASI_EINVAL);
  assert.equal(poll(t, [{ userdata: 1n, clock: W.CLOCKID_THREAD_CPUTIME_ID, timeout: 1n }]).errno, E.WASI_EINVAL);
  const inPtr = t.alloc(W.SUBSCRIPTION_SIZE);
  t.mem.bytes(inPtr, W.SUBSCRIPTION_SIZE).fill(0);
  t.mem.setU8(inPtr + W.SUBSCRIPTION_TAG, 3);
  assert.equal(t.call.poll_oneoff(inPtr, t.alloc(W.EVENT_SIZE), 1, t.alloc(4)), E.WASI_EINVAL);
  const r = poll(t, [{ userdata: 5n, fd: 77 }, { userdata: 6n, clock: W.CLOCKID_MONOTONIC, timeout: 1_000n }]);
  assert.equal(r.errno, 0);
  assert.deepEqual(r.events.map((e) => [e.userdata, e.error]), [[5n, E.WASI_EBADF]]);
});

test('sched_yield, clocks and random_get', () => {
  const t = testKernel();
  assert.equal(t.call.sched_yield(), 0);
  const out = t.alloc(8);
  for (const id of [W.CLOCKID_REALTIME, W.CLOCKID_MONOTONIC, W.CLOCKID_PROCESS_CPUTIME_ID, W.CLOCKID_THREAD_CPUTIME_ID]) {
    assert.equal(t.call.clock_res_get(id, out), 0);
    assert.ok(t.mem.u64(out) > 0n);
  }
  assert.equal(t.call.clock_time_get(W.CLOCKID_REALTIME, 0n, out), 0);
  assert.equal(t.mem.u64(out), t.clock.realtime);
  assert.equal(t.call.clock_time_get(W.CLOCKID_MONOTONIC, 0n, out), 0);
  assert.equal(t.mem.u64(out), t.clock.monotonic);
  assert.equal(t.call.clock_time_get(4, 0n, out), E.WASI_EINVAL);
  assert.equal(t.call.clock_res_get(4, out), E.WASI_EINVAL);
  const buf = t.alloc(4);
  assert.equal(t.call.random_get(buf, 4), 0);
  assert.deepEqual([...t.mem.bytes(buf, 4)], [1, 2, 3, 4]);
  assert.equal(t.call.random_get(buf, 0), 0);
});

test('args and environ: sizes, then NUL-terminated strings and pointers', () => {
  const t = testKernel({ argv: ['prog', 'héllo', ''], env: ['A=1', 'B='] });
  const counts = t.alloc(8);
  assert.equal(t.call.args_sizes_get(counts, counts + 4), 0);
  assert.deepEqual([t.mem.u32(counts), t.mem.u32(counts + 4)], [3, 5 + 7 + 1]);
  const ptrs = t.alloc(12);
  const buf = t.alloc(13);
  assert.equal(t.call.args_get(ptrs, buf), 0);
  const dec = (p: number, n: number): string => new TextDecoder().decode(t.mem.bytes(p, n));
  assert.equal(t.mem.u32(ptrs), buf);
  assert.equal(dec(t.mem.u32(ptrs + 4), 7), 'héllo\0');
  assert.equal(t.mem.u8(t.mem.u32(ptrs + 8)), 0);
  assert.equal(t.call.environ_sizes_get(counts, counts + 4), 0);
  assert.deepEqual([t.mem.u32(counts), t.mem.u32(counts + 4)], [2, 7]);
  const eptrs = t.alloc(8);
  const ebuf = t.alloc(7);
  assert.equal(t.call.environ_get(eptrs, ebuf), 0);
  assert.equal(dec(ebuf, 7), 'A=1\0B=\0');
  // A string buffer that does not fit is EFAULT and writes nothing.
  const fresh = t.alloc(8);
  assert.equal(t.call.environ_get(fresh, t.end - 3), E.WASI_EFAULT);
  assert.equal(t.mem.u32(fresh), 0);
});
