// A tmpfs's spare pages: freed pages kept for the next writes, zeroed when handed out, charged to the
// memory account as the host memory they are, and given back before a charge would fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { O_CREAT, O_RDONLY, O_RDWR } from '../../abi/open.js';
import { PAGE_SIZE } from '../../base/sparse.js';
import { thrownErrno } from '../../base/testing/errno.js';
import { MemoryAccount } from '../../vfs/memaccount.js';
import { VirtualFilesystem, type PathContext, type PathStart } from '../../vfs/vfs.js';
import { SPARE_PAGES, Tmpfs } from './tmpfs.js';

interface Mounted {
  fs: Tmpfs;
  vfs: VirtualFilesystem;
  ctx: PathContext;
  root: PathStart;
}

function mounted(opts: { sizeBytes?: number } = {}): Mounted {
  const vfs = new VirtualFilesystem();
  const fs = new Tmpfs({ dev: 1, now: () => 1n, ...opts });
  const m = vfs.newMount(fs, 0);
  const ctx: PathContext = { root: { mount: m, dentry: m.root }, caller: { pid: 1, creds: { uid: 0, gid: 0 } } };
  return { fs, vfs, ctx, root: { at: ctx.root } };
}

function writeFile(t: Mounted, path: string, bytes: Uint8Array, offset = 0): void {
  const f = t.vfs.openAt(t.ctx, t.root, path, { flags: O_RDWR | O_CREAT, perm: 0o644 });
  f.pwrite(bytes, offset);
  f.decRef();
}

function readFile(t: Mounted, path: string, len: number): Uint8Array {
  const f = t.vfs.openAt(t.ctx, t.root, path, { flags: O_RDONLY, perm: 0 });
  const out = new Uint8Array(len);
  f.pread(out, 0);
  f.decRef();
  return out;
}

test('freed pages are kept as spare, charged to the account, and handed out again as zeros', () => {
  const t = mounted();
  const account = new MemoryAccount(Infinity);
  t.fs.chargeTo(account);
  writeFile(t, '/a', new Uint8Array(3 * PAGE_SIZE).fill(7));
  assert.equal(account.used(), 3 * PAGE_SIZE);
  t.vfs.unlinkAt(t.ctx, t.root, '/a');
  assert.equal(t.fs.usedBytes, 0, 'no file holds them');
  assert.equal(t.fs.spareBytes, 3 * PAGE_SIZE);
  assert.equal(account.used(), 3 * PAGE_SIZE, 'the host still holds them');
  // Two bytes on each side of a page edge and one in a third page: three pages, all from the spares.
  writeFile(t, '/b', new Uint8Array([1, 2, 3, 4]), PAGE_SIZE - 2);
  writeFile(t, '/b', new Uint8Array([5]), 2 * PAGE_SIZE + 9);
  assert.equal(t.fs.spareBytes, 0);
  assert.equal(t.fs.usedBytes, 3 * PAGE_SIZE);
  assert.equal(account.used(), 3 * PAGE_SIZE, 'reusing a spare page charges nothing more');
  const want = new Uint8Array(2 * PAGE_SIZE + 10);
  want.set([1, 2, 3, 4], PAGE_SIZE - 2);
  want[2 * PAGE_SIZE + 9] = 5;
  assert.deepEqual(readFile(t, '/b', want.length), want, 'a reused page reads zeros where nothing was written');
});

test('a truncate gives pages back as spare; past SPARE_PAGES they are dropped and uncharged', () => {
  const t = mounted();
  const account = new MemoryAccount(Infinity);
  t.fs.chargeTo(account);
  writeFile(t, '/big', new Uint8Array((SPARE_PAGES + 5) * PAGE_SIZE).fill(1));
  const f = t.vfs.openAt(t.ctx, t.root, '/big', { flags: O_RDWR, perm: 0 });
  f.setStat({ size: PAGE_SIZE + 1 });
  f.decRef();
  assert.equal(t.fs.usedBytes, 2 * PAGE_SIZE);
  assert.equal(t.fs.spareBytes, SPARE_PAGES * PAGE_SIZE);
  assert.equal(account.used(), (2 + SPARE_PAGES) * PAGE_SIZE);
  const tail = readFile(t, '/big', 2 * PAGE_SIZE);
  assert.equal(tail[PAGE_SIZE], 1);
  assert.equal(tail[PAGE_SIZE + 1], 0, 'past the new end: zeros');
});

test('spare pages move with the filesystem to another account', () => {
  const t = mounted();
  const first = new MemoryAccount(Infinity);
  t.fs.chargeTo(first);
  writeFile(t, '/a', new Uint8Array(2 * PAGE_SIZE));
  writeFile(t, '/b', new Uint8Array(PAGE_SIZE));
  t.vfs.unlinkAt(t.ctx, t.root, '/a');
  const second = new MemoryAccount(Infinity);
  t.fs.chargeTo(second);
  assert.equal(first.used(), 0);
  assert.equal(second.used(), 3 * PAGE_SIZE);
  first.reclaim();
  assert.equal(t.fs.spareBytes, 2 * PAGE_SIZE, 'the old account no longer reclaims them');
  second.reclaim();
  assert.equal(t.fs.spareBytes, 0);
  assert.equal(second.used(), PAGE_SIZE);
});

test('a charge that would pass a limit takes spare pages back first, from any tmpfs under it', () => {
  const pod = new MemoryAccount(4 * PAGE_SIZE);
  const container = new MemoryAccount(Infinity, pod);
  const a = mounted();
  const b = mounted();
  a.fs.chargeTo(container);
  b.fs.chargeTo(pod);
  writeFile(a, '/x', new Uint8Array(3 * PAGE_SIZE));
  a.vfs.unlinkAt(a.ctx, a.root, '/x');
  assert.equal(pod.used(), 3 * PAGE_SIZE, 'spares of a tmpfs under the pod');
  writeFile(b, '/y', new Uint8Array(2 * PAGE_SIZE));
  assert.equal(a.fs.spareBytes, 0, "a's spares were given back for b's write");
  assert.equal(pod.used(), 2 * PAGE_SIZE);
  // Past the limit with nothing spare: ENOMEM, and nothing charged.
  assert.equal(thrownErrno(() => writeFile(b, '/z', new Uint8Array(3 * PAGE_SIZE))), 'ENOMEM');
  assert.equal(pod.used(), 2 * PAGE_SIZE);
  // Its own spares count too: b frees 2 pages, then writes 4 (2 reused, 2 fresh).
  b.vfs.unlinkAt(b.ctx, b.root, '/y');
  b.vfs.unlinkAt(b.ctx, b.root, '/z');
  writeFile(b, '/w', new Uint8Array(4 * PAGE_SIZE));
  assert.equal(pod.used(), 4 * PAGE_SIZE);
  assert.equal(b.fs.spareBytes, 0);
});

test('size= counts only what files hold: spare pages never make a write ENOSPC', () => {
  const t = mounted({ sizeBytes: 2 * PAGE_SIZE });
  writeFile(t, '/a', new Uint8Array(2 * PAGE_SIZE));
  t.vfs.unlinkAt(t.ctx, t.root, '/a');
  assert.equal(t.fs.spareBytes, 2 * PAGE_SIZE);
  writeFile(t, '/b', new Uint8Array(2 * PAGE_SIZE));
  assert.equal(thrownErrno(() => writeFile(t, '/c', new Uint8Array(1))), 'ENOSPC');
});
