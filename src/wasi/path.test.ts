import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../abi/wasi_errno.js';
import * as W from '../abi/wasi.js';
import { onPath, openAt, pathStat, ROOT_FD, SANDBOX_FD, testKernel, writeText, type TestKernel } from './testing/testkit.js';

const DIR_RIGHTS = BigInt(W.RIGHTS_DIRECTORY_BASE);

function mkdir(t: TestKernel, path: string, fd = SANDBOX_FD): number {
  return onPath(t, t.call.path_create_directory, fd, path);
}

function touch(t: TestKernel, path: string, fd = SANDBOX_FD): void {
  const [e, f] = openAt(t, fd, path, { oflags: W.OFLAGS_CREAT });
  assert.equal(e, 0, `create ${path}`);
  assert.equal(t.call.fd_close(f), 0);
}

function symlink(t: TestKernel, target: string, path: string, fd = SANDBOX_FD): number {
  const [tp, tn] = t.str(target);
  const [p, n] = t.str(path);
  return t.call.path_symlink(tp, tn, fd, p, n);
}

function rename(t: TestKernel, from: string, to: string, fd = SANDBOX_FD): number {
  const [a, an] = t.str(from);
  const [b, bn] = t.str(to);
  return t.call.path_rename(fd, a, an, fd, b, bn);
}

function link(t: TestKernel, from: string, to: string, follow = false): number {
  const [a, an] = t.str(from);
  const [b, bn] = t.str(to);
  return t.call.path_link(SANDBOX_FD, follow ? W.LOOKUPFLAGS_SYMLINK_FOLLOW : 0, a, an, SANDBOX_FD, b, bn);
}

function readlink(t: TestKernel, path: string, bufLen: number): [number, string] {
  const [p, n] = t.str(path);
  const buf = t.alloc(bufLen);
  const used = t.alloc(4);
  const e = t.call.path_readlink(SANDBOX_FD, p, n, buf, bufLen, used);
  return [e, e === 0 ? new TextDecoder().decode(t.mem.bytes(buf, t.mem.u32(used))) : ''];
}

/** A fresh kernel with, in /sandbox: file f, empty dir d, dir full holding file x, symlinks. */
function populated(): TestKernel {
  const t = testKernel();
  touch(t, 'f');
  assert.equal(mkdir(t, 'd'), 0);
  assert.equal(mkdir(t, 'full'), 0);
  touch(t, 'full/x');
  assert.equal(symlink(t, 'f', 'lf'), 0);
  assert.equal(symlink(t, 'd', 'ld'), 0);
  assert.equal(symlink(t, 'nowhere', 'dangling'), 0);
  return t;
}

test('path_unlink_file: files and symlinks go; directories, missing names and trailing slashes do not', () => {
  const cases: Array<[string, number]> = [
    ['d', E.WASI_EISDIR],
    ['missing', E.WASI_ENOENT],
    ['f/', E.WASI_ENOTDIR],
    ['full/x/y', E.WASI_ENOTDIR],
    ['.', E.WASI_EISDIR],
    ['ld', 0], // the link, not the directory it names
    ['dangling', 0],
    ['f', 0],
  ];
  const t = populated();
  for (const [path, errno] of cases) assert.equal(onPath(t, t.call.path_unlink_file, SANDBOX_FD, path), errno, `unlink ${path}`);
  assert.equal(pathStat(t, SANDBOX_FD, 'd').type, W.FILETYPE_DIRECTORY, 'd survives the unlink of ld');
  assert.equal(pathStat(t, SANDBOX_FD, 'f').errno, E.WASI_ENOENT);
});

test('path_remove_directory: empty directories go; the rest has its errno', () => {
  const cases: Array<[string, number]> = [
    ['full', E.WASI_ENOTEMPTY],
    ['f', E.WASI_ENOTDIR],
    ['ld', E.WASI_ENOTDIR], // a symlink to a directory is not one
    ['missing', E.WASI_ENOENT],
    ['.', E.WASI_EINVAL],
    ['d/..', E.WASI_ENOTEMPTY],
    ['d/', 0],
    ['full/x', E.WASI_ENOTDIR],
  ];
  const t = populated();
  for (const [path, errno] of cases) assert.equal(onPath(t, t.call.path_remove_directory, SANDBOX_FD, path), errno, `rmdir ${path}`);
  assert.equal(pathStat(t, SANDBOX_FD, 'd').errno, E.WASI_ENOENT);
});

