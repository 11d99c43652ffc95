import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as E from '../abi/wasi_errno.js';
import * as W from '../abi/wasi.js';
import { WASI_CALLS, type WasiCallName } from './imports.js';
import { ProcExit } from './proc.js';
import { openAt, ROOT_FD, SANDBOX_FD, testKernel, type TestKernel } from './testing/testkit.js';

/**
 * Each call's parameters as witx declares them (wasi_snapshot_preview1): 'i' an i32 (a number from
 * WebAssembly), 'I' an i64 (a bigint).
 */
const SIGNATURES: Record<WasiCallName, string> = {
  args_get: 'ii', args_sizes_get: 'ii', environ_get: 'ii', environ_sizes_get: 'ii',
  clock_res_get: 'ii', clock_time_get: 'iIi',
  fd_advise: 'iIIi', fd_allocate: 'iII', fd_close: 'i', fd_datasync: 'i', fd_fdstat_get: 'ii',
  fd_fdstat_set_flags: 'ii', fd_fdstat_set_rights: 'iII', fd_filestat_get: 'ii', fd_filestat_set_size: 'iI',
  fd_filestat_set_times: 'iIIi', fd_pread: 'iiiIi', fd_prestat_get: 'ii', fd_prestat_dir_name: 'iii',
  fd_pwrite: 'iiiIi', fd_read: 'iiii', fd_readdir: 'iiiIi', fd_renumber: 'ii', fd_seek: 'iIii', fd_sync: 'i',
  fd_tell: 'ii', fd_write: 'iiii',
  path_create_directory: 'iii', path_filestat_get: 'iiiii', path_filestat_set_times: 'iiiiIIi',
  path_link: 'iiiiiii', path_open: 'iiiiiIIii', path_readlink: 'iiiiii', path_remove_directory: 'iii',
  path_rename: 'iiiiii', path_symlink: 'iiiii', path_unlink_file: 'iii',
  poll_oneoff: 'iiii', proc_exit: 'i', proc_raise: 'i', sched_yield: '', random_get: 'ii',
  sock_accept: 'iii', sock_recv: 'iiiiii', sock_send: 'iiiii', sock_shutdown: 'ii',
};

const ERRNO_MAX = E.WASI_ENOTCAPABLE;

test('the signature table covers exactly the 46 calls', () => {
  assert.equal(WASI_CALLS.length, 46);
  assert.deepEqual([...WASI_CALLS].sort(), Object.keys(SIGNATURES).sort());
});

/** An i32 as WebAssembly hands it to JS: signed. Biased towards small values, fds and memory's edge. */
function i32(end: number): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: 0, max: 8 }),
    fc.integer({ min: 0, max: end + 64 }),
    fc.integer({ min: end - 64, max: end + 64 }),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  );
}

function i64(): fc.Arbitrary<bigint> {
  return fc.oneof(
    fc.bigInt({ min: 0n, max: 4096n }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  );
}

/** Guest memory filled with bytes a test chooses, so iovecs, subscriptions and strings are random too. */
function withMemory(t: TestKernel, bytes: Uint8Array): void {
  t.mem.write(0, bytes.subarray(0, Math.min(bytes.length, t.end)));
}

test('every call with random arguments returns a WASI errno and throws nothing (ProcExit from proc_exit)', () => {
  const end = 2 * 65536;
  const call = fc.constantFrom(...WASI_CALLS).chain((name) =>
    fc.tuple(
      fc.constant(name),
      fc.tuple(...[...SIGNATURES[name]].map((k) => (k === 'I' ? i64() : i32(end)) as fc.Arbitrary<number | bigint>)),
    ),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(call, { minLength: 1, maxLength: 12 }), (bytes, calls) => {
      const t = testKernel({ argv: ['prog', 'a'], env: ['K=V'] });
      withMemory(t, bytes);
      for (const [name, args] of calls) {
        let r: unknown;
        try {
          r = t.call[name](...args);
        } catch (e) {
          if (name === 'proc_exit' && e instanceof ProcExit) continue;
          throw new Error(`${name}(${args.join(', ')}) threw ${String(e)}`);
        }
        assert.equal(typeof r, 'number', `${name} returned ${String(r)}`);
        assert.ok(Number.isInteger(r) && (r as number) >= 0 && (r as number) <= ERRNO_MAX, `${name} returned ${String(r)}`);
        assert.notEqual(name, 'proc_exit', 'proc_exit returned');
      }
    }),
    { numRuns: 1000 },
  );
});

