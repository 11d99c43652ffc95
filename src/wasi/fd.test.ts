import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../abi/wasi_errno.js';
import * as W from '../abi/wasi.js';
import { openAt, readText, SANDBOX_FD, testKernel, writeText, type TestKernel } from './testing/testkit.js';

/** A fresh file in the sandbox, opened with every right; returns its fd. */
function newFile(t: TestKernel, name: string, o: { fdflags?: number; rights?: bigint } = {}): number {
  const [e, fd] = openAt(t, SANDBOX_FD, name, { oflags: W.OFLAGS_CREAT, ...o });
  assert.equal(e, 0, `create ${name}`);
  return fd;
}

function seek(t: TestKernel, fd: number, offset: bigint, whence: number): [number, bigint] {
  const out = t.alloc(8);
  const e = t.call.fd_seek(fd, offset, whence, out);
  return [e, e === 0 ? t.mem.u64(out) : -1n];
}

function tell(t: TestKernel, fd: number): bigint {
  const out = t.alloc(8);
  assert.equal(t.call.fd_tell(fd, out), 0);
  return t.mem.u64(out);
}

function fdstat(t: TestKernel, fd: number): { filetype: number; flags: number; base: bigint; inheriting: bigint } {
  const buf = t.alloc(W.FDSTAT_SIZE);
  assert.equal(t.call.fd_fdstat_get(fd, buf), 0);
  return {
    filetype: t.mem.u8(buf),
    flags: t.mem.u16(buf + W.FDSTAT_FLAGS),
    base: t.mem.u64(buf + W.FDSTAT_RIGHTS_BASE),
    inheriting: t.mem.u64(buf + W.FDSTAT_RIGHTS_INHERITING),
  };
}

function size(t: TestKernel, fd: number): bigint {
  const buf = t.alloc(W.FILESTAT_SIZE);
  assert.equal(t.call.fd_filestat_get(fd, buf), 0);
  return t.mem.u64(buf + W.FILESTAT_SIZE_FIELD);
}

interface Dirent { next: bigint; ino: bigint; type: number; name: string }

/** One fd_readdir call from cookie into a buffer of bufLen bytes: the whole entries in it, and bufused. */
function readdir(t: TestKernel, fd: number, cookie: bigint, bufLen = 4096): { entries: Dirent[]; used: number } {
  const buf = t.alloc(bufLen);
  const usedPtr = t.alloc(4);
  assert.equal(t.call.fd_readdir(fd, buf, bufLen, cookie, usedPtr), 0);
  const used = t.mem.u32(usedPtr);
  const entries: Dirent[] = [];
  for (let at = 0; at + W.DIRENT_SIZE <= used;) {
    const p = buf + at;
    const len = t.mem.u32(p + W.DIRENT_NAMLEN);
    if (at + W.DIRENT_SIZE + len > used) break;
    entries.push({
      next: t.mem.u64(p),
      ino: t.mem.u64(p + W.DIRENT_INO),
      type: t.mem.u8(p + W.DIRENT_TYPE),
      name: new TextDecoder().decode(t.mem.bytes(p + W.DIRENT_SIZE, len)),
    });
    at += W.DIRENT_SIZE + len;
  }
  return { entries, used };
}

