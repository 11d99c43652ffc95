// NodeHostDirectory on its own: names are resolved through directory descriptors and never followed,
// Node's errors become KernelErrors with Linux errnos, and the stillNames shortcut only ever confirms.
import assert from 'node:assert/strict';
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { EAGAIN, EEXIST, EINVAL, EIO, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, errnoNames } from '../abi/errno.js';
import { O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_WRONLY } from '../abi/open.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../abi/stat.js';
import { KernelError } from '../base/error.js';
import { thrownErrno } from '../base/testing/errno.js';
import { NodeHostDirectory, toKernelError } from './hostdir.js';
import { scratch } from './testing/scratch.js';

function tree(t: TestContext): { top: string; dir: string; host: NodeHostDirectory; root: number } {
  const top = scratch('host', t);
  const dir = join(top, 'shared');
  nfs.mkdirSync(join(dir, 'sub'), { recursive: true });
  nfs.writeFileSync(join(dir, 'file'), 'data');
  nfs.writeFileSync(join(top, 'outside'), 'outside');
  nfs.symlinkSync(top, join(dir, 'up'));
  nfs.symlinkSync(join(top, 'outside'), join(dir, 'out'));
  const host = new NodeHostDirectory(dir);
  const root = host.openRoot();
  t.after(() => host.close(root));
  return { top, dir, host, root };
}

test('Node errors become Linux errnos; anything else is left alone', () => {
  const sys = (code: string) => Object.assign(new Error(`${code}: x`), { code, syscall: 'open' });
  const cases: Array<[unknown, number]> = [
    [sys('ENOENT'), ENOENT],
    [sys('EEXIST'), EEXIST],
    [sys('ENOTEMPTY'), ENOTEMPTY],
    [sys('EWOULDBLOCK'), EAGAIN],
    [sys('ELOOP'), ELOOP],
    [sys('ESOMETHINGNEW'), EIO],
    [Object.assign(new RangeError('too big'), { code: 'ERR_OUT_OF_RANGE' }), EINVAL],
  ];
  for (const [e, want] of cases) {
    const got = toKernelError(e);
    assert.ok(got instanceof KernelError);
    assert.equal(got.errno, want);
  }
  const bug = new TypeError('a kernel bug');
  assert.equal(toKernelError(bug), bug);
  const ke = new KernelError(EINVAL);
  assert.equal(toKernelError(ke), ke);
});

test('names are looked up without following them', (t) => {
  const { host, root } = tree(t);
  assert.equal((host.lookup(root, 'up')?.mode ?? 0) & S_IFMT, S_IFLNK);
  assert.equal((host.lookup(root, 'out')?.mode ?? 0) & S_IFMT, S_IFLNK);
  assert.equal((host.lookup(root, 'sub')?.mode ?? 0) & S_IFMT, S_IFDIR);
  assert.equal((host.lookup(root, 'file')?.mode ?? 0) & S_IFMT, S_IFREG);
  assert.equal(host.lookup(root, 'missing'), null);
  assert.equal(host.statAt(root, 'out').mode & S_IFMT, S_IFLNK);
  assert.equal(thrownErrno(() => host.openAt(root, 'out', O_RDONLY, 0)), 'ELOOP');
  assert.equal(thrownErrno(() => host.openAt(root, 'out', O_WRONLY | O_CREAT, 0o644)), 'ELOOP');
  assert.equal(thrownErrno(() => host.openDirAt(root, 'up')), errnoNames[ENOTDIR]); // O_DIRECTORY wins over O_NOFOLLOW's ELOOP
  assert.equal(thrownErrno(() => host.openDirAt(root, 'file')), errnoNames[ENOTDIR]);
  assert.equal(host.readlinkAt(root, 'up').length > 0, true);
  assert.deepEqual(host.readdir(root).sort(), ['file', 'out', 'sub', 'up']);
  // An O_PATH handle on a symlink is the symlink itself.
  const h = host.openPathAt(root, 'out');
  assert.equal(host.attr(h).mode & S_IFMT, S_IFLNK);
  host.close(h);
});

test('a name is one component: anything else is a kernel bug, NUL is EINVAL', (t) => {
  const { host, root } = tree(t);
  for (const bad of ['..', '.', '', 'sub/../..', '../outside']) {
    assert.throws(() => host.lookup(root, bad), (e: unknown) => e instanceof Error && !(e instanceof KernelError));
  }
  assert.throws(() => host.lookup(-1, 'file'), (e: unknown) => !(e instanceof KernelError));
  assert.equal(thrownErrno(() => host.lookup(root, 'fi\0le')), 'EINVAL');
  assert.equal(thrownErrno(() => host.symlinkAt('a\0b', root, 'x')), 'EINVAL');
});