test('path_rename: the type rules and their errnos, over and into directories', () => {
  const cases: Array<[string, string, number]> = [
    ['missing', 'x', E.WASI_ENOENT],
    ['d', 'f', E.WASI_ENOTDIR],
    ['f', 'd', E.WASI_EISDIR],
    ['d', 'full', E.WASI_ENOTEMPTY],
    ['d', 'd/sub', E.WASI_EINVAL],
    ['f', 'f/', E.WASI_ENOTDIR],
    ['f', 'nodir/g', E.WASI_ENOENT],
    ['.', 'x', E.WASI_EBUSY],
    ['f', 'f', 0],
    ['lf', 'lf2', 0], // a symlink moves as itself
    ['f', 'g', 0],
    ['g', 'full/x', 0], // replaces a file
    ['d', 'e/', 0],
  ];
  const t = populated();
  for (const [from, to, errno] of cases) assert.equal(rename(t, from, to), errno, `rename ${from} ${to}`);
  assert.equal(pathStat(t, SANDBOX_FD, 'lf2', false).type, W.FILETYPE_SYMBOLIC_LINK);
  assert.equal(pathStat(t, SANDBOX_FD, 'e').type, W.FILETYPE_DIRECTORY);
  assert.equal(pathStat(t, SANDBOX_FD, 'g').errno, E.WASI_ENOENT);
  assert.equal(mkdir(t, 'empty'), 0);
  assert.equal(rename(t, 'e', 'empty'), 0, 'a directory replaces an empty one');
  assert.equal(pathStat(t, SANDBOX_FD, 'e').errno, E.WASI_ENOENT);
  // Across descriptors of one filesystem: fine; the names resolve beneath each.
  const [a, an] = t.str('full/x');
  const [b, bn] = t.str('moved');
  assert.equal(t.call.path_rename(SANDBOX_FD, a, an, ROOT_FD, b, bn), 0);
  assert.equal(pathStat(t, ROOT_FD, 'moved').type, W.FILETYPE_REGULAR_FILE);
});

test('a chain of 40 symlinks resolves; 41 is ELOOP, as is a loop; O_NOFOLLOW on a link is ELOOP', () => {
  const t = testKernel();
  touch(t, 'target');
  assert.equal(symlink(t, 'target', 'l0'), 0);
  for (let i = 1; i <= 40; i++) assert.equal(symlink(t, `l${i - 1}`, `l${i}`), 0);
  // l39 takes 40 links to reach target; l40 takes 41.
  assert.equal(openAt(t, SANDBOX_FD, 'l39')[0], 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'l39').type, W.FILETYPE_REGULAR_FILE);
  assert.equal(openAt(t, SANDBOX_FD, 'l40')[0], E.WASI_ELOOP);
  assert.equal(pathStat(t, SANDBOX_FD, 'l40').errno, E.WASI_ELOOP);
  assert.equal(pathStat(t, SANDBOX_FD, 'l40', false).type, W.FILETYPE_SYMBOLIC_LINK, 'lstat does not follow');
  assert.equal(symlink(t, 'loop-b', 'loop-a'), 0);
  assert.equal(symlink(t, 'loop-a', 'loop-b'), 0);
  assert.equal(openAt(t, SANDBOX_FD, 'loop-a')[0], E.WASI_ELOOP);
  assert.equal(openAt(t, SANDBOX_FD, 'loop-a/x', { oflags: W.OFLAGS_CREAT })[0], E.WASI_ELOOP);
  assert.equal(openAt(t, SANDBOX_FD, 'l0', { follow: false })[0], E.WASI_ELOOP);
});

