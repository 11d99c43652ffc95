import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EINVAL, ENOSPC, EPERM } from '../../abi/errno.js';
import { MNT_NOSUID, MNT_READONLY } from '../../abi/mount.js';
import { O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_END, SEEK_SET } from '../../abi/open.js';
import { devMajor, devMinor, makeDev } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { MountNamespace } from '../../vfs/mount.js';
import { mountinfo } from '../../vfs/mountinfo.js';
import { VirtualFilesystem, type PathContext } from '../../vfs/vfs.js';
import { Tmpfs } from '../tmpfs/tmpfs.js';
import { Devfs } from './devfs.js';

const caller = { pid: 1, creds: { uid: 0, gid: 0 } };

function errno(n: number) {
  return (e: unknown) => e instanceof KernelError && e.errno === n;
}

function setup(opts: { shm?: boolean; devFlags?: number } = {}) {
  const vfs = new VirtualFilesystem();
  const now = () => 5n;
  const fills: number[] = [];
  const rootFs = new Tmpfs({ dev: makeDev(0, 30), now });
  const ns = new MountNamespace(vfs.newMount(rootFs, 0));
  const ctx: PathContext = { root: ns.rootDentry, caller };
  const start = { at: ns.rootDentry };
  vfs.mkdirAt(ctx, start, '/dev', 0o755);
  const devfs = new Devfs({
    dev: makeDev(0, 31),
    now,
    fill: (buf) => {
      fills.push(buf.length);
      buf.fill(7);
    },
    shm: opts.shm ?? false,
    sizeBytes: 65536 * 1024,
  });
  vfs.attach(vfs.resolve(ctx, start, '/dev', true), vfs.newMount(devfs, opts.devFlags ?? MNT_NOSUID));
  const open = (path: string, flags: number) => vfs.openAt(ctx, start, path, { flags, perm: 0o644 });
  const names = (path: string) => open(path, O_RDONLY).readdir(0).map((e) => e.name);
  return { vfs, ns, ctx, start, open, names, fills, rootFs };
}

test('/dev holds the five memory devices with Linux\'s numbers and modes; shm only when asked', () => {
  const s = setup();
  assert.deepEqual(s.names('/dev'), ['.', '..', 'null', 'zero', 'full', 'random', 'urandom']);
  const expected: Array<[string, number]> = [['null', 3], ['zero', 5], ['full', 7], ['random', 8], ['urandom', 9]];
  const inos = new Set<number>();
  for (const [name, minor] of expected) {
    const st = s.vfs.statAt(s.ctx, s.start, `/dev/${name}`, true);
    assert.equal(st.type, 'chr', name);
    assert.equal(st.perm, 0o666, name);
    assert.equal(devMajor(st.rdev), 1, name);
    assert.equal(devMinor(st.rdev), minor, name);
    assert.equal(st.dev, makeDev(0, 31));
    assert.equal(st.size, 0);
    inos.add(st.ino);
  }
  assert.equal(inos.size, 5);
  assert.deepEqual(setup({ shm: true }).names('/dev').slice(2), ['null', 'zero', 'full', 'random', 'urandom', 'shm']);
});

test('null: reads end of file, writes are swallowed, pread and lseek work', () => {
  const s = setup();
  const f = s.open('/dev/null', O_RDWR);
  assert.equal(f.read(new Uint8Array(10)), 0);
  assert.equal(f.write(new Uint8Array(1000)), 1000);
  assert.equal(f.pwrite(new Uint8Array(3), 12345), 3);
  assert.equal(f.pread(new Uint8Array(3), 99), 0);
  assert.equal(f.seek(0, SEEK_SET), 0);
  assert.equal(f.seek(0, SEEK_END), 0);
  assert.equal(f.read(new Uint8Array(10)), 0);
  // O_TRUNC and O_APPEND are accepted on a device and change nothing.
  assert.equal(s.open('/dev/null', O_WRONLY | O_TRUNC | O_APPEND).write(new Uint8Array(4)), 4);
});

test('zero: reads zeros, writes are swallowed', () => {
  const s = setup();
  const f = s.open('/dev/zero', O_RDWR);
  const buf = new Uint8Array(5000).fill(0xff);
  assert.equal(f.read(buf), 5000);
  assert.ok(buf.every((b) => b === 0));
  buf.fill(0xff);
  assert.equal(f.pread(buf.subarray(0, 10), 1 << 30), 10);
  assert.ok(buf.subarray(0, 10).every((b) => b === 0));
  assert.equal(f.write(new Uint8Array(7)), 7);
});

