// hostdir through the VFS: a tmpfs root with a host directory mounted at /data. Operations reach the
// host; paths and links that point out of /data resolve in the guest's tree, never on the host; the
// host changing under a walk never lets the guest reach outside.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { test as nodeTest, type TestContext } from 'node:test';
import {
  EACCES, EEXIST, EISDIR, ELOOP, ENOTCAPABLE, ENOTEMPTY, ENXIO, EROFS, ESTALE, EXDEV, errnoNames,
} from '../../abi/errno.js';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../abi/open.js';
import { FILETYPE_DIRECTORY, wasiFiletype } from '../../abi/wasi.js';
import { thrownErrno } from '../../base/testing/errno.js';
import { NodeHostDirectory } from '../../host/hostdir.js';
import { WorkingDirectoryLease } from '../../host/workdir.js';
import { scratch } from '../../host/testing/scratch.js';
import type { FileDescription } from '../../vfs/file.js';
import { VirtualFilesystem, type PathContext, type PathStart } from '../../vfs/vfs.js';
import { Tmpfs } from '../tmpfs/tmpfs.js';
import type { HostDirectoryAccess } from './host.js';
import { HostDirFs } from './hostdir.js';

/** The name of a test's second run, with children named relative to a leased working directory. */
const FROM_CWD = ' (named from the working directory)';

/**
 * Every test runs twice: children named through /proc/<pid>/fd/<n>/<name> (pods), and relative to the
 * working directory a WorkingDirectoryLease moves to each directory descriptor (`amber do`).
 */
function test(name: string, fn: (t: TestContext) => void): void {
  nodeTest(name, fn);
  nodeTest(name + FROM_CWD, fn);
}

const OUTSIDE_MARK = 'HOST-OUTSIDE-MARK';
const SECRET_MARK = 'HOST-SECRET-MARK';

interface World {
  top: string;
  shared: string;
  outside: string;
  vfs: VirtualFilesystem;
  ctx: PathContext;
  root: PathStart;
  /** /data as a WASI capability: nothing may leave it. */
  data: PathStart;
  fs: HostDirFs;
  /** The working directory lease its host directory names children from, if any. */
  lease: WorkingDirectoryLease | null;
  /** Read, opened or written paths outside shared/ must never change: checked after each test. */
  untouched(): void;
}

interface WorldOptions {
  wrap?: (h: HostDirectoryAccess) => HostDirectoryAccess;
  /** Another world's lease, for a second world in one test (a process lends its directory once). */
  lease?: WorkingDirectoryLease;
  maxHandles?: number;
  readOnly?: boolean;
}

/** Host layout: top/{secret, outside/passwd, shared/{hello.txt, sub/inner.txt, dir/file.txt}}. */
function world(t: TestContext, opts: WorldOptions = {}): World {
  const top = scratch('hostdir', t);
  const shared = join(top, 'shared');
  const outside = join(top, 'outside');
  nfs.mkdirSync(shared);
  nfs.mkdirSync(outside);
  nfs.writeFileSync(join(top, 'secret'), SECRET_MARK);
  nfs.writeFileSync(join(outside, 'passwd'), OUTSIDE_MARK);
  nfs.writeFileSync(join(shared, 'hello.txt'), 'hello from the host');
  nfs.mkdirSync(join(shared, 'sub'));
  nfs.writeFileSync(join(shared, 'sub', 'inner.txt'), 'inner');
  nfs.mkdirSync(join(shared, 'dir'));
  nfs.writeFileSync(join(shared, 'dir', 'file.txt'), 'original dir');
  const before = snapshot(top);

  const vfs = new VirtualFilesystem();
  const tmp = new Tmpfs({ dev: 1, now: () => 1_000_000_000n });
  const rootMount = vfs.newMount(tmp, 0);
  const ctx: PathContext = { root: { mount: rootMount, dentry: rootMount.root }, caller: { pid: 1, creds: { uid: 0, gid: 0 } } };
  const root: PathStart = { at: ctx.root };
  vfs.mkdirAt(ctx, root, '/data', 0o755);
  let real = new NodeHostDirectory(shared);
  let lease = opts.lease ?? null;
  if (lease === null && t.name.endsWith(FROM_CWD)) {
    const taken = WorkingDirectoryLease.take();
    assert.ok(taken !== null, 'a test runs on the main thread, whose working directory can be lent');
    const cwd = process.cwd();
    t.after(() => {
      taken.release();
      assert.equal(process.cwd(), cwd, 'the working directory is given back');
    });
    lease = taken;
  }
  if (lease !== null) real = new NodeHostDirectory(shared, { cwd: lease });
  const host = opts.wrap !== undefined ? opts.wrap(real) : real;
  const fsOpts = { dev: 2, host, source: shared, readOnly: opts.readOnly === true };
  const fs = new HostDirFs(opts.maxHandles !== undefined ? { ...fsOpts, maxHandles: opts.maxHandles } : fsOpts);
  vfs.attach(vfs.resolve(ctx, root, '/data', true), vfs.newMount(fs, 0));
  const data: PathStart = { at: vfs.resolve(ctx, root, '/data', true), beneath: true };
  t.after(() => fs.release());
  return { top, shared, outside, vfs, ctx, root, data, fs, lease, untouched: () => assert.deepEqual(snapshot(top), before) };
}

/** Every file outside shared/ with its bytes and mtime, and every name there. */
function snapshot(top: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of nfs.readdirSync(top, { recursive: true }).map(String).sort()) {
    if (rel === 'shared' || rel.startsWith('shared/')) continue;
    const p = join(top, rel);
    const st = nfs.lstatSync(p, { bigint: true });
    out[rel] = st.isFile() ? `${nfs.readFileSync(p, 'utf8')} @${st.mtimeNs}` : st.isDirectory() ? 'dir' : 'other';
  }
  return out;
}

function name(errno: number): string {
  return errnoNames[errno] as string;
}

function open(w: World, start: PathStart, path: string, flags: number, perm = 0o644): FileDescription {
  return w.vfs.openAt(w.ctx, start, path, { flags, perm });
}

function readAll(w: World, start: PathStart, path: string): string {
  const f = open(w, start, path, O_RDONLY);
  try {
    const chunks: Buffer[] = [];
    const buf = new Uint8Array(7); // small, to loop
    for (let n = f.read(buf); n > 0; n = f.read(buf)) chunks.push(Buffer.from(buf.subarray(0, n)));
    const text = Buffer.concat(chunks).toString('utf8');
    assert.ok(!text.includes(OUTSIDE_MARK) && !text.includes(SECRET_MARK), `read a host file outside: ${path}`);
    return text;
  } finally {
    f.decRef();
  }
}

function writeAll(w: World, start: PathStart, path: string, text: string, flags = O_WRONLY | O_CREAT | O_TRUNC): void {
  const f = open(w, start, path, flags);
  try {
    assert.equal(f.write(Buffer.from(text)), Buffer.byteLength(text));
  } finally {
    f.decRef();
  }
}

/** A HostDirectoryAccess that runs `after` once a call returns (to change the host mid-walk). */
function spying(after: (method: string, args: unknown[]) => void): (h: HostDirectoryAccess) => HostDirectoryAccess {
  return (h) =>
    new Proxy(h, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const r = (v as (...a: unknown[]) => unknown).apply(target, args);
          after(String(key), args);
          return r;
        };
      },
    });
}