test('hard links share an inode and count in nlink; unlinking one keeps the data', () => {
  const t = testKernel();
  const [, fd] = openAt(t, SANDBOX_FD, 'a', { oflags: W.OFLAGS_CREAT });
  writeText(t, fd, 'data');
  assert.equal(pathStat(t, SANDBOX_FD, 'a').nlink, 1n);
  assert.equal(link(t, 'a', 'b'), 0);
  assert.equal(link(t, 'a', 'c'), 0);
  const a = pathStat(t, SANDBOX_FD, 'a');
  const b = pathStat(t, SANDBOX_FD, 'b');
  assert.equal(a.nlink, 3n);
  assert.equal(b.ino, a.ino);
  assert.equal(onPath(t, t.call.path_unlink_file, SANDBOX_FD, 'a'), 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'c').nlink, 2n);
  assert.equal(pathStat(t, SANDBOX_FD, 'c').size, 4n);
  assert.equal(link(t, 'b', 'c'), E.WASI_EEXIST);
  assert.equal(link(t, 'missing', 'x'), E.WASI_ENOENT);
  assert.equal(mkdir(t, 'dir'), 0);
  assert.equal(link(t, 'dir', 'dir2'), E.WASI_EPERM, 'no hard links to directories');
  assert.equal(pathStat(t, SANDBOX_FD, 'dir').nlink, 2n);
  assert.equal(mkdir(t, 'dir/sub'), 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'dir').nlink, 3n, "a subdirectory's .. counts");
  // A link to a symlink: without SYMLINK_FOLLOW the link itself, with it the target.
  assert.equal(symlink(t, 'b', 'sl'), 0);
  assert.equal(link(t, 'sl', 'sl2'), 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'sl2', false).type, W.FILETYPE_SYMBOLIC_LINK);
  assert.equal(link(t, 'sl', 'b3', true), 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'b3', false).type, W.FILETYPE_REGULAR_FILE);
  assert.equal(pathStat(t, SANDBOX_FD, 'b').nlink, 3n);
  // An open file unlinked everywhere lives on with nlink 0.
  for (const n of ['b', 'c', 'b3']) assert.equal(onPath(t, t.call.path_unlink_file, SANDBOX_FD, n), 0);
  const st = t.alloc(W.FILESTAT_SIZE);
  assert.equal(t.call.fd_filestat_get(fd, st), 0);
  assert.equal(t.mem.u64(st + W.FILESTAT_NLINK), 0n);
});

test('path_filestat_set_times on files and, without SYMLINK_FOLLOW, on the link itself', () => {
  const t = testKernel();
  touch(t, 'f');
  assert.equal(symlink(t, 'f', 'lf'), 0);
  const set = (path: string, follow: boolean, atim: bigint, mtim: bigint, flags: number): number => {
    const [p, n] = t.str(path);
    return t.call.path_filestat_set_times(SANDBOX_FD, follow ? W.LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, n, atim, mtim, flags);
  };
  assert.equal(set('lf', true, 10n, 20n, W.FSTFLAGS_ATIM | W.FSTFLAGS_MTIM), 0);
  assert.deepEqual([pathStat(t, SANDBOX_FD, 'f').atim, pathStat(t, SANDBOX_FD, 'f').mtim], [10n, 20n]);
  assert.equal(set('lf', false, 30n, 40n, W.FSTFLAGS_ATIM | W.FSTFLAGS_MTIM), 0);
  assert.deepEqual([pathStat(t, SANDBOX_FD, 'lf', false).atim, pathStat(t, SANDBOX_FD, 'lf', false).mtim], [30n, 40n]);
  assert.equal(pathStat(t, SANDBOX_FD, 'f').mtim, 20n, 'the target is untouched');
  t.clock.advance(7n);
  assert.equal(set('f', true, 0n, 0n, W.FSTFLAGS_ATIM_NOW), 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'f').atim, t.clock.realtime);
  assert.equal(pathStat(t, SANDBOX_FD, 'f').mtim, 20n);
  assert.equal(set('f', true, 1n, 0n, W.FSTFLAGS_ATIM | W.FSTFLAGS_ATIM_NOW), E.WASI_EINVAL);
  assert.equal(set('f', true, 0n, 0n, 0xf0), E.WASI_EINVAL);
  assert.equal(set('missing', true, 0n, 0n, W.FSTFLAGS_ATIM_NOW), E.WASI_ENOENT);
  const [p, n] = t.str('f');
  assert.equal(t.call.path_filestat_set_times(SANDBOX_FD, 2, p, n, 0n, 0n, 0), E.WASI_EINVAL, 'unknown lookupflags');
});

