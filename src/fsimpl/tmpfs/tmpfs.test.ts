// The VFS's path rules over tmpfs: rename, symlink limits, link counts, mountpoints and stacked mounts.
// (They live here, not in src/vfs, because a vfs test may not import a filesystem: layer rules.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAXSYMLINKS, O_CREAT, O_RDONLY, O_WRONLY } from '../../abi/open.js';
import { thrownErrno } from '../../base/testing/errno.js';
import { VirtualFilesystem, type PathContext, type PathStart } from '../../vfs/vfs.js';
import { Tmpfs } from './tmpfs.js';

function setup(): { vfs: VirtualFilesystem; ctx: PathContext; root: PathStart; dev: () => number } {
  let nextDev = 1;
  const vfs = new VirtualFilesystem();
  const m = vfs.newMount(new Tmpfs({ dev: nextDev++, now: () => 1n }), 0);
  const ctx: PathContext = { root: { mount: m, dentry: m.root }, caller: { pid: 1, creds: { uid: 0, gid: 0 } } };
  return { vfs, ctx, root: { at: ctx.root }, dev: () => nextDev++ };
}

function touch(s: ReturnType<typeof setup>, path: string, text = ''): void {
  const f = s.vfs.openAt(s.ctx, s.root, path, { flags: O_WRONLY | O_CREAT, perm: 0o644 });
  f.write(new TextEncoder().encode(text));
  f.decRef();
}

function read(s: ReturnType<typeof setup>, path: string): string {
  const f = s.vfs.openAt(s.ctx, s.root, path, { flags: O_RDONLY, perm: 0 });
  const buf = new Uint8Array(100);
  const n = f.read(buf);
  f.decRef();
  return new TextDecoder().decode(buf.subarray(0, n));
}

test('rename: replacing, type rules, into itself, hard links', () => {
  const s = setup();
  const { vfs, ctx, root } = s;
  vfs.mkdirAt(ctx, root, '/a', 0o755);
  vfs.mkdirAt(ctx, root, '/a/sub', 0o755);
  vfs.mkdirAt(ctx, root, '/full', 0o755);
  touch(s, '/full/x');
  touch(s, '/f', 'f');
  touch(s, '/g', 'g');
  const g = vfs.resolve(ctx, root, '/g', false).dentry;

  vfs.renameAt(ctx, root, '/f', root, '/g');
  assert.equal(read(s, '/g'), 'f');
  assert.ok(g.dead, 'the replaced file is dead');
  assert.equal(thrownErrno(() => vfs.statAt(ctx, root, '/f', false)), 'ENOENT');

  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/a', root, '/g')), 'ENOTDIR');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/g', root, '/a')), 'EISDIR');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/a', root, '/full')), 'ENOTEMPTY');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/a', root, '/a/sub/in')), 'EINVAL');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/a/.', root, '/b')), 'EBUSY');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/nope', root, '/b')), 'ENOENT');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/g', root, '/g2/')), 'ENOTDIR');

  // A directory over an empty one; its link counts move with it.
  vfs.mkdirAt(ctx, root, '/empty', 0o755);
  vfs.renameAt(ctx, root, '/a/sub', root, '/empty');
  assert.equal(vfs.statAt(ctx, root, '/a', true).nlink, 2);
  assert.equal(vfs.statAt(ctx, root, '/', true).nlink, 2 + 3); // a, full, empty

  // Two names of one inode: rename does nothing.
  vfs.linkAt(ctx, root, '/g', root, '/h', false);
  vfs.renameAt(ctx, root, '/g', root, '/h');
  assert.equal(read(s, '/g'), 'f');
  assert.equal(read(s, '/h'), 'f');
  assert.equal(vfs.statAt(ctx, root, '/h', false).nlink, 2);
});

test(`symlinks: ${MAXSYMLINKS} are followed, one more is ELOOP`, () => {
  const s = setup();
  const { vfs, ctx, root } = s;
  touch(s, '/target', 'end');
  vfs.symlinkAt(ctx, 'target', root, '/l0');
  for (let i = 1; i <= MAXSYMLINKS; i++) vfs.symlinkAt(ctx, `l${i - 1}`, root, `/l${i}`);
  assert.equal(read(s, `/l${MAXSYMLINKS - 1}`), 'end'); // l39 -> ... -> l0 -> target: 40 links
  assert.equal(thrownErrno(() => read(s, `/l${MAXSYMLINKS}`)), 'ELOOP');
  assert.equal(vfs.statAt(ctx, root, `/l${MAXSYMLINKS}`, false).type, 'symlink');
  vfs.symlinkAt(ctx, 'self', root, '/self');
  assert.equal(thrownErrno(() => read(s, '/self')), 'ELOOP');
  assert.equal(thrownErrno(() => vfs.symlinkAt(ctx, '', root, '/empty')), 'ENOENT');
  assert.equal(thrownErrno(() => vfs.symlinkAt(ctx, 'x', root, '/target')), 'EEXIST');
});