test('reads, writes and creates reach the host', (t) => {
  const w = world(t);
  assert.equal(readAll(w, w.root, '/data/hello.txt'), 'hello from the host');
  assert.equal(readAll(w, w.data, 'sub/inner.txt'), 'inner');

  writeAll(w, w.root, '/data/new.txt', 'written by the guest');
  assert.equal(nfs.readFileSync(join(w.shared, 'new.txt'), 'utf8'), 'written by the guest');
  writeAll(w, w.root, '/data/new.txt', 'short');
  assert.equal(nfs.readFileSync(join(w.shared, 'new.txt'), 'utf8'), 'short');
  writeAll(w, w.root, '/data/new.txt', '+more', O_WRONLY | O_APPEND);
  assert.equal(nfs.readFileSync(join(w.shared, 'new.txt'), 'utf8'), 'short+more');
  assert.equal(thrownErrno(() => open(w, w.root, '/data/new.txt', O_WRONLY | O_CREAT | O_EXCL)), 'EEXIST');

  const rw = open(w, w.root, '/data/rw.bin', O_RDWR | O_CREAT, 0o640);
  try {
    rw.pwrite(Buffer.from('abcdef'), 10);
    const back = new Uint8Array(6);
    assert.equal(rw.pread(back, 10), 6);
    assert.equal(Buffer.from(back).toString(), 'abcdef');
    assert.equal(rw.stat().size, 16);
    rw.setStat({ size: 12 });
    assert.equal(nfs.statSync(join(w.shared, 'rw.bin')).size, 12);
    rw.allocate(0, 100);
    assert.equal(rw.stat().size, 100);
    rw.sync();
  } finally {
    rw.decRef();
  }
  const hst = nfs.statSync(join(w.shared, 'rw.bin'));
  assert.equal(hst.size, 100);
  assert.equal(hst.mode & 0o7777, 0o640);

  const st = w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true);
  const host = nfs.statSync(join(w.shared, 'hello.txt'), { bigint: true });
  assert.equal(st.dev, 2);
  assert.equal(st.ino, Number(host.ino));
  assert.equal(st.type, 'reg');
  assert.equal(st.size, 19);
  assert.equal(st.mtimeNs, host.mtimeNs);
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data', true).ino, Number(nfs.statSync(w.shared).ino));
});

test('mkdir, rmdir, unlink, rename, link and symlink reach the host', (t) => {
  const w = world(t);
  w.vfs.mkdirAt(w.ctx, w.root, '/data/d', 0o750);
  assert.equal(nfs.statSync(join(w.shared, 'd')).mode & 0o7777, 0o750);
  assert.equal(thrownErrno(() => w.vfs.mkdirAt(w.ctx, w.root, '/data/d', 0o750)), 'EEXIST');
  writeAll(w, w.root, '/data/d/f', 'in d');

  // A file across directories, then the directory holding it (its cached descriptor stays good).
  w.vfs.renameAt(w.ctx, w.root, '/data/d/f', w.root, '/data/sub/g');
  assert.ok(!nfs.existsSync(join(w.shared, 'd', 'f')));
  assert.equal(nfs.readFileSync(join(w.shared, 'sub', 'g'), 'utf8'), 'in d');
  w.vfs.renameAt(w.ctx, w.root, '/data/sub', w.root, '/data/d/sub2');
  assert.equal(nfs.readFileSync(join(w.shared, 'd', 'sub2', 'inner.txt'), 'utf8'), 'inner');
  assert.equal(readAll(w, w.root, '/data/d/sub2/g'), 'in d');
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/sub/g')), 'ENOENT');
  // Over an existing file.
  w.vfs.renameAt(w.ctx, w.root, '/data/d/sub2/g', w.root, '/data/hello.txt');
  assert.equal(nfs.readFileSync(join(w.shared, 'hello.txt'), 'utf8'), 'in d');
  assert.equal(readAll(w, w.root, '/data/hello.txt'), 'in d');

  // Hard links: one host object, nlink 2; renaming one link over the other does nothing.
  w.vfs.linkAt(w.ctx, w.root, '/data/hello.txt', w.root, '/data/d/hard', false);
  const a = nfs.statSync(join(w.shared, 'hello.txt'));
  const b = nfs.statSync(join(w.shared, 'd', 'hard'));
  assert.equal(a.ino, b.ino);
  assert.equal(a.nlink, 2);
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/d/hard', true).nlink, 2);
  w.vfs.renameAt(w.ctx, w.root, '/data/hello.txt', w.root, '/data/d/hard');
  assert.ok(nfs.existsSync(join(w.shared, 'hello.txt')) && nfs.existsSync(join(w.shared, 'd', 'hard')));
  assert.equal(readAll(w, w.root, '/data/hello.txt'), 'in d');

  // Symlinks are created verbatim and read by the VFS.
  w.vfs.symlinkAt(w.ctx, 'hard', w.root, '/data/d/sl');
  assert.equal(nfs.readlinkSync(join(w.shared, 'd', 'sl')), 'hard');
  assert.equal(w.vfs.readlinkAt(w.ctx, w.root, '/data/d/sl'), 'hard');
  assert.equal(readAll(w, w.root, '/data/d/sl'), 'in d');
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/d/sl', false).type, 'symlink');

  w.vfs.unlinkAt(w.ctx, w.root, '/data/d/hard');
  assert.ok(!nfs.existsSync(join(w.shared, 'd', 'hard')));
  assert.equal(nfs.statSync(join(w.shared, 'hello.txt')).nlink, 1);
  assert.equal(thrownErrno(() => w.vfs.unlinkAt(w.ctx, w.root, '/data/d')), 'EISDIR');
  assert.equal(thrownErrno(() => w.vfs.rmdirAt(w.ctx, w.root, '/data/d')), 'ENOTEMPTY');
  w.vfs.unlinkAt(w.ctx, w.root, '/data/d/sl');
  w.vfs.renameAt(w.ctx, w.root, '/data/d/sub2', w.root, '/data/sub');
  w.vfs.rmdirAt(w.ctx, w.root, '/data/d');
  assert.ok(!nfs.existsSync(join(w.shared, 'd')));
  assert.equal(thrownErrno(() => w.vfs.statAt(w.ctx, w.root, '/data/d', true)), 'ENOENT');
  w.untouched();
});

test('readdir lists the host with its inos and types, never following links', (t) => {
  const w = world(t);
  nfs.symlinkSync(w.outside, join(w.shared, 'escape'));
  const f = open(w, w.root, '/data', O_RDONLY | O_DIRECTORY);
  try {
    const got = f.readdir(0).map((e) => `${e.name}:${e.type}:${e.ino}`).sort();
    const ino = (n: string) => nfs.lstatSync(join(w.shared, n)).ino;
    assert.deepEqual(got, [
      `.:dir:${ino('.')}`,
      `..:dir:${w.vfs.statAt(w.ctx, w.root, '/', true).ino}`,
      `dir:dir:${ino('dir')}`,
      `escape:symlink:${ino('escape')}`,
      `hello.txt:reg:${ino('hello.txt')}`,
      `sub:dir:${ino('sub')}`,
    ].sort());
  } finally {
    f.decRef();
  }
});