test('children change on the host through descriptors', (t) => {
  const { dir, host, root } = tree(t);
  const sub = host.openDirAt(root, 'sub');
  const fd = host.openAt(sub, 'new', O_RDWR | O_CREAT | O_EXCL, 0o600);
  assert.equal(host.write(fd, Buffer.from('hello'), 3), 5);
  assert.equal(host.size(fd), 8);
  const back = new Uint8Array(5);
  assert.equal(host.read(fd, back, 3), 5);
  assert.equal(Buffer.from(back).toString(), 'hello');
  host.truncate(fd, 4);
  host.sync(fd);
  const again = host.reopen(fd, O_RDONLY);
  assert.equal(host.attr(again).ino, host.attr(fd).ino);
  host.close(again);
  host.close(fd);
  assert.equal(thrownErrno(() => host.openAt(sub, 'new', O_RDWR | O_CREAT | O_EXCL, 0o600)), 'EEXIST');
  assert.equal(nfs.statSync(join(dir, 'sub', 'new')).size, 4);

  host.mkdirAt(sub, 'd', 0o700);
  host.symlinkAt('../../outside', sub, 'ln');
  host.linkAt(sub, 'new', root, 'hard');
  assert.equal(nfs.statSync(join(dir, 'hard')).nlink, 2);
  host.linkAt(sub, 'ln', root, 'hardln'); // links the symlink, not its target
  assert.equal(nfs.lstatSync(join(dir, 'hardln')).isSymbolicLink(), true);
  host.renameAt(sub, 'new', root, 'moved');
  assert.equal(nfs.readFileSync(join(dir, 'moved'), 'utf8'), '\0\0\0h');
  assert.equal(thrownErrno(() => host.rmdirAt(root, 'sub')), 'ENOTEMPTY');
  host.unlinkAt(sub, 'ln');
  host.rmdirAt(sub, 'd');

  const h = host.openPathAt(root, 'moved');
  host.chmod(h, 0o640);
  assert.equal(nfs.statSync(join(dir, 'moved')).mode & 0o7777, 0o640);
  const ns = 1_700_000_000_987_654_321n;
  host.setTimes(h, 'now', ns);
  const st = host.stat(h);
  assert.ok(st.mtimeNs - ns < 1000n && ns - st.mtimeNs < 1000n, `${st.mtimeNs}`);
  host.close(h);
  host.setTimesAt(root, 'out', ns, ns);
  assert.ok(host.statAt(root, 'out').mtimeNs - ns < 1000n);
  assert.equal(thrownErrno(() => host.setTimesAt(root, 'out', -1n, ns)), 'EINVAL');
  host.close(sub);
});

test('chmod and setTimes go through a directory or open file descriptor itself, and an O_PATH handle through /proc', (t) => {
  const { dir, host, root } = tree(t);
  const ns = 1_700_000_000_123_456_789n;
  const near = (got: bigint): boolean => got - ns < 1000n && ns - got < 1000n;
  const sub = host.openDirAt(root, 'sub');
  host.chmod(sub, 0o711);
  host.setTimes(sub, ns, ns);
  const s = nfs.statSync(join(dir, 'sub'), { bigint: true });
  assert.equal(Number(s.mode) & 0o7777, 0o711);
  assert.ok(near(s.atimeNs) && near(s.mtimeNs), `${s.atimeNs} ${s.mtimeNs}`);
  const ro = host.openAt(root, 'file', O_RDONLY, 0);
  host.chmod(ro, 0o604);
  host.setTimes(ro, 'now', ns);
  const f = nfs.statSync(join(dir, 'file'), { bigint: true });
  assert.equal(Number(f.mode) & 0o7777, 0o604);
  assert.ok(near(f.mtimeNs), `${f.mtimeNs}`);
  host.close(ro);
  // An O_PATH handle's number, closed and taken again by a directory, is the directory's own descriptor.
  const h = host.openPathAt(root, 'file');
  host.close(h);
  const again = host.openDirAt(root, 'sub');
  host.setTimes(again, ns + 1000n, ns + 1000n);
  assert.ok(near(nfs.statSync(join(dir, 'sub'), { bigint: true }).mtimeNs - 1000n));
  host.close(again);
  host.close(sub);
});

