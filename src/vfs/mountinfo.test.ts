import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MNT_LOCK_ATIME, MNT_LOCK_NODEV, MNT_LOCK_NOEXEC, MNT_LOCK_NOSUID, MNT_LOCK_READONLY, MNT_LOCKED, MNT_NODEV, MNT_NOEXEC, MNT_NOSUID,
  MNT_READONLY, MNT_RELATIME,
} from '../abi/mount.js';
import { makeDev } from '../abi/stat.js';
import type { Dentry } from './dentry.js';
import type { Filesystem } from './filesystem.js';
import { Mount, MountNamespace } from './mount.js';
import { escapeMountField, mountinfo, mountinfoEntry, mountLocks, mountOptions, mounts, tmpfsSuperOptions } from './mountinfo.js';
import { FakeFs } from './testing/fakefs.js';

/** A namespace whose root mount (id 1) is a tmpfs on 0:30; mounts get ids 2, 3, ... */
function setup() {
  let id = 1;
  const fs = new FakeFs(makeDev(0, 30), { superOptions: 'mode=755' });
  const ns = new MountNamespace(new Mount(id++, fs, fs.root(), MNT_RELATIME));
  const newMount = (f: Filesystem, flags = MNT_RELATIME, root?: Dentry) => new Mount(id++, f, root ?? f.root(), flags);
  return { fs, ns, root: ns.rootDentry, top: ns.root, newMount };
}

test('a container\'s usual mounts, with per-mount flags in Linux\'s order and super options', () => {
  const { fs, ns, root, top, newMount } = setup();
  const dev = fs.add(fs.root(), 'dev');
  const devfs = new FakeFs(makeDev(0, 31), { superOptions: 'size=65536k,mode=755' });
  const devMount = newMount(devfs, MNT_NOSUID);
  top.attach(devMount, dev);
  const shm = newMount(new FakeFs(makeDev(0, 32), { source: 'shm', superOptions: 'size=65536k' }),
    MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_RELATIME);
  devMount.attach(shm, devfs.add(devfs.root(), 'shm'));
  const proc = newMount(new FakeFs(makeDev(0, 33), { fsType: 'proc', source: 'proc' }),
    MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_RELATIME);
  top.attach(proc, fs.add(fs.root(), 'proc'));
  const data = newMount(new FakeFs(makeDev(8, 17), { fsType: 'ext4', source: '/dev/sdb1', readOnly: true }), MNT_READONLY);
  top.attach(data, fs.add(fs.root(), 'data'));
  assert.equal(mountinfo(ns, root), [
    '1 1 0:30 / / rw,relatime - tmpfs tmpfs rw,mode=755',
    '2 1 0:31 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755',
    '3 2 0:32 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k',
    '4 1 0:33 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
    '5 1 8:17 / /data ro - ext4 /dev/sdb1 ro',
    '',
  ].join('\n'));
  assert.equal(mounts(ns, root), [
    'tmpfs / tmpfs rw,relatime,mode=755 0 0',
    'tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755 0 0',
    'shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k 0 0',
    'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
    '/dev/sdb1 /data ext4 ro 0 0',
    '',
  ].join('\n'));
});

test('a read-only filesystem on a writable mount: rw per mount, ro in super options; ro in mounts', () => {
  const { fs, ns, root, top, newMount } = setup();
  top.attach(newMount(new FakeFs(makeDev(0, 40), { readOnly: true, source: '' }), 0), fs.add(fs.root(), 'ro'));
  const lines = mountinfo(ns, root).split('\n');
  assert.equal(lines[1], '2 1 0:40 / /ro rw - tmpfs none ro');
  assert.equal(mounts(ns, root).split('\n')[1], 'none /ro tmpfs ro 0 0');
});

test('two mounts stacked on one mountpoint: the second\'s parent is the first, both at /mnt', () => {
  const { fs, ns, root, top, newMount } = setup();
  const mnt = fs.add(fs.root(), 'mnt');
  const a = newMount(new FakeFs(makeDev(0, 41)));
  top.attach(a, mnt);
  const b = newMount(new FakeFs(makeDev(0, 42)));
  a.attach(b, a.root);
  assert.equal(mountinfo(ns, root), [
    '1 1 0:30 / / rw,relatime - tmpfs tmpfs rw,mode=755',
    '2 1 0:41 / /mnt rw,relatime - tmpfs tmpfs rw',
    '3 2 0:42 / /mnt rw,relatime - tmpfs tmpfs rw',
    '',
  ].join('\n'));
});

test('a mount covered by a later mount on its parent directory is still listed (/mnt/x, then /mnt)', () => {
  const { fs, ns, root, top, newMount } = setup();
  const mnt = fs.add(fs.root(), 'mnt');
  const x = newMount(new FakeFs(makeDev(0, 43)));
  top.attach(x, fs.add(mnt, 'x'));
  const over = newMount(new FakeFs(makeDev(0, 44)));
  top.attach(over, mnt);
  assert.equal(mountinfo(ns, root), [
    '1 1 0:30 / / rw,relatime - tmpfs tmpfs rw,mode=755',
    '2 1 0:43 / /mnt/x rw,relatime - tmpfs tmpfs rw',
    '3 1 0:44 / /mnt rw,relatime - tmpfs tmpfs rw',
    '',
  ].join('\n'));
});