test('setStat changes the host: mode, size, times', (t) => {
  const w = world(t);
  const p = join(w.shared, 'hello.txt');
  w.vfs.setStatAt(w.ctx, w.root, '/data/hello.txt', true, { perm: 0o600 });
  assert.equal(nfs.statSync(p).mode & 0o7777, 0o600);
  w.vfs.setStatAt(w.ctx, w.root, '/data/hello.txt', true, { perm: 0o4755 });
  assert.equal(nfs.statSync(p).mode & 0o7777, 0o755, 'setuid never reaches the host');
  w.vfs.setStatAt(w.ctx, w.root, '/data/hello.txt', true, { size: 5 });
  assert.equal(nfs.readFileSync(p, 'utf8'), 'hello');
  const mtime = 1_600_000_000_123_456_789n;
  const atime = w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true).atimeNs;
  w.vfs.setStatAt(w.ctx, w.root, '/data/hello.txt', true, { mtimeNs: mtime });
  const after = nfs.statSync(p, { bigint: true });
  // node:fs stores whole microseconds on the host; the guest sees exactly what it set, and the time
  // it did not set unchanged.
  assert.ok(after.mtimeNs - mtime < 1000n && mtime - after.mtimeNs < 1000n, `${after.mtimeNs}`);
  const seen = w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true);
  assert.equal(seen.mtimeNs, mtime);
  assert.equal(seen.atimeNs, atime);
  w.vfs.setStatAt(w.ctx, w.root, '/data/hello.txt', true, { atimeNs: 5n });
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true).atimeNs, 5n);
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true).mtimeNs, mtime);
  // Once the host changes the file, its own times show again.
  nfs.utimesSync(p, 1_000_000, 1_000_000);
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true).mtimeNs, 1_000_000_000_000_000n);
  w.vfs.setStatAt(w.ctx, w.root, '/data/sub', true, { perm: 0o711, atimeNs: 'now', mtimeNs: mtime });
  assert.equal(nfs.statSync(join(w.shared, 'sub')).mode & 0o7777, 0o711);
  // A symlink's own times; a symlink has no mode.
  nfs.symlinkSync('hello.txt', join(w.shared, 'sl'));
  w.vfs.setStatAt(w.ctx, w.root, '/data/sl', false, { mtimeNs: mtime });
  assert.ok(nfs.lstatSync(join(w.shared, 'sl'), { bigint: true }).mtimeNs - mtime < 1000n);
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/sl', false).mtimeNs, mtime);
  assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.root, '/data/sl', false, { perm: 0o600 })), 'EOPNOTSUPP');
  assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.root, '/data/sub', true, { size: 0 })), 'EISDIR');
  // O_TRUNC on open.
  writeAll(w, w.root, '/data/hello.txt', 'x', O_WRONLY | O_TRUNC);
  assert.equal(nfs.readFileSync(p, 'utf8'), 'x');
});

/** The fields of WASI filestat bytes, named as Stat names them (type as WASI's filetype). */
function filestatFields(b: Uint8Array): Record<string, bigint | number> {
  const v = new DataView(b.buffer, b.byteOffset, 64);
  const n = (off: number): number => Number(v.getBigUint64(off, true));
  return { dev: n(0), ino: n(8), type: v.getUint8(16), nlink: n(24), size: n(32), atimeNs: v.getBigUint64(40, true), mtimeNs: v.getBigUint64(48, true), ctimeNs: v.getBigUint64(56, true) };
}

/** stat()'s fields that WASI's filestat carries, in filestatFields' shape. */
function statFields(f: FileDescription): Record<string, bigint | number> {
  const s = f.stat();
  return { dev: s.dev, ino: s.ino, type: wasiFiletype(s.type), nlink: s.nlink, size: s.size, atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
}

/** f's filestat once the host answers it (after a few calls: host/wasistat.ts), checked against stat() at each call. */
function filestatOf(f: FileDescription): Record<string, bigint | number> {
  for (let i = 0; i < 64; i++) {
    const b = f.inode.filestat();
    if (b !== null) {
      const got = filestatFields(b);
      assert.deepEqual(got, statFields(f));
      return got;
    }
  }
  assert.fail('the host never answered filestat');
}

test("an open file's filestat is stat()'s: the guest's dev and times, and every change the host made", (t) => {
  const w = world(t);
  const p = join(w.shared, 'hello.txt');
  const f = open(w, w.data, 'hello.txt', O_RDWR);
  t.after(() => f.decRef());
  const first = filestatOf(f);
  assert.deepEqual([first.dev, first.ino, first.size], [2, Number(nfs.statSync(p).ino), 'hello from the host'.length]);
  nfs.appendFileSync(p, '!!');
  nfs.utimesSync(p, 1_000_000, 2_000_000);
  const changed = filestatOf(f);
  assert.deepEqual([changed.size, changed.mtimeNs], ['hello from the host!!'.length, 2_000_000_000_000_000n]);
  // Times the guest set more finely than the host stores them are shown as set.
  const mtime = 1_600_000_000_123_456_789n;
  f.setStat({ atimeNs: 7n, mtimeNs: mtime });
  assert.deepEqual([filestatOf(f).atimeNs, filestatOf(f).mtimeNs], [7n, mtime]);
  nfs.utimesSync(p, 3_000_000, 3_000_000);
  assert.equal(filestatOf(f).mtimeNs, 3_000_000_000_000_000n, 'the host changed them since: its own');
  const d = open(w, w.data, 'sub', O_RDONLY | O_DIRECTORY);
  t.after(() => d.decRef());
  assert.equal(filestatOf(d).type, FILETYPE_DIRECTORY);
});

/** filestatIfExists until the filesystem answers with WASI's filestat bytes (after a few calls: host/wasistat.ts). */
function pathFilestat(w: World, start: PathStart, path: string): Record<string, bigint | number> {
  for (let i = 0; i < 64; i++) {
    const r = w.vfs.filestatIfExists(w.ctx, start, path, false);
    assert.ok(r !== null, `${path} exists`);
    if (r instanceof Uint8Array) return filestatFields(r);
  }
  assert.fail('the host never answered with a filestat');
}

/** statAt's fields in filestatFields' shape. */
function statAtFields(w: World, start: PathStart, path: string): Record<string, bigint | number> {
  const s = w.vfs.statAt(w.ctx, start, path, false);
  return { dev: s.dev, ino: s.ino, type: wasiFiletype(s.type), nlink: s.nlink, size: s.size, atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
}

test("a path's filestat is statAt's, sees every change the host made, and never a directory the host swapped in", (t) => {
  const w = world(t);
  const file = join(w.shared, 'dir', 'file.txt');
  assert.deepEqual(pathFilestat(w, w.data, 'dir/file.txt'), statAtFields(w, w.data, 'dir/file.txt'));
  nfs.appendFileSync(file, '!');
  nfs.utimesSync(file, 1000, 2000);
  const changed = pathFilestat(w, w.data, 'dir/file.txt');
  assert.deepEqual([changed.size, changed.mtimeNs], ['original dir!'.length, 2_000_000_000_000n]);
  assert.deepEqual(changed, statAtFields(w, w.data, 'dir/file.txt'));
  const mtime = 1_600_000_000_123_456_789n;
  w.vfs.setStatAt(w.ctx, w.data, 'dir/file.txt', true, { mtimeNs: mtime });
  assert.equal(pathFilestat(w, w.data, 'dir/file.txt').mtimeNs, mtime, 'the time the guest set, exactly');
  // Replaced on the host: the new object's.
  nfs.writeFileSync(join(w.shared, 'dir', 'tmp'), 'new');
  nfs.renameSync(join(w.shared, 'dir', 'tmp'), file);
  assert.deepEqual([pathFilestat(w, w.data, 'dir/file.txt').size, pathFilestat(w, w.data, 'dir/file.txt').ino], [3, Number(nfs.statSync(file).ino)]);
  // The cached directory moved away on the host, and another with a file of the same name put at its
  // path: the guest's dir is still the one it holds (a bind mount's view), never the impostor's file.
  const held = open(w, w.data, 'dir', O_RDONLY | O_DIRECTORY);
  t.after(() => held.decRef());
  nfs.renameSync(join(w.shared, 'dir'), join(w.top, 'moved'));
  nfs.mkdirSync(join(w.shared, 'dir'));
  nfs.writeFileSync(join(w.shared, 'dir', 'file.txt'), 'impostor!');
  const atHeld: PathStart = { at: held.vd, beneath: true };
  for (let i = 0; i < 64; i++) {
    const r = w.vfs.filestatIfExists(w.ctx, atHeld, 'file.txt', false);
    assert.ok(r !== null);
    const size = r instanceof Uint8Array ? filestatFields(r).size : r.size;
    assert.equal(size, 3, 'the file in the directory the guest holds');
  }
  assert.equal(pathFilestat(w, w.data, 'dir/file.txt').size, 'impostor!'.length, 'by path from /data: what the host has there now');
});

test("a one-name stat (no walk) shows a mount on the name, and what a symlink leads to when following it", (t) => {
  const w = world(t);
  nfs.symlinkSync('hello.txt', join(w.shared, 'link'));
  const host = (p: string, follow: boolean): bigint => BigInt((follow ? nfs.statSync : nfs.lstatSync)(join(w.shared, p)).ino);
  const ino = (start: PathStart, path: string, follow: boolean): bigint => {
    let last = 0n;
    // Enough calls that the host answers with WASI's filestat bytes as well as without (host/wasistat.ts).
    for (let i = 0; i < 40; i++) {
      const r = w.vfs.filestatIfExists(w.ctx, start, path, follow);
      assert.ok(r !== null, `${path} exists`);
      last = r instanceof Uint8Array ? new DataView(r.buffer, r.byteOffset, 64).getBigUint64(8, true) : BigInt(r.ino);
    }
    return last;
  };
  assert.equal(ino(w.data, 'link', true), host('link', true), 'followed: the file');
  assert.equal(ino(w.data, 'link', false), host('link', false), 'not followed: the link');
  assert.equal(ino(w.data, 'sub', true), host('sub', true));
  // A tmpfs mounted on /data/sub: the name shows the mount's root, not the host directory under it.
  const over = new Tmpfs({ dev: 7, now: () => 1_000_000_000n });
  w.vfs.attach(w.vfs.resolve(w.ctx, w.data, 'sub', true), w.vfs.newMount(over, 0));
  const overRoot = BigInt(over.root().inode.ino);
  assert.equal(ino(w.data, 'sub', true), overRoot, 'the mounted root');
  assert.equal(ino(w.data, 'sub', false), overRoot, 'the mounted root, not following');
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'sub', true).dev, 7);
});