test('link counts of files and directories', () => {
  const s = setup();
  const { vfs, ctx, root } = s;
  touch(s, '/f');
  vfs.linkAt(ctx, root, '/f', root, '/f2', false);
  vfs.linkAt(ctx, root, '/f', root, '/f3', false);
  assert.equal(vfs.statAt(ctx, root, '/f', false).nlink, 3);
  vfs.unlinkAt(ctx, root, '/f2');
  assert.equal(vfs.statAt(ctx, root, '/f3', false).nlink, 2);
  assert.equal(thrownErrno(() => vfs.linkAt(ctx, root, '/', root, '/d', false)), 'EPERM');

  vfs.mkdirAt(ctx, root, '/d', 0o755);
  assert.equal(vfs.statAt(ctx, root, '/d', true).nlink, 2);
  vfs.mkdirAt(ctx, root, '/d/x', 0o755);
  vfs.mkdirAt(ctx, root, '/d/y', 0o755);
  assert.equal(vfs.statAt(ctx, root, '/d', true).nlink, 4);
  vfs.rmdirAt(ctx, root, '/d/x');
  assert.equal(vfs.statAt(ctx, root, '/d', true).nlink, 3);
  assert.equal(thrownErrno(() => vfs.rmdirAt(ctx, root, '/d')), 'ENOTEMPTY');
  assert.equal(thrownErrno(() => vfs.rmdirAt(ctx, root, '/d/y/.')), 'EINVAL');
  assert.equal(thrownErrno(() => vfs.rmdirAt(ctx, root, '/d/y/..')), 'ENOTEMPTY');
  assert.equal(thrownErrno(() => vfs.unlinkAt(ctx, root, '/d')), 'EISDIR');
  assert.equal(thrownErrno(() => vfs.rmdirAt(ctx, root, '/f')), 'ENOTDIR');
});

test('a mountpoint is busy; a link or rename across mounts is EXDEV', () => {
  const s = setup();
  const { vfs, ctx, root } = s;
  vfs.mkdirAt(ctx, root, '/m', 0o755);
  vfs.mkdirAt(ctx, root, '/other', 0o755);
  const m = vfs.newMount(new Tmpfs({ dev: s.dev(), now: () => 1n }), 0);
  vfs.attach(vfs.resolve(ctx, root, '/m', true), m);
  touch(s, '/m/inside', 'in');
  touch(s, '/outside', 'out');
  assert.equal(thrownErrno(() => vfs.rmdirAt(ctx, root, '/m')), 'EBUSY');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/m', root, '/m2')), 'EBUSY');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/other', root, '/m')), 'EBUSY');
  assert.equal(thrownErrno(() => vfs.renameAt(ctx, root, '/m/inside', root, '/inside')), 'EXDEV');
  assert.equal(thrownErrno(() => vfs.linkAt(ctx, root, '/outside', root, '/m/l', false)), 'EXDEV');
  assert.equal(vfs.resolve(ctx, root, '/m/..', true).dentry, ctx.root.dentry);
});

test('stacked mounts: the last one shows; detaching it shows the one below', () => {
  const s = setup();
  const { vfs, ctx, root } = s;
  vfs.mkdirAt(ctx, root, '/m', 0o755);
  touch(s, '/m/under', 'root fs');
  const a = vfs.newMount(new Tmpfs({ dev: s.dev(), now: () => 1n }), 0);
  vfs.attach(vfs.resolve(ctx, root, '/m', true), a);
  touch(s, '/m/fa', 'a');
  const b = vfs.newMount(new Tmpfs({ dev: s.dev(), now: () => 1n }), 0);
  vfs.attach(vfs.resolve(ctx, root, '/m', true), b);
  assert.equal(b.parent, a, 'stacked on the first mount');
  assert.equal(thrownErrno(() => read(s, '/m/fa')), 'ENOENT');
  touch(s, '/m/fb', 'b');
  assert.equal(vfs.resolve(ctx, root, '/m', true).mount, b);
  vfs.mkdirAt(ctx, root, '/m/db', 0o755);
  assert.equal(vfs.resolve(ctx, root, '/m/db/..', true).dentry, b.root);
  assert.equal(thrownErrno(() => vfs.resolve(ctx, root, '/m/fb/..', true)), 'ENOTDIR');
  assert.equal(vfs.resolve(ctx, root, '/m/..', true).dentry, ctx.root.dentry);
  a.detach(b);
  assert.equal(read(s, '/m/fa'), 'a');
  assert.equal(thrownErrno(() => read(s, '/m/fb')), 'ENOENT');
  ctx.root.mount.detach(a);
  assert.equal(read(s, '/m/under'), 'root fs');
});

test('size=: a write past it is ENOSPC; pages come back on truncate, on unlink, and on the last close of an unlinked file', () => {
  const vfs = new VirtualFilesystem();
  const fs = new Tmpfs({ dev: 1, now: () => 1n, sizeBytes: 4 * 4096 });
  const m = vfs.newMount(fs, 0);
  const ctx: PathContext = { root: { mount: m, dentry: m.root }, caller: { pid: 1, creds: { uid: 0, gid: 0 } } };
  const root = { at: ctx.root };
  const f = vfs.openAt(ctx, root, '/a', { flags: O_WRONLY | O_CREAT, perm: 0o644 });
  f.write(new Uint8Array(3 * 4096));
  assert.equal(fs.usedBytes, 3 * 4096);
  assert.equal(thrownErrno(() => f.write(new Uint8Array(2 * 4096))), 'ENOSPC');
  f.write(new Uint8Array(4096));
  assert.equal(fs.usedBytes, 4 * 4096);
  // Unlinked while open: its pages stay until the last close.
  vfs.unlinkAt(ctx, root, '/a');
  assert.equal(fs.usedBytes, 4 * 4096);
  f.decRef();
  assert.equal(fs.usedBytes, 0);
  touch({ vfs, ctx, root, dev: () => 2 }, '/b', 'x'.repeat(4 * 4096));
  assert.equal(fs.usedBytes, 4 * 4096);
  vfs.unlinkAt(ctx, root, '/b');
  assert.equal(fs.usedBytes, 0);
});