test('a bind mount shows its root inside the filesystem; an unlinked one "//deleted"', () => {
  const { fs, ns, root, top, newMount } = setup();
  const sub = fs.add(fs.add(fs.root(), 'data'), 'sub');
  top.attach(newMount(fs, 0, sub), fs.add(fs.root(), 'b'));
  const gone = fs.add(fs.root(), 'gone', 'reg');
  top.attach(newMount(fs, 0, gone), fs.add(fs.root(), 'f', 'reg'));
  fs.root().children.delete('gone');
  gone.dead = true;
  const lines = mountinfo(ns, root).split('\n');
  assert.equal(lines[1], '2 1 0:30 /data/sub /b rw - tmpfs tmpfs rw,mode=755');
  assert.equal(lines[2], '3 1 0:30 /gone//deleted /f rw - tmpfs tmpfs rw,mode=755');
});

test('from a chroot, mounts outside the root are left out and mountpoints are relative to it', () => {
  const { fs, ns, top, newMount } = setup();
  const jail = fs.add(fs.root(), 'jail');
  top.attach(newMount(new FakeFs(makeDev(0, 45))), fs.add(jail, 'tmp'));
  top.attach(newMount(new FakeFs(makeDev(0, 46))), fs.add(fs.root(), 'outside'));
  assert.equal(mountinfo(ns, { mount: top, dentry: jail }), '2 1 0:45 / /tmp rw,relatime - tmpfs tmpfs rw\n');
});

test('a detached mount is left out', () => {
  const { fs, ns, root, top, newMount } = setup();
  const m = newMount(new FakeFs(makeDev(0, 47)));
  top.attach(m, fs.add(fs.root(), 'mnt'));
  const under = newMount(new FakeFs(makeDev(0, 48)));
  m.attach(under, (m.fs as FakeFs).add(m.root, 'd'));
  top.detach(m);
  assert.equal(mountinfo(ns, root), '1 1 0:30 / / rw,relatime - tmpfs tmpfs rw,mode=755\n');
});

test('spaces, tabs, newlines and backslashes are escaped in octal', () => {
  assert.equal(escapeMountField('a b\tc\nd\\e'), 'a\\040b\\011c\\012d\\134e');
  const { fs, ns, root, top, newMount } = setup();
  top.attach(newMount(new FakeFs(makeDev(0, 49), { source: 'my src' })), fs.add(fs.root(), 'my dir'));
  assert.equal(mountinfo(ns, root).split('\n')[1], '2 1 0:49 / /my\\040dir rw,relatime - tmpfs my\\040src rw');
});

test('major:minor decode large device numbers', () => {
  const { fs, ns, root, top, newMount } = setup();
  top.attach(newMount(new FakeFs(makeDev(259, 65536))), fs.add(fs.root(), 'nvme'));
  assert.match(mountinfo(ns, root).split('\n')[1] as string, /^2 1 259:65536 \/ \/nvme /);
});

test('mountinfoEntry: one line as fields, unescaped, with how far the mountpoint\'s walk got', () => {
  const { fs, top, newMount } = setup();
  const jail = fs.add(fs.root(), 'jail');
  const m = newMount(new FakeFs(makeDev(0, 50), { source: 'my src', superOptions: 'mode=1777' }), MNT_NOSUID | MNT_READONLY);
  top.attach(m, fs.add(fs.root(), 'my dir'));
  const inJail = { mount: top, dentry: jail };
  assert.deepEqual(mountinfoEntry(m, { mount: top, dentry: fs.root() }), {
    id: 2, parentId: 1, root: '/', mountpoint: { path: '/my dir', reach: 'root' }, options: 'ro,nosuid',
    fstype: 'tmpfs', source: 'my src', superOptions: 'rw,mode=1777',
  });
  assert.deepEqual(mountinfoEntry(m, inJail).mountpoint, { path: '/my dir', reach: 'top' });
  assert.equal(mountinfoEntry(top, inJail).parentId, 1);
});

test('mountinfoEntry reads only MountinfoMount: a plain record (as a saved graph gives) reads the same', () => {
  const root = { name: '/', parent: null, dead: false };
  const fs = { fsType: '9p', source: '', readOnly: true, superOptions: () => 'trans=fd' };
  const top = { id: 7, flags: 0, parent: null, mountpoint: null, root, fs };
  assert.deepEqual(mountinfoEntry(top, { mount: top, dentry: root }), {
    id: 7, parentId: 7, root: '/', mountpoint: { path: '/', reach: 'root' }, options: 'rw', fstype: '9p', source: 'none', superOptions: 'ro,trans=fd',
  });
});

test('mountOptions, mountLocks and tmpfsSuperOptions name flags in Linux\'s order', () => {
  assert.equal(mountOptions(0), 'rw');
  assert.equal(mountOptions(MNT_READONLY | MNT_NOEXEC | MNT_NOSUID | MNT_RELATIME), 'ro,nosuid,noexec,relatime');
  assert.deepEqual(mountLocks(MNT_NOSUID), []);
  assert.deepEqual(mountLocks(MNT_LOCKED | MNT_LOCK_ATIME | MNT_LOCK_READONLY | MNT_LOCK_NOSUID), ['readonly', 'nosuid', 'atime', 'umount']);
  assert.deepEqual(mountLocks(MNT_LOCK_NODEV | MNT_LOCK_NOEXEC), ['nodev', 'noexec']);
  assert.equal(tmpfsSuperOptions(undefined, 0o755), 'mode=755');
  assert.equal(tmpfsSuperOptions(64 * 1024 * 1024, 0o1777), 'size=65536k,mode=1777');
  assert.equal(tmpfsSuperOptions(1500, 0o7), 'size=1k,mode=007');
});