test('lookups revalidate against the host', (t) => {
  const w = world(t);
  const first = w.vfs.resolve(w.ctx, w.root, '/data/hello.txt', true).dentry;
  assert.equal(w.vfs.resolve(w.ctx, w.root, '/data/hello.txt', true).dentry, first, 'an unchanged file keeps its dentry');

  nfs.writeFileSync(join(w.shared, 'late.txt'), 'made on the host');
  assert.equal(readAll(w, w.root, '/data/late.txt'), 'made on the host');
  nfs.unlinkSync(join(w.shared, 'late.txt'));
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/late.txt')), 'ENOENT');

  // Replaced on the host (an editor's atomic save): a new dentry, the old one dead.
  nfs.writeFileSync(join(w.shared, 'tmp'), 'replacement');
  nfs.renameSync(join(w.shared, 'tmp'), join(w.shared, 'hello.txt'));
  const second = w.vfs.resolve(w.ctx, w.root, '/data/hello.txt', true).dentry;
  assert.notEqual(second, first);
  assert.ok(first.dead);
  assert.equal(second.inode.ino, nfs.statSync(join(w.shared, 'hello.txt')).ino);
  assert.equal(readAll(w, w.root, '/data/hello.txt'), 'replacement');

  // A file that became a directory.
  nfs.unlinkSync(join(w.shared, 'hello.txt'));
  nfs.mkdirSync(join(w.shared, 'hello.txt'));
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true).type, 'dir');
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/hello.txt')), 'EISDIR');
});

/** A HostDirectoryAccess that lists the methods called on it, in order, in `calls`. */
function counting(calls: string[]): (h: HostDirectoryAccess) => HostDirectoryAccess {
  return (h) =>
    new Proxy(h, {
      get(target, key, receiver): unknown {
        const v: unknown = Reflect.get(target, key, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]): unknown => {
          calls.push(String(key));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
}

test('stat by path asks the host once, and sees every change the host made', (t) => {
  const made: string[] = [];
  const w = world(t, { wrap: counting(made) });
  let calls = 0;
  const count = (): number => {
    calls = made.length;
    made.length = 0;
    return calls;
  };
  const file = join(w.shared, 'hello.txt');
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true).size, 'hello from the host'.length);
  count();
  const st = w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true);
  assert.equal(count(), 1, 'a cached name: one host call for lookup and stat');
  assert.equal(st.ino, Number(nfs.statSync(file).ino));
  nfs.appendFileSync(file, '!');
  nfs.utimesSync(file, 1000, 2000);
  const after = w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true);
  assert.equal(after.size, 'hello from the host!'.length, 'the new size');
  assert.equal(after.mtimeNs, 2_000_000_000_000n, 'the new mtime');
  // Replaced on the host: the stat is the new object's, the dentry a new one.
  nfs.writeFileSync(join(w.shared, 'tmp'), 'new');
  nfs.renameSync(join(w.shared, 'tmp'), file);
  count();
  const replaced = w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true);
  assert.deepEqual([replaced.size, replaced.ino], [3, Number(nfs.statSync(file).ino)]);
  assert.ok(count() <= 2, `a replaced name: ${calls} host calls`);
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/sub', true).type, 'dir');
  nfs.unlinkSync(file);
  assert.equal(thrownErrno(() => w.vfs.statAt(w.ctx, w.root, '/data/hello.txt', true)), 'ENOENT');
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data', true).ino, Number(nfs.statSync(w.shared).ino), 'a mountpoint: the mounted root');
});