test('seek and tell: past the end, holes read as zeros, SEEK_END and SEEK_CUR, negative results', () => {
  const t = testKernel();
  const fd = newFile(t, 'f');
  assert.deepEqual(writeText(t, fd, 'abc'), [0, 3]);
  assert.equal(tell(t, fd), 3n);
  assert.deepEqual(seek(t, fd, 10n, W.WHENCE_SET), [0, 10n], 'seeking past the end is allowed');
  assert.equal(size(t, fd), 3n, 'and does not grow the file');
  assert.deepEqual(writeText(t, fd, 'Z'), [0, 1]);
  assert.equal(size(t, fd), 11n);
  assert.deepEqual(seek(t, fd, 0n, W.WHENCE_SET), [0, 0n]);
  assert.deepEqual(readText(t, fd, 64), [0, 'abc\0\0\0\0\0\0\0Z'], 'the hole reads as zeros');
  assert.deepEqual(readText(t, fd, 64), [0, ''], 'at the end a read returns 0 bytes');
  assert.deepEqual(seek(t, fd, -1n, W.WHENCE_END), [0, 10n]);
  assert.deepEqual(seek(t, fd, -4n, W.WHENCE_CUR), [0, 6n]);
  assert.deepEqual(seek(t, fd, 100n, W.WHENCE_END), [0, 111n]);
  assert.deepEqual(readText(t, fd, 4), [0, ''], 'reading past the end gives 0 bytes');
  assert.equal(seek(t, fd, -1n, W.WHENCE_SET)[0], E.WASI_EINVAL, 'a negative result is EINVAL');
  assert.equal(seek(t, fd, -200n, W.WHENCE_CUR)[0], E.WASI_EINVAL);
  assert.equal(tell(t, fd), 111n, 'a failed seek leaves the offset');
  assert.equal(seek(t, fd, 0n, 3)[0], E.WASI_EINVAL, 'an unknown whence is EINVAL');
});

test('pread and pwrite use their own offset and leave the file offset alone', () => {
  const t = testKernel();
  const fd = newFile(t, 'f');
  writeText(t, fd, 'hello');
  const [p, n] = t.str('J');
  const [iov, cnt] = t.iovs([[p, n]]);
  const out = t.alloc(4);
  assert.equal(t.call.fd_pwrite(fd, iov, cnt, 0n, out), 0);
  assert.equal(t.call.fd_pwrite(fd, iov, cnt, 8n, out), 0, 'pwrite past the end leaves a hole');
  assert.equal(tell(t, fd), 5n);
  assert.equal(size(t, fd), 9n);
  const buf = t.alloc(16);
  const [riov] = t.iovs([[buf, 16]]);
  assert.equal(t.call.fd_pread(fd, riov, 1, 0n, out), 0);
  assert.equal(t.mem.u32(out), 9);
  assert.equal(new TextDecoder().decode(t.mem.bytes(buf, 9)), 'Jello\0\0\0J');
  assert.equal(t.call.fd_pread(fd, riov, 1, 100n, out), 0);
  assert.equal(t.mem.u32(out), 0, 'pread past the end reads nothing');
  assert.equal(t.call.fd_pread(fd, riov, 1, 2n ** 63n, out), E.WASI_EINVAL, 'an offset past 2^53 (here negative as i64) is EINVAL');
  assert.equal(t.call.fd_pread(1, riov, 1, 0n, out), E.WASI_ENOTCAPABLE, 'a stream has no fd_seek right');
});

test('append: every write goes to the end, whatever the offset; pwrite writes where asked (POSIX)', () => {
  const t = testKernel();
  const fd = newFile(t, 'f', { fdflags: W.FDFLAGS_APPEND });
  assert.equal(fdstat(t, fd).flags & W.FDFLAGS_APPEND, W.FDFLAGS_APPEND);
  writeText(t, fd, 'ab');
  assert.deepEqual(seek(t, fd, 0n, W.WHENCE_SET), [0, 0n]);
  writeText(t, fd, 'cd');
  assert.equal(tell(t, fd), 4n, 'the offset follows the appended bytes');
  const [p, n] = t.str('X');
  const [iov, cnt] = t.iovs([[p, n]]);
  assert.equal(t.call.fd_pwrite(fd, iov, cnt, 0n, t.alloc(4)), 0);
  assert.equal(tell(t, fd), 4n);
  assert.equal(size(t, fd), 4n, 'pwrite at 0 with O_APPEND overwrites byte 0 (wasmtime, POSIX), not the end (Linux)');
  const other = openAt(t, SANDBOX_FD, 'f', { rights: BigInt(W.RIGHTS_FD_READ | W.RIGHTS_FD_SEEK) })[1];
  assert.deepEqual(readText(t, other, 8), [0, 'Xbcd']);
  // Clearing APPEND through fd_fdstat_set_flags makes writes land at the offset again.
  assert.equal(t.call.fd_fdstat_set_flags(fd, 0), 0);
  assert.equal(fdstat(t, fd).flags & W.FDFLAGS_APPEND, 0);
  seek(t, fd, 1n, W.WHENCE_SET);
  writeText(t, fd, 'Y');
  assert.equal(size(t, fd), 4n);
});