/** Each call that writes through a pointer, with every pointer argument out of memory: EFAULT. */
test('pointers outside linear memory are EFAULT', () => {
  const t = testKernel();
  const bad = t.end - 2; // a u32 or u64 there runs off the end
  const far = 0xffff_fff0; // as a signed i32 from wasm: negative
  const [p, n] = t.str('f');
  const [e, file] = openAt(t, SANDBOX_FD, 'file', { oflags: W.OFLAGS_CREAT });
  assert.equal(e, 0);
  const sub = t.alloc(W.SUBSCRIPTION_SIZE); // a clock subscription: tag 0, realtime, timeout 0
  t.mem.bytes(sub, W.SUBSCRIPTION_SIZE).fill(0);
  const cases: Array<[string, () => number]> = [
    ['args_sizes_get', () => t.call.args_sizes_get(bad, 0)],
    ['args_get', () => t.call.args_get(far, 1024)],
    ['environ_sizes_get', () => t.call.environ_sizes_get(0, far | 0)],
    ['clock_time_get', () => t.call.clock_time_get(W.CLOCKID_MONOTONIC, 0n, bad)],
    ['clock_res_get', () => t.call.clock_res_get(W.CLOCKID_REALTIME, far)],
    ['random_get', () => t.call.random_get(t.end - 10, 11)],
    ['fd_fdstat_get', () => t.call.fd_fdstat_get(1, bad)],
    ['fd_filestat_get', () => t.call.fd_filestat_get(ROOT_FD, t.end - 63)],
    ['fd_prestat_get', () => t.call.fd_prestat_get(ROOT_FD, bad)],
    ['fd_prestat_dir_name', () => t.call.fd_prestat_dir_name(ROOT_FD, far, 1)],
    ['fd_write iovec array', () => t.call.fd_write(1, bad, 1, 1024)],
    ['fd_write buffer', () => t.call.fd_write(1, t.iovs([[t.end - 1, 2]])[0], 1, 1024)],
    ['fd_write nwritten', () => t.call.fd_write(1, t.iovs([[p, n]])[0], 1, bad)],
    ['fd_read buffer', () => t.call.fd_read(0, t.iovs([[far, 1]])[0], 1, 1024)],
    ['fd_readdir buffer', () => t.call.fd_readdir(ROOT_FD, t.end - 8, 64, 0n, 1024)],
    ['fd_readdir bufused', () => t.call.fd_readdir(ROOT_FD, 2048, 64, 0n, bad)],
    ['fd_seek newoffset', () => t.call.fd_seek(file, 0n, W.WHENCE_CUR, bad)],
    ['fd_tell offset', () => t.call.fd_tell(file, bad)],
    ['path_open path', () => t.call.path_open(ROOT_FD, 0, t.end - 1, 4, 0, 0n, 0n, 0, 1024)],
    ['path_open fd out', () => t.call.path_open(ROOT_FD, 0, p, n, W.OFLAGS_CREAT, 0n, 0n, 0, bad)],
    ['path_filestat_get buffer', () => t.call.path_filestat_get(SANDBOX_FD, 0, ...t.str('file'), bad)],
    ['path_readlink path', () => t.call.path_readlink(ROOT_FD, far, 3, 1024, 10, 1040)],
    ['path_create_directory path', () => t.call.path_create_directory(ROOT_FD, t.end, 1)],
    ['poll_oneoff subscriptions', () => t.call.poll_oneoff(t.end - 47, 1024, 1, 2048)],
    ['poll_oneoff events', () => t.call.poll_oneoff(sub, t.end - 31, 1, 2048)],
    ['poll_oneoff nevents', () => t.call.poll_oneoff(sub, 4096, 1, bad)],
  ];
  for (const [what, run] of cases) assert.equal(run(), E.WASI_EFAULT, what);
  // Nothing was created by the path_open whose fd could not be returned.
  assert.equal(t.call.path_unlink_file(ROOT_FD, p, n), E.WASI_ENOENT);
});

test('EFAULT transfers nothing: a bad second iovec leaves the file untouched', () => {
  const t = testKernel();
  const [p, n] = t.str('hello');
  const iov = t.iovs([[p, n], [t.end - 1, 4]]);
  assert.equal(t.call.fd_write(1, iov[0], iov[1], 1024), E.WASI_EFAULT);
  assert.equal(t.stdout.text(), '');
});