test("SQLite's lock and journal cost the host only the calls they need, and stay exact", (t) => {
  const calls: string[] = [];
  const w = world(t, { wrap: counting(calls) });
  const lock = join(w.shared, 'db.lock');
  const taken = (fn: () => void): string[] => {
    calls.length = 0;
    fn();
    return [...calls];
  };
  // mkdir of a name not cached: no lookup first (the host's mkdir says EEXIST if it exists), and the new
  // directory is not opened, only looked up for its identity.
  assert.deepEqual(taken(() => w.vfs.mkdirAt(w.ctx, w.data, 'db.lock', 0o755)), ['mkdirAt', 'lookup']);
  nfs.mkdirSync(join(w.shared, 'made-on-host'));
  assert.equal(thrownErrno(() => w.vfs.mkdirAt(w.ctx, w.data, 'made-on-host', 0o755)), 'EEXIST');
  // utimes(path, NULL): one call, by name (the directory has no descriptor; the cached name is not checked first).
  const before = nfs.statSync(lock, { bigint: true }).mtimeNs;
  nfs.utimesSync(lock, 1000, 1000);
  assert.deepEqual(taken(() => w.vfs.setStatAt(w.ctx, w.data, 'db.lock', true, { atimeNs: 'now', mtimeNs: 'now' })), ['setTimesAt']);
  const touched = nfs.statSync(lock, { bigint: true });
  assert.ok(touched.mtimeNs >= before && touched.atimeNs >= before, 'both times are now');
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'db.lock', true).mtimeNs, touched.mtimeNs, 'the guest sees the host\'s times');
  // utime(lock, NULL) as this wasi-libc makes it: both times 0, whole seconds the host stores exactly.
  assert.deepEqual(taken(() => w.vfs.setStatAt(w.ctx, w.data, 'db.lock', true, { atimeNs: 0n, mtimeNs: 0n })), ['setTimesAt']);
  assert.equal(nfs.statSync(lock, { bigint: true }).mtimeNs, 0n);
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'db.lock', true).mtimeNs, 0n);
  // Exact times set before are forgotten once both are set to now.
  w.vfs.setStatAt(w.ctx, w.data, 'db.lock', true, { atimeNs: 7n, mtimeNs: 1_600_000_000_123_456_789n });
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'db.lock', true).mtimeNs, 1_600_000_000_123_456_789n);
  w.vfs.setStatAt(w.ctx, w.data, 'db.lock', true, { atimeNs: 'now', mtimeNs: 'now' });
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'db.lock', true).mtimeNs, nfs.statSync(lock, { bigint: true }).mtimeNs);
  // The journal: O_CREAT|O_EXCL of a name not cached is the host's create alone.
  assert.deepEqual(taken(() => open(w, w.data, 'db-journal', O_RDWR | O_CREAT | O_EXCL).decRef()), ['openAt', 'attr', 'close']);
  nfs.writeFileSync(join(w.shared, 'journal-on-host'), 'x');
  assert.equal(thrownErrno(() => open(w, w.data, 'journal-on-host', O_RDWR | O_CREAT | O_EXCL)), 'EEXIST');
  nfs.symlinkSync('nowhere', join(w.shared, 'dangling'));
  assert.equal(thrownErrno(() => open(w, w.data, 'dangling', O_RDWR | O_CREAT | O_EXCL)), 'EEXIST', 'a dangling symlink is a name');
  assert.equal(thrownErrno(() => w.vfs.symlinkAt(w.ctx, 'x', w.data, 'dangling')), 'EEXIST');
  assert.equal(nfs.readlinkSync(join(w.shared, 'dangling')), 'nowhere');
  // O_CREAT without O_EXCL, as SQLite opens its journal: the exclusive create first, no lookup.
  assert.deepEqual(taken(() => open(w, w.data, 'journal2', O_RDWR | O_CREAT).decRef()), ['openAt', 'attr', 'close']);
  // A name the host made is opened as it is (the create said EEXIST; then it is looked up), not truncated.
  nfs.writeFileSync(join(w.shared, 'made-file'), 'kept');
  const made = open(w, w.data, 'made-file', O_RDWR | O_CREAT);
  assert.equal(made.stat().size, 4);
  made.decRef();
  assert.equal(nfs.readFileSync(join(w.shared, 'made-file'), 'utf8'), 'kept');
  assert.equal(thrownErrno(() => open(w, w.data, 'sub', O_RDONLY | O_CREAT)), name(EISDIR));
  // A host symlink the guest never looked up is followed in the guest's tree, never on the host's.
  nfs.symlinkSync('../outside/passwd', join(w.shared, 'out-link'));
  assert.equal(thrownErrno(() => open(w, w.data, 'out-link', O_RDWR | O_CREAT)), name(ENOTCAPABLE));
  assert.equal(thrownErrno(() => open(w, w.root, '/data/out-link', O_RDWR | O_CREAT)), 'ENOENT', 'the guest has no /outside');
  assert.equal(thrownErrno(() => open(w, w.root, '/data/out-link', O_RDWR | O_CREAT | O_NOFOLLOW)), name(ELOOP));
  nfs.symlinkSync('new-target', join(w.shared, 'in-link'));
  open(w, w.data, 'in-link', O_WRONLY | O_CREAT).decRef();
  assert.ok(nfs.statSync(join(w.shared, 'new-target')).isFile(), 'O_CREAT through a dangling link creates its target');
  // Removing a cached name is the host's removal alone: it answers for whatever the name holds now.
  assert.deepEqual(taken(() => w.vfs.unlinkAt(w.ctx, w.data, 'db-journal')), ['unlinkAt']);
  assert.deepEqual(taken(() => w.vfs.rmdirAt(w.ctx, w.data, 'db.lock')), ['rmdirAt']);
  assert.ok(!nfs.existsSync(lock) && !nfs.existsSync(join(w.shared, 'db-journal')));
  // A cached name removed on the host is still looked up: the create goes ahead.
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'made-on-host', true).type, 'dir');
  nfs.rmdirSync(join(w.shared, 'made-on-host'));
  w.vfs.mkdirAt(w.ctx, w.data, 'made-on-host', 0o755);
  assert.ok(nfs.statSync(join(w.shared, 'made-on-host')).isDirectory());
  w.untouched();
});

test('times set by path, by name, never reach a symlink the host swapped in after the walk', (t) => {
  let swap = false;
  const w = world(t, {
    wrap: spying((method, args) => {
      if (!swap || method !== 'lookup' || args[1] !== 'lock') return;
      swap = false;
      nfs.rmdirSync(join(w.shared, 'lock'));
      nfs.symlinkSync('../outside/passwd', join(w.shared, 'lock'));
    }),
  });
  nfs.mkdirSync(join(w.shared, 'lock')); // made on the host: the walk looks it up
  swap = true;
  w.vfs.setStatAt(w.ctx, w.data, 'lock', true, { atimeNs: 0n, mtimeNs: 0n });
  assert.equal(nfs.lstatSync(join(w.shared, 'lock'), { bigint: true }).mtimeNs, 0n, "the symlink's own times");
  assert.equal(swap, false, 'the host swapped it after the lookup');
  w.untouched(); // outside/passwd's mtime is what it was
});

test('times set by path on a cached name never reach through a directory the host swapped for a symlink', (t) => {
  const w = world(t);
  const lock = join(w.shared, 'lock');
  w.vfs.mkdirAt(w.ctx, w.data, 'lock', 0o755);
  nfs.rmdirSync(lock);
  nfs.symlinkSync('../outside/passwd', lock);
  // Whole seconds, set by name without checking the cached name first: the symlink's own times.
  w.vfs.setStatAt(w.ctx, w.data, 'lock', true, { atimeNs: 0n, mtimeNs: 0n });
  assert.equal(nfs.lstatSync(lock, { bigint: true }).mtimeNs, 0n, "the symlink's own times");
  w.untouched();
  // Times the host rounds are checked by a stat after: ESTALE, and the walk made again, asking, finds the
  // symlink and follows it in the guest's tree: beneath /data refused, from the root a guest path.
  const odd = { atimeNs: 1_500_000_000_123n, mtimeNs: 1_500_000_000_123n };
  assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.data, 'lock', true, odd)), name(ENOTCAPABLE));
  assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.root, '/data/lock', true, odd)), 'ENOENT', 'the guest has no /outside');
  w.untouched();
  // A directory swapped for another: the one there now gets the times, as after a fresh lookup.
  nfs.unlinkSync(lock);
  nfs.mkdirSync(lock);
  w.vfs.setStatAt(w.ctx, w.data, 'lock', true, odd);
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'lock', true).mtimeNs, odd.mtimeNs);
  nfs.rmdirSync(lock);
  assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.data, 'lock', true, odd)), 'ENOENT');
  w.untouched();
});