test('fdflags round-trip: NONBLOCK and APPEND set and cleared, sync flags kept from open, unknown bits EINVAL', () => {
  const t = testKernel();
  const fd = newFile(t, 'f', { fdflags: W.FDFLAGS_SYNC });
  assert.equal(fdstat(t, fd).flags & W.FDFLAGS_SYNC, W.FDFLAGS_SYNC, 'SYNC given at open is kept');
  assert.equal(t.call.fd_fdstat_set_flags(fd, W.FDFLAGS_NONBLOCK), 0);
  assert.equal(fdstat(t, fd).flags & (W.FDFLAGS_NONBLOCK | W.FDFLAGS_APPEND), W.FDFLAGS_NONBLOCK);
  assert.equal(t.call.fd_fdstat_set_flags(fd, W.FDFLAGS_NONBLOCK | W.FDFLAGS_APPEND), 0);
  assert.equal(fdstat(t, fd).flags & (W.FDFLAGS_NONBLOCK | W.FDFLAGS_APPEND), W.FDFLAGS_NONBLOCK | W.FDFLAGS_APPEND);
  assert.equal(t.call.fd_fdstat_set_flags(fd, 0), 0);
  assert.equal(fdstat(t, fd).flags & (W.FDFLAGS_NONBLOCK | W.FDFLAGS_APPEND), 0);
  assert.equal(t.call.fd_fdstat_set_flags(fd, 0x20), E.WASI_EINVAL);
  // Opened with NONBLOCK, a stream-less file reports it too.
  const nb = newFile(t, 'g', { fdflags: W.FDFLAGS_NONBLOCK });
  assert.equal(fdstat(t, nb).flags, W.FDFLAGS_NONBLOCK);
  assert.equal(fdstat(t, 1).filetype, W.FILETYPE_UNKNOWN, 'a pipe has no WASI file type');
  assert.equal(fdstat(t, SANDBOX_FD).filetype, W.FILETYPE_DIRECTORY);
  assert.equal(fdstat(t, nb).filetype, W.FILETYPE_REGULAR_FILE);
});