test('a confined directory fd: ".." above it and absolute paths or symlinks are ENOTCAPABLE; "/" is Linux', () => {
  const t = populated();
  const cases: Array<[string, number]> = [
    ['..', E.WASI_ENOTCAPABLE],
    ['../sandbox/f', E.WASI_ENOTCAPABLE],
    ['d/../../f', E.WASI_ENOTCAPABLE],
    ['/sandbox/f', E.WASI_ENOTCAPABLE],
    ['d/../f', 0],
    ['./d/./../f', 0],
  ];
  for (const [path, errno] of cases) assert.equal(pathStat(t, SANDBOX_FD, path).errno, errno, `stat ${path}`);
  assert.equal(symlink(t, '/sandbox/f', 'abs'), E.WASI_ENOTCAPABLE, 'no absolute symlink beneath a capability');
  assert.equal(symlink(t, '../sandbox/f', 'up'), 0, 'a relative one may be made...');
  assert.equal(pathStat(t, SANDBOX_FD, 'up').errno, E.WASI_ENOTCAPABLE, '...but not followed out');
  assert.equal(symlink(t, 'd/../f', 'inside'), 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'inside').type, W.FILETYPE_REGULAR_FILE, 'a link with ".." that stays inside works');
  // From the container root, Linux's rules: ".." of "/" is "/", absolute paths and links are fine.
  assert.equal(pathStat(t, ROOT_FD, '../sandbox/f').type, W.FILETYPE_REGULAR_FILE);
  assert.equal(pathStat(t, ROOT_FD, '/sandbox/f').type, W.FILETYPE_REGULAR_FILE);
  assert.equal(symlink(t, '/sandbox/f', 'rootabs', ROOT_FD), 0);
  assert.equal(pathStat(t, ROOT_FD, 'rootabs').type, W.FILETYPE_REGULAR_FILE);
  assert.equal(pathStat(t, SANDBOX_FD, '../rootabs').errno, E.WASI_ENOTCAPABLE);
  // A directory opened through the root is the root only if it is "/" itself.
  const [e, sub] = openAt(t, ROOT_FD, 'sandbox', { oflags: W.OFLAGS_DIRECTORY, rights: DIR_RIGHTS });
  assert.equal(e, 0);
  assert.equal(pathStat(t, sub, '..').errno, E.WASI_ENOTCAPABLE);
});

test('path strings: NUL is EINVAL, bad UTF-8 EILSEQ, too long ENAMETOOLONG, empty ENOENT', () => {
  const t = populated();
  assert.equal(pathStat(t, SANDBOX_FD, 'f\0').errno, E.WASI_EINVAL);
  const bad = t.alloc(4);
  t.mem.write(bad, new Uint8Array([0x66, 0xff, 0xfe]));
  assert.equal(t.call.path_create_directory(SANDBOX_FD, bad, 3), E.WASI_EILSEQ);
  assert.equal(pathStat(t, SANDBOX_FD, 'x'.repeat(256)).errno, E.WASI_ENAMETOOLONG, 'a component past NAME_MAX');
  assert.equal(pathStat(t, SANDBOX_FD, 'd/'.repeat(2048)).errno, E.WASI_ENAMETOOLONG, 'a path past PATH_MAX');
  assert.equal(pathStat(t, SANDBOX_FD, '').errno, E.WASI_ENOENT);
  assert.equal(pathStat(t, SANDBOX_FD, 'é').errno, E.WASI_ENOENT, 'valid UTF-8 is just a name');
  touch(t, 'é');
  assert.equal(pathStat(t, SANDBOX_FD, 'é').type, W.FILETYPE_REGULAR_FILE);
});

test('long paths passed again are read anew: other bytes at the same place, a NUL or bad UTF-8 there are seen', () => {
  const t = populated();
  const long = 'journal-name-0.db';
  touch(t, long);
  const at = t.alloc(64);
  const put = (bytes: Uint8Array): number => {
    t.mem.write(at, bytes);
    return t.call.path_filestat_get(SANDBOX_FD, 0, at, bytes.length, t.alloc(64));
  };
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  for (let i = 0; i < 3; i++) assert.equal(put(text(long)), 0, 'the same name, again and again');
  assert.equal(put(text('journal-name-1.db')), E.WASI_ENOENT, 'one byte changed, same length');
  assert.equal(put(text(long)), 0);
  const nul = text(long);
  nul[5] = 0;
  assert.equal(put(nul), E.WASI_EINVAL, 'a NUL where a kept name had a letter');
  const bad = text(long);
  bad[5] = 0xff;
  assert.equal(put(bad), E.WASI_EILSEQ, 'a byte that is not UTF-8');
  // More names than are kept, then the first again: still right.
  for (let i = 0; i < 20; i++) assert.equal(put(text(`other-name-${String(i).padStart(3, '0')}`)), E.WASI_ENOENT);
  assert.equal(put(text(long)), 0);
});