test('removing a cached name the host changed answers as a fresh lookup would', (t) => {
  const w = world(t);
  const at = (n: string): string => join(w.shared, n);
  for (const n of ['f1', 'f2', 'f3']) writeAll(w, w.data, n, n);
  w.vfs.mkdirAt(w.ctx, w.data, 'd1', 0o755);
  // Removed on the host: ENOENT, and the name is forgotten.
  nfs.unlinkSync(at('f1'));
  assert.equal(thrownErrno(() => w.vfs.unlinkAt(w.ctx, w.data, 'f1')), 'ENOENT');
  assert.equal(thrownErrno(() => w.vfs.statAt(w.ctx, w.data, 'f1', false)), 'ENOENT');
  // A file replaced by a directory: unlink is EISDIR, and rmdir then removes the directory.
  nfs.unlinkSync(at('f2'));
  nfs.mkdirSync(at('f2'));
  assert.equal(thrownErrno(() => w.vfs.unlinkAt(w.ctx, w.data, 'f2')), name(EISDIR));
  w.vfs.rmdirAt(w.ctx, w.data, 'f2');
  assert.ok(!nfs.existsSync(at('f2')));
  // A directory replaced by a file: rmdir is ENOTDIR, and unlink then removes the file.
  nfs.rmdirSync(at('d1'));
  nfs.writeFileSync(at('d1'), 'a file now');
  assert.equal(thrownErrno(() => w.vfs.rmdirAt(w.ctx, w.data, 'd1')), 'ENOTDIR');
  w.vfs.unlinkAt(w.ctx, w.data, 'd1');
  assert.ok(!nfs.existsSync(at('d1')));
  // A file replaced by another file: the one there now is removed, as after a fresh lookup.
  nfs.writeFileSync(at('tmp'), 'new');
  nfs.renameSync(at('tmp'), at('f3'));
  w.vfs.unlinkAt(w.ctx, w.data, 'f3');
  assert.ok(!nfs.existsSync(at('f3')));
  // A cached symlink the host swapped for a directory is not followed: EISDIR, nothing outside touched.
  nfs.symlinkSync('../outside', at('ln'));
  assert.equal(w.vfs.statAt(w.ctx, w.data, 'ln', false).type, 'symlink');
  nfs.unlinkSync(at('ln'));
  nfs.mkdirSync(at('ln'));
  assert.equal(thrownErrno(() => w.vfs.unlinkAt(w.ctx, w.data, 'ln')), name(EISDIR));
  assert.ok(nfs.existsSync(join(w.outside, 'passwd')));
  w.untouched();
});

test('a file unlinked while open stays readable', (t) => {
  const w = world(t);
  const f = open(w, w.root, '/data/hello.txt', O_RDONLY);
  try {
    w.vfs.unlinkAt(w.ctx, w.root, '/data/hello.txt');
    assert.ok(!nfs.existsSync(join(w.shared, 'hello.txt')));
    assert.equal(f.stat().nlink, 0);
    const buf = new Uint8Array(5);
    assert.equal(f.read(buf), 5);
    assert.equal(Buffer.from(buf).toString(), 'hello');
  } finally {
    f.decRef();
  }
});

test('".." beyond /data stays in the guest tree', (t) => {
  const w = world(t);
  // The host has top/secret beside the shared directory; the guest's root has no /secret.
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/../secret')), 'ENOENT');
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/sub/../../secret')), 'ENOENT');
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/../../../../secret')), 'ENOENT');
  assert.equal(thrownErrno(() => readAll(w, w.data, '../secret')), name(ENOTCAPABLE));
  assert.equal(thrownErrno(() => readAll(w, w.data, 'sub/../../secret')), name(ENOTCAPABLE));
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/../secret', 'x', O_WRONLY)), 'ENOENT');
  // ".." reaches the tmpfs root: a file made there is what the guest sees.
  writeAll(w, w.root, '/secret', 'guest secret');
  assert.equal(readAll(w, w.root, '/data/sub/../../secret'), 'guest secret');
  assert.equal(w.vfs.resolve(w.ctx, w.root, '/data/sub/../..', true).dentry, w.ctx.root.dentry);
  w.untouched();
});

test('host symlinks pointing out resolve in the guest tree', (t) => {
  const w = world(t);
  nfs.symlinkSync(w.outside, join(w.shared, 'escape')); // absolute
  nfs.symlinkSync('../../../../../../../secret', join(w.shared, 'rel')); // relative, far up
  nfs.symlinkSync('../outside/passwd', join(w.shared, 'rel2'));
  nfs.symlinkSync('rel', join(w.shared, 'chain1'));
  nfs.symlinkSync('chain1', join(w.shared, 'chain2'));
  nfs.symlinkSync('sub/../escape/passwd', join(w.shared, 'chain3'));
  nfs.symlinkSync('loop2', join(w.shared, 'loop1'));
  nfs.symlinkSync('loop1', join(w.shared, 'loop2'));

  // lookup never follows: each is a symlink to the guest.
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/escape', false).type, 'symlink');
  for (const p of ['/data/escape/passwd', '/data/rel', '/data/rel2', '/data/chain2', '/data/chain3']) {
    assert.equal(thrownErrno(() => readAll(w, w.root, p)), 'ENOENT', p);
    assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.root, p, true, { perm: 0o777 })), 'ENOENT', p);
  }
  // O_CREAT through a dangling link creates its target, in the guest tree (the guest has no /tmp).
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/escape/passwd', 'pwned')), 'ENOENT');
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/rel2', 'pwned')), 'ENOENT');
  writeAll(w, w.root, '/data/chain2', 'made through a link');
  assert.equal(readAll(w, w.root, '/secret'), 'made through a link');
  w.vfs.unlinkAt(w.ctx, w.root, '/secret');
  assert.equal(thrownErrno(() => w.vfs.statAt(w.ctx, w.root, '/data/escape', true)), 'ENOENT');
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/loop1')), name(ELOOP));
  // Beneath /data (a WASI preopen), leaving is refused outright.
  assert.equal(thrownErrno(() => readAll(w, w.data, 'escape/passwd')), name(ENOTCAPABLE));
  assert.equal(thrownErrno(() => readAll(w, w.data, 'rel')), name(ENOTCAPABLE));
  assert.equal(thrownErrno(() => readAll(w, w.data, 'chain2')), name(ENOTCAPABLE));

  // The guest's own files at those paths are what the links lead to.
  w.vfs.mkdirAt(w.ctx, w.root, '/outside', 0o755);
  writeAll(w, w.root, '/outside/passwd', 'guest passwd');
  writeAll(w, w.root, '/secret', 'guest secret');
  let at = '';
  for (const part of w.outside.split('/').filter((s) => s !== '')) {
    at += `/${part}`;
    w.vfs.mkdirAt(w.ctx, w.root, at, 0o755);
  }
  writeAll(w, w.root, `${w.outside}/passwd`, 'guest copy');
  assert.equal(readAll(w, w.root, '/data/escape/passwd'), 'guest copy');
  assert.equal(readAll(w, w.root, '/data/rel'), 'guest secret');
  assert.equal(readAll(w, w.root, '/data/rel2'), 'guest passwd');
  assert.equal(readAll(w, w.root, '/data/chain2'), 'guest secret');
  assert.equal(readAll(w, w.root, '/data/chain3'), 'guest copy');
  writeAll(w, w.root, '/data/escape/passwd', 'written through the link');
  assert.equal(readAll(w, w.root, `${w.outside}/passwd`), 'written through the link');
  w.untouched();
});