/** Each call whose right was dropped by fd_fdstat_set_rights answers ENOTCAPABLE. */
test('rights: a call needing a right the fd lacks is ENOTCAPABLE; rights only shrink', () => {
  const t = testKernel();
  const fd = newFile(t, 'f');
  const buf = t.alloc(64);
  const [iov] = t.iovs([[buf, 4]]);
  const cases: Array<[string, number, () => number]> = [
    ['fd_read', W.RIGHTS_FD_READ, () => t.call.fd_read(fd, iov, 1, buf)],
    ['fd_write', W.RIGHTS_FD_WRITE, () => t.call.fd_write(fd, iov, 1, buf)],
    ['fd_pread', W.RIGHTS_FD_SEEK, () => t.call.fd_pread(fd, iov, 1, 0n, buf)],
    ['fd_pwrite', W.RIGHTS_FD_SEEK, () => t.call.fd_pwrite(fd, iov, 1, 0n, buf)],
    ['fd_seek', W.RIGHTS_FD_SEEK, () => t.call.fd_seek(fd, 1n, W.WHENCE_SET, buf)],
    ['fd_tell', W.RIGHTS_FD_TELL, () => t.call.fd_tell(fd, buf)],
    ['fd_seek(0, CUR) is a tell', W.RIGHTS_FD_TELL, () => t.call.fd_seek(fd, 0n, W.WHENCE_CUR, buf)],
    ['fd_advise', W.RIGHTS_FD_ADVISE, () => t.call.fd_advise(fd, 0n, 0n, W.ADVICE_NORMAL)],
    ['fd_allocate', W.RIGHTS_FD_ALLOCATE, () => t.call.fd_allocate(fd, 0n, 1n)],
    ['fd_datasync', W.RIGHTS_FD_DATASYNC, () => t.call.fd_datasync(fd)],
    ['fd_sync', W.RIGHTS_FD_SYNC, () => t.call.fd_sync(fd)],
    ['fd_fdstat_set_flags', W.RIGHTS_FD_FDSTAT_SET_FLAGS, () => t.call.fd_fdstat_set_flags(fd, 0)],
    ['fd_filestat_get', W.RIGHTS_FD_FILESTAT_GET, () => t.call.fd_filestat_get(fd, buf)],
    ['fd_filestat_set_size', W.RIGHTS_FD_FILESTAT_SET_SIZE, () => t.call.fd_filestat_set_size(fd, 0n)],
    ['fd_filestat_set_times', W.RIGHTS_FD_FILESTAT_SET_TIMES, () => t.call.fd_filestat_set_times(fd, 0n, 0n, W.FSTFLAGS_ATIM_NOW)],
  ];
  for (const [what, right, run] of cases) {
    const before = fdstat(t, fd);
    assert.equal(t.call.fd_fdstat_set_rights(fd, before.base & ~BigInt(right), before.inheriting), 0);
    assert.equal(run(), E.WASI_ENOTCAPABLE, what);
    // Put it back through a fresh fd: rights can never grow again on this one.
    assert.equal(t.call.fd_fdstat_set_rights(fd, before.base, before.inheriting), E.WASI_ENOTCAPABLE, `${what}: regrow`);
    assert.equal(t.call.fd_close(fd), 0);
    assert.equal(openAt(t, SANDBOX_FD, 'f')[1], fd);
  }
  // Path calls need their right on the directory fd.
  const dir = openAt(t, SANDBOX_FD, '.', { oflags: W.OFLAGS_DIRECTORY, rights: BigInt(W.RIGHTS_DIRECTORY_BASE) })[1];
  const ds = fdstat(t, dir);
  assert.equal(t.call.fd_fdstat_set_rights(dir, ds.base & ~BigInt(W.RIGHTS_PATH_OPEN | W.RIGHTS_PATH_CREATE_DIRECTORY), ds.inheriting), 0);
  assert.equal(openAt(t, dir, 'f')[0], E.WASI_ENOTCAPABLE);
  const [p, n] = t.str('d');
  assert.equal(t.call.path_create_directory(dir, p, n), E.WASI_ENOTCAPABLE);
  // A file opened through a directory gets at most the directory's inheriting rights.
  assert.equal(t.call.fd_fdstat_set_rights(SANDBOX_FD, ds.base, ds.inheriting & ~BigInt(W.RIGHTS_FD_WRITE)), 0);
  const [e, ro] = openAt(t, SANDBOX_FD, 'f', { rights: BigInt(W.RIGHTS_FD_READ | W.RIGHTS_FD_WRITE) });
  assert.equal(e, 0);
  assert.equal(fdstat(t, ro).base, BigInt(W.RIGHTS_FD_READ));
  assert.equal(writeText(t, ro, 'x')[0], E.WASI_ENOTCAPABLE);
});