/** Each fd-taking call, on a descriptor number that is not open: EBADF. */
test('closed or never-opened descriptors are EBADF', () => {
  const t = testKernel();
  const [p, n] = t.str('x');
  const buf = 2048;
  for (const fd of [5, 99, 0x7fff_ffff, -1]) {
    const cases: Array<[string, () => number]> = [
      ['fd_advise', () => t.call.fd_advise(fd, 0n, 0n, 0)],
      ['fd_allocate', () => t.call.fd_allocate(fd, 0n, 1n)],
      ['fd_close', () => t.call.fd_close(fd)],
      ['fd_datasync', () => t.call.fd_datasync(fd)],
      ['fd_fdstat_get', () => t.call.fd_fdstat_get(fd, buf)],
      ['fd_fdstat_set_flags', () => t.call.fd_fdstat_set_flags(fd, 0)],
      ['fd_fdstat_set_rights', () => t.call.fd_fdstat_set_rights(fd, 0n, 0n)],
      ['fd_filestat_get', () => t.call.fd_filestat_get(fd, buf)],
      ['fd_filestat_set_size', () => t.call.fd_filestat_set_size(fd, 0n)],
      ['fd_filestat_set_times', () => t.call.fd_filestat_set_times(fd, 0n, 0n, 0)],
      ['fd_pread', () => t.call.fd_pread(fd, buf, 0, 0n, buf)],
      ['fd_prestat_get', () => t.call.fd_prestat_get(fd, buf)],
      ['fd_prestat_dir_name', () => t.call.fd_prestat_dir_name(fd, buf, 8)],
      ['fd_pwrite', () => t.call.fd_pwrite(fd, buf, 0, 0n, buf)],
      ['fd_read', () => t.call.fd_read(fd, buf, 0, buf)],
      ['fd_readdir', () => t.call.fd_readdir(fd, buf, 64, 0n, buf)],
      ['fd_renumber from', () => t.call.fd_renumber(fd, 1)],
      ['fd_renumber to', () => t.call.fd_renumber(1, fd)],
      ['fd_seek', () => t.call.fd_seek(fd, 0n, 0, buf)],
      ['fd_sync', () => t.call.fd_sync(fd)],
      ['fd_tell', () => t.call.fd_tell(fd, buf)],
      ['fd_write', () => t.call.fd_write(fd, buf, 0, buf)],
      ['path_create_directory', () => t.call.path_create_directory(fd, p, n)],
      ['path_filestat_get', () => t.call.path_filestat_get(fd, 0, p, n, buf)],
      ['path_filestat_set_times', () => t.call.path_filestat_set_times(fd, 0, p, n, 0n, 0n, 0)],
      ['path_link old', () => t.call.path_link(fd, 0, p, n, ROOT_FD, p, n)],
      ['path_link new', () => t.call.path_link(ROOT_FD, 0, p, n, fd, p, n)],
      ['path_open', () => t.call.path_open(fd, 0, p, n, 0, 0n, 0n, 0, buf)],
      ['path_readlink', () => t.call.path_readlink(fd, p, n, buf, 8, buf + 8)],
      ['path_remove_directory', () => t.call.path_remove_directory(fd, p, n)],
      ['path_rename old', () => t.call.path_rename(fd, p, n, ROOT_FD, p, n)],
      ['path_rename new', () => t.call.path_rename(ROOT_FD, p, n, fd, p, n)],
      ['path_symlink', () => t.call.path_symlink(p, n, fd, p, n)],
      ['path_unlink_file', () => t.call.path_unlink_file(fd, p, n)],
      ['sock_accept', () => t.call.sock_accept(fd, 0, buf)],
      ['sock_recv', () => t.call.sock_recv(fd, buf, 0, 0, buf, buf + 4)],
      ['sock_send', () => t.call.sock_send(fd, buf, 0, 0, buf)],
      ['sock_shutdown', () => t.call.sock_shutdown(fd, W.SDFLAGS_RD)],
    ];
    for (const [what, run] of cases) assert.equal(run(), E.WASI_EBADF, `${what}(${fd})`);
  }
  // An fd closed by the guest is as bad as one never opened.
  assert.equal(t.call.fd_close(SANDBOX_FD), 0);
  assert.equal(t.call.fd_close(SANDBOX_FD), E.WASI_EBADF);
  assert.equal(t.call.fd_readdir(SANDBOX_FD, buf, 64, 0n, buf), E.WASI_EBADF);
});

test('fd_prestat_get is EBADF for an open descriptor that is not a preopen; sockets calls are ENOTSOCK', () => {
  const t = testKernel();
  assert.equal(t.call.fd_prestat_get(1, 2048), E.WASI_EBADF);
  assert.equal(t.call.fd_prestat_get(ROOT_FD, 2048), 0);
  assert.equal(t.mem.u32(2048 + 4), 1);
  assert.equal(t.call.fd_prestat_dir_name(SANDBOX_FD, 2048, 3), E.WASI_ENAMETOOLONG);
  assert.equal(t.call.fd_prestat_dir_name(SANDBOX_FD, 2048, 8), 0);
  assert.equal(new TextDecoder().decode(t.mem.bytes(2048, 8)), '/sandbox');
  assert.equal(t.call.sock_shutdown(0, W.SDFLAGS_RD), E.WASI_ENOTSOCK);
});

test('i32 arguments are unsigned: a pointer past 2 GiB is EFAULT, not a negative index', () => {
  const t = testKernel();
  assert.equal(t.call.random_get(-8, 4), E.WASI_EFAULT);
  assert.equal(t.call.random_get(1024, -1), E.WASI_EFAULT);
  assert.equal(t.call.proc_raise(-1), E.WASI_EINVAL);
  assert.throws(() => t.call.proc_exit(-1), (e: unknown) => e instanceof ProcExit && e.code === 0xffff_ffff);
});