test('symlinks the guest creates cannot lead out', (t) => {
  const w = world(t);
  w.vfs.symlinkAt(w.ctx, join(w.top, 'secret'), w.root, '/data/out');
  w.vfs.symlinkAt(w.ctx, '../secret', w.root, '/data/up');
  w.vfs.symlinkAt(w.ctx, w.outside, w.root, '/data/outdir');
  assert.equal(nfs.readlinkSync(join(w.shared, 'out')), join(w.top, 'secret'), 'stored verbatim on the host');
  for (const p of ['/data/out', '/data/up', '/data/outdir/passwd']) {
    assert.equal(thrownErrno(() => readAll(w, w.root, p)), 'ENOENT', p);
    assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.root, p, true, { perm: 0o777 })), 'ENOENT', p);
  }
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/out', 'pwned')), 'ENOENT');
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/outdir/passwd', 'pwned')), 'ENOENT');
  writeAll(w, w.root, '/data/up', 'lands in the guest root'); // ../secret from /data is the guest's /secret
  assert.equal(readAll(w, w.root, '/secret'), 'lands in the guest root');
  assert.equal(thrownErrno(() => w.vfs.mkdirAt(w.ctx, w.root, '/data/outdir/x', 0o755)), 'ENOENT');
  assert.equal(thrownErrno(() => w.vfs.renameAt(w.ctx, w.root, '/data/hello.txt', w.root, '/data/outdir/x')), 'ENOENT');
  assert.equal(thrownErrno(() => readAll(w, w.data, 'out')), name(ENOTCAPABLE));
  w.untouched();
});

test('linkAt only links what the guest tree names', (t) => {
  const w = world(t);
  writeAll(w, w.root, '/tmpfile', 'on tmpfs');
  // A source outside the mount: EXDEV, as Linux across mounts.
  assert.equal(thrownErrno(() => w.vfs.linkAt(w.ctx, w.root, '/tmpfile', w.root, '/data/l1', true)), name(EXDEV));
  // A host symlink whose target on the host is outside: followed in the guest tree, so it names the
  // tmpfs file (EXDEV), or nothing (ENOENT), never the host file.
  nfs.symlinkSync(join(w.top, 'secret'), join(w.shared, 'tosecret'));
  assert.equal(thrownErrno(() => w.vfs.linkAt(w.ctx, w.root, '/data/tosecret', w.root, '/data/l2', true)), 'ENOENT');
  nfs.symlinkSync('/tmpfile', join(w.shared, 'totmp'));
  assert.equal(thrownErrno(() => w.vfs.linkAt(w.ctx, w.root, '/data/totmp', w.root, '/data/l3', true)), name(EXDEV));
  assert.equal(thrownErrno(() => w.vfs.linkAt(w.ctx, w.data, '../tmpfile', w.data, 'l4', true)), name(ENOTCAPABLE));
  // Without following, the link itself is linked: still a symlink, still resolved by the guest.
  w.vfs.linkAt(w.ctx, w.root, '/data/tosecret', w.root, '/data/l5', false);
  assert.equal(nfs.readlinkSync(join(w.shared, 'l5')), join(w.top, 'secret'));
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/l5')), 'ENOENT');
  assert.ok(!['l1', 'l2', 'l3', 'l4'].some((n) => nfs.existsSync(join(w.shared, n))));
  assert.equal(nfs.statSync(join(w.top, 'secret')).nlink, 1);
  w.untouched();
});

test('a directory swapped for a symlink on the host after it was cached', (t) => {
  const w = world(t);
  assert.equal(readAll(w, w.root, '/data/dir/file.txt'), 'original dir'); // caches dir and its descriptor
  nfs.renameSync(join(w.shared, 'dir'), join(w.shared, 'dir.old'));
  nfs.symlinkSync(w.outside, join(w.shared, 'dir'));
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/dir/passwd')), 'ENOENT');
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/dir/passwd', 'pwned')), 'ENOENT');
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/dir/new', 'pwned')), 'ENOENT');
  assert.equal(thrownErrno(() => readAll(w, w.data, 'dir/passwd')), name(ENOTCAPABLE));
  assert.equal(readAll(w, w.root, '/data/dir.old/file.txt'), 'original dir');
  // Swapped for a directory outside by a bind-style rename: the old descriptor is not reused by name.
  nfs.unlinkSync(join(w.shared, 'dir'));
  nfs.mkdirSync(join(w.shared, 'dir'));
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/dir/file.txt')), 'ENOENT');
  w.untouched();
});

test('a directory swapped for a symlink in the middle of a walk', (t) => {
  let armed = false;
  let fired = 0;
  let shared = '';
  let outside = '';
  const w = world(t, {
    wrap: spying((method, args) => {
      // Right after the lookup of "dir" saw a directory, before the walk goes into it.
      if (armed && (method === 'lookup' || method === 'stillNames') && args[1] === 'dir') {
        armed = false;
        fired++;
        nfs.renameSync(join(shared, 'dir'), join(shared, `dir.old${fired}`));
        nfs.symlinkSync(outside, join(shared, 'dir'));
      }
    }),
  });
  shared = w.shared;
  outside = w.outside;

  // The directory was never opened: opening it by name finds the symlink, O_NOFOLLOW refuses it.
  armed = true;
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/dir/passwd')), name(ESTALE));
  armed = true;
  nfs.unlinkSync(join(w.shared, 'dir'));
  nfs.renameSync(join(w.shared, 'dir.old1'), join(w.shared, 'dir'));
  assert.equal(thrownErrno(() => writeAll(w, w.root, '/data/dir/passwd', 'pwned')), name(ESTALE));
  assert.equal(fired, 2);

  // The directory's descriptor was cached: the walk goes on in the very directory it looked up.
  nfs.unlinkSync(join(w.shared, 'dir'));
  nfs.renameSync(join(w.shared, 'dir.old2'), join(w.shared, 'dir'));
  assert.equal(readAll(w, w.root, '/data/dir/file.txt'), 'original dir');
  armed = true;
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/dir/passwd')), 'ENOENT');
  nfs.unlinkSync(join(w.shared, 'dir'));
  nfs.renameSync(join(w.shared, 'dir.old3'), join(w.shared, 'dir'));
  armed = true;
  assert.equal(readAll(w, w.root, '/data/dir/file.txt'), 'original dir');
  assert.equal(fired, 4);
  assert.ok(nfs.existsSync(join(w.shared, 'dir.old4', 'file.txt')), 'the walk read the moved directory');
  w.untouched();
});

test('host FIFOs and devices are never opened', (t) => {
  const w = world(t);
  execFileSync('mkfifo', [join(w.shared, 'fifo')]);
  assert.equal(w.vfs.statAt(w.ctx, w.root, '/data/fifo', true).type, 'fifo');
  assert.equal(thrownErrno(() => open(w, w.root, '/data/fifo', O_RDONLY)), name(ENXIO));
  assert.equal(thrownErrno(() => open(w, w.root, '/data/fifo', O_WRONLY)), name(ENXIO));
  // A regular file swapped for a FIFO between lookup and open must not block either.
  let armed = false;
  const w2 = world(t, {
    ...(w.lease !== null ? { lease: w.lease } : {}),
    wrap: spying((method, args) => {
      if (armed && (method === 'lookup' || method === 'stillNames') && args[1] === 'hello.txt') {
        armed = false;
        nfs.unlinkSync(join(w2.shared, 'hello.txt'));
        execFileSync('mkfifo', [join(w2.shared, 'hello.txt')]);
      }
    }),
  });
  armed = true;
  assert.equal(thrownErrno(() => open(w2, w2.root, '/data/hello.txt', O_RDONLY)), name(ESTALE));
  if (nfs.existsSync('/dev/null')) {
    // Only root may mknod; a bind of /dev/null's node is enough to see the refusal.
    try {
      execFileSync('mknod', [join(w.shared, 'null'), 'c', '1', '3'], { stdio: 'ignore' });
      assert.equal(thrownErrno(() => open(w, w.root, '/data/null', O_RDONLY)), name(EACCES));
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      t.diagnostic('mknod not permitted here: device check skipped');
    }
  }
});