test('fd_readdir: ".", "..", entries with inode numbers and types; cookies stable across calls', () => {
  const t = testKernel();
  for (const name of ['a', 'b', 'c', 'd', 'e']) t.call.fd_close(newFile(t, name));
  const [p, n] = t.str('sub');
  assert.equal(t.call.path_create_directory(SANDBOX_FD, p, n), 0);
  const all = readdir(t, SANDBOX_FD, 0n).entries;
  assert.deepEqual(all.map((e) => e.name), ['.', '..', 'a', 'b', 'c', 'd', 'e', 'sub']);
  assert.deepEqual(all.map((e) => e.next), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  assert.equal(all[7]?.type, W.FILETYPE_DIRECTORY);
  assert.equal(all[2]?.type, W.FILETYPE_REGULAR_FILE);
  // Each entry's d_ino is the inode path_filestat_get reports.
  const stat = t.alloc(W.FILESTAT_SIZE);
  const [ap, an] = t.str('a');
  assert.equal(t.call.path_filestat_get(SANDBOX_FD, 0, ap, an, stat), 0);
  assert.equal(all[2]?.ino, t.mem.u64(stat + W.FILESTAT_INO));
  // Resuming from every cookie gives the rest of the same listing.
  for (let i = 0; i < all.length; i++) {
    assert.deepEqual(readdir(t, SANDBOX_FD, BigInt(i)).entries, all.slice(i), `from cookie ${i}`);
  }
  assert.deepEqual(readdir(t, SANDBOX_FD, 8n).entries, [], 'the cookie after the last entry gives nothing');
  assert.deepEqual(readdir(t, SANDBOX_FD, 2n ** 64n - 1n).entries, []);
  // A small buffer is filled to the brim (a cut entry says "there is more") and the walk resumes.
  const small = readdir(t, SANDBOX_FD, 0n, 60);
  assert.equal(small.used, 60);
  assert.deepEqual(small.entries.map((e) => e.name), ['.', '..']);
  const seen: string[] = [];
  for (let cookie = 0n; ;) {
    const r = readdir(t, SANDBOX_FD, cookie, 40);
    if (r.entries.length === 0) break;
    for (const e of r.entries) seen.push(e.name);
    cookie = (r.entries[r.entries.length - 1] as Dirent).next;
  }
  assert.deepEqual(seen, all.map((e) => e.name));
  // Removing an entry mid-walk does not shift the cookies of a walk under way.
  const mid = readdir(t, SANDBOX_FD, 0n).entries;
  const [bp, bn] = t.str('b');
  assert.equal(t.call.path_unlink_file(SANDBOX_FD, bp, bn), 0);
  assert.deepEqual(readdir(t, SANDBOX_FD, 4n).entries.map((e) => e.name), mid.slice(4).map((e) => e.name));
  assert.deepEqual(readdir(t, SANDBOX_FD, 0n).entries.map((e) => e.name), ['.', '..', 'a', 'c', 'd', 'e', 'sub'], 'a new walk sees the change');
  // fd_readdir on a file: no fd_readdir right (path_open withholds it from files), or ENOTDIR.
  const f = openAt(t, SANDBOX_FD, 'a')[1];
  const err = t.call.fd_readdir(f, t.alloc(64), 64, 0n, t.alloc(4));
  assert.ok(err === E.WASI_ENOTCAPABLE || err === E.WASI_ENOTDIR, `fd_readdir on a file: ${err}`);
});

test('fd_allocate grows a file (never shrinks it); zero length is EINVAL; directories and pipes refuse', () => {
  const t = testKernel();
  const fd = newFile(t, 'f');
  assert.equal(t.call.fd_allocate(fd, 0n, 100n), 0);
  assert.equal(size(t, fd), 100n);
  assert.equal(t.call.fd_allocate(fd, 10n, 10n), 0);
  assert.equal(size(t, fd), 100n, 'allocating inside the file keeps its size');
  assert.equal(t.call.fd_allocate(fd, 90n, 20n), 0);
  assert.equal(size(t, fd), 110n);
  assert.deepEqual(readText(t, fd, 200), [0, '\0'.repeat(110)]);
  assert.equal(t.call.fd_allocate(fd, 0n, 0n), E.WASI_EINVAL);
  assert.equal(t.call.fd_allocate(fd, 2n ** 62n, 2n ** 62n), E.WASI_EFBIG);
  assert.equal(t.call.fd_allocate(SANDBOX_FD, 0n, 1n), E.WASI_ENOTCAPABLE, 'a directory has no fd_allocate right');
  const ro = openAt(t, SANDBOX_FD, 'f', { rights: BigInt(W.RIGHTS_FD_READ | W.RIGHTS_FD_ALLOCATE) });
  assert.equal(ro[0], 0);
  assert.equal(fdstat(t, ro[1]).base & BigInt(W.RIGHTS_FD_ALLOCATE), BigInt(W.RIGHTS_FD_ALLOCATE));
});

test('fd_filestat_set_size and set_times: truncate, extend, explicit times, now, and the fstflags rules', () => {
  const t = testKernel();
  const fd = newFile(t, 'f');
  writeText(t, fd, 'hello world');
  assert.equal(t.call.fd_filestat_set_size(fd, 5n), 0);
  assert.equal(size(t, fd), 5n);
  assert.equal(t.call.fd_filestat_set_size(fd, 8n), 0);
  seek(t, fd, 0n, W.WHENCE_SET);
  assert.deepEqual(readText(t, fd, 20), [0, 'hello\0\0\0'], 'shrinking then growing reads zeros');
  const stat = t.alloc(W.FILESTAT_SIZE);
  const times = (): [bigint, bigint, bigint] => {
    assert.equal(t.call.fd_filestat_get(fd, stat), 0);
    return [t.mem.u64(stat + W.FILESTAT_ATIM), t.mem.u64(stat + W.FILESTAT_MTIM), t.mem.u64(stat + W.FILESTAT_CTIM)];
  };
  assert.equal(t.call.fd_filestat_set_times(fd, 111n, 222n, W.FSTFLAGS_ATIM | W.FSTFLAGS_MTIM), 0);
  assert.deepEqual(times().slice(0, 2), [111n, 222n]);
  t.clock.advance(1_000n);
  assert.equal(t.call.fd_filestat_set_times(fd, 0n, 0n, W.FSTFLAGS_MTIM_NOW), 0);
  const [a, m, c] = times();
  assert.equal(a, 111n, 'atime untouched when not asked');
  assert.equal(m, t.clock.realtime);
  assert.equal(c, t.clock.realtime, 'ctime is now after any change');
  assert.equal(t.call.fd_filestat_set_times(fd, 5n, 0n, W.FSTFLAGS_ATIM | W.FSTFLAGS_ATIM_NOW), E.WASI_EINVAL);
  assert.equal(t.call.fd_filestat_set_times(fd, 0n, 5n, W.FSTFLAGS_MTIM | W.FSTFLAGS_MTIM_NOW), E.WASI_EINVAL);
  assert.equal(t.call.fd_filestat_set_times(fd, 0n, 0n, 0x10), E.WASI_EINVAL);
  assert.equal(t.call.fd_filestat_set_times(fd, 2n ** 64n - 1n, 0n, W.FSTFLAGS_ATIM), 0, 'a u64 time stays unsigned');
  assert.equal(times()[0], 2n ** 64n - 1n);
  assert.equal(t.call.fd_filestat_set_size(SANDBOX_FD, 0n), E.WASI_ENOTCAPABLE);
});

test('fd_renumber moves a description and closes the target; fd_close frees the lowest number', () => {
  const t = testKernel();
  const a = newFile(t, 'a');
  const b = newFile(t, 'b');
  writeText(t, a, 'AAA');
  assert.equal(t.call.fd_renumber(a, b), 0);
  assert.equal(t.call.fd_close(a), E.WASI_EBADF);
  assert.equal(tell(t, b), 3n, 'b is now a');
  assert.equal(t.call.fd_renumber(b, b), 0);
  assert.equal(newFile(t, 'c'), a, 'the freed number is reused first');
});