test('stillNames confirms only the very object, and follows renames', (t) => {
  const { dir, host, root } = tree(t);
  const file = host.lookup(root, 'file');
  assert.ok(file !== null);
  assert.equal(host.stillNames(root, 'file', file.dev, file.ino, 'reg'), true);
  assert.equal(host.stillNames(root, 'file', file.dev, file.ino, 'dir'), false);
  assert.equal(host.stillNames(root, 'missing', file.dev, file.ino, 'reg'), false);
  nfs.writeFileSync(join(dir, 'tmp'), 'other');
  nfs.renameSync(join(dir, 'tmp'), join(dir, 'file'));
  assert.equal(host.stillNames(root, 'file', file.dev, file.ino, 'reg'), false);

  const sub = host.openDirAt(root, 'sub');
  nfs.writeFileSync(join(dir, 'sub', 'x'), 'x');
  const x = host.lookup(sub, 'x');
  assert.ok(x !== null);
  assert.equal(host.stillNames(sub, 'x', x.dev, x.ino, 'reg'), true);
  host.renameAt(root, 'sub', root, 'sub2');
  assert.equal(host.stillNames(sub, 'x', x.dev, x.ino, 'reg'), true, 'the moved directory keeps its shortcut');
  // Swapped on the host for a symlink to somewhere else: never confirmed.
  nfs.renameSync(join(dir, 'sub2'), join(dir, 'sub3'));
  nfs.mkdirSync(join(dir, 'sub2'));
  nfs.writeFileSync(join(dir, 'sub2', 'x'), 'impostor');
  assert.equal(host.stillNames(sub, 'x', x.dev, x.ino, 'reg'), false);
  assert.equal(host.lookup(sub, 'x')?.ino, x.ino, 'lookup through the descriptor still finds the real one');
  host.close(sub);
});

test('opening a missing or non-directory root fails with an errno', (t) => {
  const { top } = tree(t);
  assert.equal(thrownErrno(() => new NodeHostDirectory(join(top, 'nope')).openRoot()), 'ENOENT');
  assert.equal(thrownErrno(() => new NodeHostDirectory(join(top, 'outside')).openRoot()), errnoNames[ENOTDIR]);
});

test("uvwasi's path instance belongs to the root's descriptor: closing another directory keeps it", (t) => {
  const { dir, host, root } = tree(t);
  nfs.writeFileSync(join(dir, 'sub', 'f'), 'x');
  const id = (p: string): [number, number] => {
    const s = nfs.lstatSync(p);
    return [s.dev, s.ino];
  };
  const sub = host.openDirAt(root, 'sub');
  const [dev, ino] = id(join(dir, 'sub', 'f'));
  let answered = false;
  for (let i = 0; i < 64 && !answered; i++) answered = host.stillNamesFilestat(sub, 'f', dev, ino, 'reg') !== null;
  assert.ok(answered, 'answers once asked often');
  host.close(sub); // as the handle cache closes an idle directory
  const [fdev, fino] = id(join(dir, 'file'));
  assert.notEqual(host.stillNamesFilestat(root, 'file', fdev, fino, 'reg'), null, 'still answered at once');
  assert.equal(host.stillNamesFilestat(root, 'file', fdev, fino + 1, 'reg'), null, 'another object is never confirmed');
  assert.equal(host.stillNamesFilestat(root, 'out', fdev, fino, 'reg'), null, 'a symlink is not what it points to');
});

test('a prepared filestat question confirms only the very object at its own path, and stops once a directory path changes', (t) => {
  const { dir, host, root } = tree(t);
  const id = (p: string): [number, number] => {
    const s = nfs.lstatSync(p);
    return [s.dev, s.ino];
  };
  const [dev, ino] = id(join(dir, 'file'));
  for (let i = 0; i < 64; i++) host.stillNamesFilestat(root, 'file', dev, ino, 'reg'); // the path instance
  const q = host.filestatQuestion(root, 'file', dev, ino, 'reg');
  assert.ok(q !== null);
  assert.deepEqual([q.dir, q.name], [root, 'file']);
  const size = (b: Uint8Array | null): bigint | null => (b === null ? null : new DataView(b.buffer, b.byteOffset, 64).getBigUint64(32, true));
  assert.equal(size(q.filestat()), 4n, "the file's size, from the host");
  nfs.appendFileSync(join(dir, 'file'), '!!');
  assert.equal(size(q.filestat()), 6n, 'asked afresh each time');
  // Another question put its path in the page meanwhile: each keeps asking about its own.
  const sub = id(join(dir, 'sub'));
  const qs = host.filestatQuestion(root, 'sub', sub[0], sub[1], 'dir');
  assert.ok(qs !== null && qs.filestat() !== null);
  assert.equal(size(q.filestat()), 6n);
  // Swapped for a symlink to a file outside (same size): never confirmed.
  nfs.renameSync(join(dir, 'out'), join(dir, 'file'));
  assert.equal(q.filestat(), null, 'a symlink swapped in');
  assert.equal(host.filestatQuestion(root, 'a/b', dev, ino, 'reg'), null, 'one name only');
  assert.equal(host.filestatQuestion(root, '..', dev, ino, 'reg'), null);
  // A directory opened (or closed, or renamed) here: every question made before answers null.
  const [sdev, sino] = id(join(dir, 'sub'));
  const again = host.filestatQuestion(root, 'sub', sdev, sino, 'dir');
  assert.ok(again !== null && again.filestat() !== null);
  host.close(host.openDirAt(root, 'sub'));
  assert.equal(again.filestat(), null, 'made before the change');
});