test('full: reads zeros, every write is ENOSPC', () => {
  const s = setup();
  const f = s.open('/dev/full', O_RDWR);
  const buf = new Uint8Array(16).fill(1);
  assert.equal(f.read(buf), 16);
  assert.ok(buf.every((b) => b === 0));
  assert.throws(() => f.write(new Uint8Array(1)), errno(ENOSPC));
  assert.throws(() => f.write(new Uint8Array(0)), errno(ENOSPC));
  assert.throws(() => f.pwrite(new Uint8Array(1), 0), errno(ENOSPC));
});

test('random and urandom: reads come from fill() in pieces it can take; writes are accepted', () => {
  for (const name of ['random', 'urandom']) {
    const s = setup();
    const f = s.open(`/dev/${name}`, O_RDWR);
    const buf = new Uint8Array(200_000);
    assert.equal(f.read(buf), buf.length);
    assert.ok(buf.every((b) => b === 7));
    assert.deepEqual(s.fills, [65536, 65536, 65536, 200_000 - 3 * 65536]);
    assert.equal(f.write(new Uint8Array(12)), 12);
    assert.equal(f.read(new Uint8Array(0)), 0);
  }
});

test('nothing can be created, linked, renamed or removed in /dev: EPERM', () => {
  const s = setup({ shm: true });
  assert.throws(() => s.open('/dev/foo', O_CREAT | O_WRONLY), errno(EPERM));
  assert.throws(() => s.vfs.mkdirAt(s.ctx, s.start, '/dev/pts', 0o755), errno(EPERM));
  assert.throws(() => s.vfs.symlinkAt(s.ctx, '/proc/self/fd', s.start, '/dev/fd'), errno(EPERM));
  assert.throws(() => s.vfs.unlinkAt(s.ctx, s.start, '/dev/null'), errno(EPERM));
  assert.throws(() => s.vfs.rmdirAt(s.ctx, s.start, '/dev/shm'), errno(EPERM));
  assert.throws(() => s.vfs.renameAt(s.ctx, s.start, '/dev/zero', s.start, '/dev/zero2'), errno(EPERM));
  assert.throws(() => s.vfs.linkAt(s.ctx, s.start, '/dev/zero', s.start, '/dev/zero2', false), errno(EPERM));
  // Opening an existing device with O_CREAT is fine.
  assert.equal(s.open('/dev/null', O_CREAT | O_WRONLY).write(new Uint8Array(1)), 1);
});

test('attributes: chmod works, truncate is EINVAL on a device', () => {
  const s = setup();
  s.vfs.setStatAt(s.ctx, s.start, '/dev/null', true, { perm: 0o600, mtimeNs: 9n });
  const st = s.vfs.statAt(s.ctx, s.start, '/dev/null', true);
  assert.equal(st.perm, 0o600);
  assert.equal(st.mtimeNs, 9n);
  assert.throws(() => s.vfs.setStatAt(s.ctx, s.start, '/dev/null', true, { size: 0 }), errno(EINVAL));
});

test('devices stay writable on a read-only /dev mount, as Linux\'s do', () => {
  const s = setup({ devFlags: MNT_READONLY });
  assert.equal(s.open('/dev/null', O_WRONLY).write(new Uint8Array(3)), 3);
});

test('the shm directory is a mountpoint for the pod\'s /dev/shm tmpfs', () => {
  const s = setup({ shm: true });
  const shm = new Tmpfs({ dev: makeDev(0, 32), now: () => 0n, source: 'shm', rootPerm: 0o1777 });
  s.vfs.attach(s.vfs.resolve(s.ctx, s.start, '/dev/shm', true), s.vfs.newMount(shm, 0));
  s.open('/dev/shm/seg', O_CREAT | O_RDWR).write(new Uint8Array([1, 2]));
  assert.deepEqual(s.names('/dev/shm'), ['.', '..', 'seg']);
  assert.equal(mountinfo(s.ns, s.ns.rootDentry), [
    '1 1 0:30 / / rw - tmpfs tmpfs rw,mode=755',
    '2 1 0:31 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755',
    '3 2 0:32 / /dev/shm rw - tmpfs shm rw,mode=1777',
    '',
  ].join('\n'));
});