test('a bounded cache of host descriptors', (t) => {
  let live = 0;
  let peak = 0;
  const opens = new Set(['openRoot', 'openDirAt', 'openAt', 'openPathAt', 'reopen']);
  const w = world(t, {
    maxHandles: 2,
    wrap: spying((method) => {
      if (opens.has(method)) peak = Math.max(peak, ++live);
      else if (method === 'close') live--;
    }),
  });
  nfs.mkdirSync(join(w.shared, 'a/b/c/d/e/f/g'), { recursive: true });
  nfs.writeFileSync(join(w.shared, 'a/b/c/d/e/f/g/deep.txt'), 'deep');
  for (let i = 0; i < 3; i++) assert.equal(readAll(w, w.root, '/data/a/b/c/d/e/f/g/deep.txt'), 'deep');
  assert.equal(readAll(w, w.root, '/data/sub/inner.txt'), 'inner');
  assert.equal(readAll(w, w.root, '/data/a/b/c/d/e/f/g/deep.txt'), 'deep');
  // Renamed by the guest while evicted: re-derived under its new name.
  w.vfs.renameAt(w.ctx, w.root, '/data/a/b/c', w.root, '/data/c2');
  assert.equal(readAll(w, w.root, '/data/sub/inner.txt'), 'inner');
  assert.equal(readAll(w, w.root, '/data/c2/d/e/f/g/deep.txt'), 'deep');
  w.vfs.statAt(w.ctx, w.root, '/data', true);
  assert.ok(w.fs.cachedHandles <= 2, `${w.fs.cachedHandles} cached`);
  // One walk may hold a descriptor per level until it ends; between operations the cache is bounded.
  assert.ok(live <= 1 + 2 + 1, `${live} host descriptors open`);
  assert.ok(peak <= 1 + 8 + 2, `peak ${peak}`);
  // A directory renamed by the host while evicted: ESTALE is not needed, it is simply gone.
  nfs.renameSync(join(w.shared, 'c2'), join(w.shared, 'c3'));
  assert.equal(thrownErrno(() => readAll(w, w.root, '/data/c2/d/e/f/g/deep.txt')), 'ENOENT');
  assert.equal(readAll(w, w.root, '/data/c3/d/e/f/g/deep.txt'), 'deep');
  w.fs.release();
  assert.equal(live, 0, 'release closes every descriptor');
});

/** Host descriptors of this process that refer to path (by /proc/self/fd's links). */
function hostFdsOn(path: string): number {
  let n = 0;
  for (const fd of nfs.readdirSync('/proc/self/fd')) {
    try {
      if (nfs.readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

test('open files share one host descriptor; none stays open for writing', (t) => {
  const w = world(t);
  const hello = join(w.shared, 'hello.txt');
  const readers = Array.from({ length: 20 }, () => open(w, w.root, '/data/hello.txt', O_RDONLY));
  assert.equal(hostFdsOn(hello), 1, 'twenty readers, one host descriptor');
  const writer = open(w, w.root, '/data/hello.txt', O_WRONLY);
  writer.pwrite(Buffer.from('J'), 0);
  const buf = new Uint8Array(5);
  assert.equal(readers[3]?.pread(buf, 0), 5);
  assert.equal(Buffer.from(buf).toString(), 'Jello');
  for (const r of readers) r.decRef();
  writer.decRef();
  assert.equal(hostFdsOn(hello), 1, 'a read-only handle stays cached for the next open');
  w.vfs.unlinkAt(w.ctx, w.root, '/data/hello.txt');
  assert.equal(hostFdsOn(`${hello} (deleted)`) + hostFdsOn(hello), 0, 'an unlinked file is let go');

  const rw = open(w, w.root, '/data/made', O_RDWR | O_CREAT);
  const again = open(w, w.root, '/data/made', O_RDONLY);
  assert.equal(hostFdsOn(join(w.shared, 'made')), 1);
  rw.write(Buffer.from('x'));
  rw.decRef();
  again.decRef();
  assert.equal(hostFdsOn(join(w.shared, 'made')), 0, 'no host descriptor open for writing after the last close');
  // The host can replace it at once (ETXTBSY would say otherwise for an executable).
  nfs.rmSync(join(w.shared, 'made'));
});

test('a read-only host directory refuses changes', (t) => {
  const w = world(t, { readOnly: true });
  assert.equal(readAll(w, w.root, '/data/hello.txt'), 'hello from the host');
  const rofs = name(EROFS);
  assert.equal(thrownErrno(() => open(w, w.root, '/data/hello.txt', O_WRONLY)), rofs);
  assert.equal(thrownErrno(() => open(w, w.root, '/data/new', O_WRONLY | O_CREAT)), rofs);
  assert.equal(thrownErrno(() => w.vfs.mkdirAt(w.ctx, w.root, '/data/d', 0o755)), rofs);
  assert.equal(thrownErrno(() => w.vfs.unlinkAt(w.ctx, w.root, '/data/hello.txt')), rofs);
  assert.equal(thrownErrno(() => w.vfs.setStatAt(w.ctx, w.root, '/data/hello.txt', true, { perm: 0o777 })), rofs);
  // Directly on the filesystem too, whatever the mount says.
  const dataDentry = w.fs.root();
  assert.equal(thrownErrno(() => w.fs.createFile(dataDentry, 'x', 0o644, { uid: 0, gid: 0 })), rofs);
  assert.equal(thrownErrno(() => dataDentry.children.get('hello.txt')?.inode.open(dataDentry, O_RDWR)), rofs);
  assert.deepEqual(nfs.readdirSync(w.shared).sort(), ['dir', 'hello.txt', 'sub']);
});

test('mount facts and errors that name Linux errnos', (t) => {
  const w = world(t);
  assert.equal(w.fs.fsType, '9p');
  assert.equal(w.fs.source, w.shared);
  assert.equal(w.fs.root().parent, null);
  assert.equal(thrownErrno(() => open(w, w.root, '/data/missing', O_RDONLY)), 'ENOENT');
  assert.equal(thrownErrno(() => open(w, w.root, '/data/sub', O_WRONLY)), name(EISDIR));
  assert.equal(thrownErrno(() => open(w, w.root, '/data/hello.txt/x', O_RDONLY)), 'ENOTDIR');
  assert.equal(thrownErrno(() => w.vfs.mkdirAt(w.ctx, w.root, '/data/hello.txt', 0o755)), name(EEXIST));
  assert.equal(thrownErrno(() => w.vfs.rmdirAt(w.ctx, w.root, '/data/sub')), name(ENOTEMPTY));
  assert.equal(thrownErrno(() => open(w, w.root, '/data/a\0b', O_RDONLY | O_CREAT)), 'EINVAL');
  assert.equal(thrownErrno(() => new HostDirFs({ dev: 3, host: new NodeHostDirectory(join(w.top, 'nope')), source: 'x' })), 'ENOENT');
  assert.equal(thrownErrno(() => new HostDirFs({ dev: 3, host: new NodeHostDirectory(join(w.top, 'secret')), source: 'x' })), 'ENOTDIR');
});