test('path_open: O_DIRECTORY, O_EXCL, O_TRUNC, trailing slashes, and directories with write rights', () => {
  const t = populated();
  const rw = BigInt(W.RIGHTS_FD_READ | W.RIGHTS_FD_WRITE);
  const cases: Array<[string, Parameters<typeof openAt>[3], number]> = [
    ['f', { oflags: W.OFLAGS_DIRECTORY, rights: 0n }, E.WASI_ENOTDIR],
    ['f', { oflags: W.OFLAGS_CREAT | W.OFLAGS_EXCL }, E.WASI_EEXIST],
    ['dangling', { oflags: W.OFLAGS_CREAT | W.OFLAGS_EXCL }, E.WASI_EEXIST],
    ['f/', { rights: 0n }, E.WASI_ENOTDIR],
    ['new/', { oflags: W.OFLAGS_CREAT }, E.WASI_EISDIR],
    ['missing', {}, E.WASI_ENOENT],
    ['missing/x', { oflags: W.OFLAGS_CREAT }, E.WASI_ENOENT],
    ['d', { oflags: W.OFLAGS_DIRECTORY, rights: rw }, E.WASI_EISDIR],
    ['d', { rights: BigInt(W.RIGHTS_FD_WRITE) }, E.WASI_EISDIR],
    ['d', { oflags: W.OFLAGS_DIRECTORY, rights: BigInt(W.RIGHTS_FD_READ) }, 0],
    ['d', { oflags: W.OFLAGS_DIRECTORY, rights: DIR_RIGHTS }, 0],
    ['ld', { oflags: W.OFLAGS_DIRECTORY, rights: 0n }, 0],
    ['ld', { oflags: W.OFLAGS_DIRECTORY, rights: 0n, follow: false }, E.WASI_ELOOP],
    ['d/', { rights: 0n }, 0],
    ['f', { oflags: 0x10 }, E.WASI_EINVAL],
    ['f', { fdflags: 0x20 }, E.WASI_EINVAL],
  ];
  for (const [path, o, errno] of cases) assert.equal(openAt(t, SANDBOX_FD, path, o)[0], errno, `open ${path} ${JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  const [, fd] = openAt(t, SANDBOX_FD, 'f');
  writeText(t, fd, 'content');
  assert.equal(openAt(t, SANDBOX_FD, 'f', { oflags: W.OFLAGS_TRUNC })[0], 0);
  assert.equal(pathStat(t, SANDBOX_FD, 'f').size, 0n, 'O_TRUNC empties the file');
  assert.equal(openAt(t, SANDBOX_FD, 'dangling', { oflags: W.OFLAGS_CREAT })[0], 0, 'O_CREAT through a dangling link creates its target');
  assert.equal(pathStat(t, SANDBOX_FD, 'nowhere').type, W.FILETYPE_REGULAR_FILE);
  // The new fd's rights: asked & the directory's inheriting & what fits the file type.
  const [, dfd] = openAt(t, SANDBOX_FD, 'd', { oflags: W.OFLAGS_DIRECTORY, rights: DIR_RIGHTS | BigInt(W.RIGHTS_FD_READ) });
  const st = t.alloc(W.FDSTAT_SIZE);
  assert.equal(t.call.fd_fdstat_get(dfd, st), 0);
  assert.equal(t.mem.u64(st + W.FDSTAT_RIGHTS_BASE) & BigInt(W.RIGHTS_FD_READ | W.RIGHTS_FD_SEEK), 0n, 'no fd_read or fd_seek on a directory');
});

test('path_readlink truncates to the buffer; on a non-link it is EINVAL', () => {
  const t = populated();
  assert.deepEqual(readlink(t, 'dangling', 64), [0, 'nowhere']);
  assert.deepEqual(readlink(t, 'dangling', 3), [0, 'now']);
  assert.deepEqual(readlink(t, 'f', 64)[0], E.WASI_EINVAL);
  assert.deepEqual(readlink(t, 'missing', 64)[0], E.WASI_ENOENT);
  assert.equal(symlink(t, '', 'empty'), E.WASI_ENOENT, 'an empty target is ENOENT, as symlink(2)');
  assert.equal(symlink(t, 'x', 'f'), E.WASI_EEXIST);
  assert.equal(symlink(t, 'x', 'dangling'), E.WASI_EEXIST);
});

test('path_create_directory: EEXIST for any existing name, ENOENT under a missing parent', () => {
  const t = populated();
  for (const name of ['d', 'f', 'ld', 'dangling']) assert.equal(mkdir(t, name), E.WASI_EEXIST, name);
  assert.equal(mkdir(t, 'no/such'), E.WASI_ENOENT);
  assert.equal(mkdir(t, 'f/x'), E.WASI_ENOTDIR);
  assert.equal(mkdir(t, 'new/'), 0, 'a trailing slash names a directory to make');
  assert.equal(pathStat(t, SANDBOX_FD, 'new').type, W.FILETYPE_DIRECTORY);
});
