import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dentry } from './dentry.js';
import { dentryPath, pathOf, pathUnder, rawPathOf, type PathDentry, type PathMount } from './dpath.js';
import type { Filesystem } from './filesystem.js';
import { Mount, MountNamespace } from './mount.js';
import { FakeFs } from './testing/fakefs.js';

function setup() {
  let id = 1;
  const fs = new FakeFs(1);
  const ns = new MountNamespace(new Mount(id++, fs, fs.root(), 0));
  const newMount = (f: Filesystem = new FakeFs(id + 100), root?: Dentry) => new Mount(id++, f, root ?? f.root(), 0);
  return { fs, ns, root: ns.rootDentry, top: ns.root, newMount };
}

test('paths inside the root mount and the root itself', () => {
  const { fs, root, top } = setup();
  const a = fs.add(fs.root(), 'a');
  const f = fs.add(a, 'f', 'reg');
  assert.equal(pathOf(root, { mount: top, dentry: f }), '/a/f');
  assert.equal(pathOf(root, { mount: top, dentry: a }), '/a');
  assert.equal(pathOf(root, root), '/');
});

test('crosses mount roots up through their mountpoints, stacked mounts included', () => {
  const { fs, root, top, newMount } = setup();
  const mnt = fs.add(fs.root(), 'mnt');
  const m1 = newMount();
  top.attach(m1, mnt);
  const d = (m1.fs as FakeFs).add(m1.root, 'd');
  const f = (m1.fs as FakeFs).add(d, 'f', 'reg');
  assert.equal(pathOf(root, { mount: m1, dentry: f }), '/mnt/d/f');
  const m2 = newMount();
  m1.attach(m2, m1.root); // stacked: on the first mount's root
  const g = (m2.fs as FakeFs).add(m2.root, 'g', 'reg');
  assert.equal(pathOf(root, { mount: m2, dentry: g }), '/mnt/g');
  assert.equal(pathOf(root, { mount: m2, dentry: m2.root }), '/mnt');
});

test('a bind mount of a subdirectory shows the mountpoint, not the source path', () => {
  const { fs, root, top, newMount } = setup();
  const sub = fs.add(fs.add(fs.root(), 'data'), 'sub');
  const f = fs.add(sub, 'f', 'reg');
  const bind = newMount(fs, sub);
  top.attach(bind, fs.add(fs.root(), 'b'));
  assert.equal(pathOf(root, { mount: bind, dentry: f }), '/b/f');
  assert.equal(pathOf(root, { mount: top, dentry: f }), '/data/sub/f');
});

test('an unlinked file gets " (deleted)" from pathOf, not from pathUnder', () => {
  const { fs, root, top } = setup();
  const tmp = fs.add(fs.root(), 'tmp');
  const f = fs.add(tmp, 'f', 'reg');
  tmp.children.delete('f');
  f.dead = true;
  assert.equal(pathOf(root, { mount: top, dentry: f }), '/tmp/f (deleted)');
  assert.equal(pathUnder(root, { mount: top, dentry: f }), '/tmp/f');
});

test('from a chroot: inside is relative to it, outside is the path from the namespace root', () => {
  const { fs, root, top, newMount } = setup();
  const jail = fs.add(fs.root(), 'jail');
  const etc = newMount();
  top.attach(etc, fs.add(jail, 'etc'));
  const passwd = (etc.fs as FakeFs).add(etc.root, 'passwd', 'reg');
  const outside = fs.add(fs.add(fs.root(), 'other'), 'x', 'reg');
  const jailRoot = { mount: top, dentry: jail };
  assert.equal(pathOf(jailRoot, { mount: etc, dentry: passwd }), '/etc/passwd');
  assert.equal(pathUnder(jailRoot, { mount: etc, dentry: passwd }), '/etc/passwd');
  assert.equal(pathOf(jailRoot, { mount: top, dentry: outside }), '/other/x');
  assert.deepEqual(rawPathOf(jailRoot, { mount: top, dentry: outside }), { path: '/other/x', reach: 'top' });
  assert.equal(pathUnder(jailRoot, { mount: top, dentry: outside }), null);
  assert.equal(pathOf(root, { mount: etc, dentry: passwd }), '/jail/etc/passwd');
});

test('a detached mount: the path from its own root', () => {
  const { fs, root, top, newMount } = setup();
  const m = newMount();
  top.attach(m, fs.add(fs.root(), 'mnt'));
  const f = (m.fs as FakeFs).add((m.fs as FakeFs).add(m.root, 'd'), 'f', 'reg');
  top.detach(m);
  assert.equal(pathOf(root, { mount: m, dentry: f }), '/d/f');
  assert.equal(pathUnder(root, { mount: m, dentry: f }), null);
});

test('a dentry moved out of a bind mount\'s subtree has escaped: "/"', () => {
  const { fs, root, top, newMount } = setup();
  const data = fs.add(fs.root(), 'data');
  const sub = fs.add(data, 'sub');
  const f = fs.add(sub, 'f', 'reg');
  const bind = newMount(fs, sub);
  top.attach(bind, fs.add(fs.root(), 'b'));
  sub.children.delete('f');
  f.parent = data; // renamed to /data/f behind the bind mount's back
  data.children.set('f', f);
  assert.deepEqual(rawPathOf(root, { mount: bind, dentry: f }), { path: '/', reach: 'escaped' });
  assert.equal(pathOf(root, { mount: bind, dentry: f }), '/');
});

test('dentryPath: the path inside the filesystem, mounts not crossed', () => {
  const { fs, top, newMount } = setup();
  const sub = fs.add(fs.add(fs.root(), 'data'), 'sub');
  const bind = newMount(fs, sub);
  top.attach(bind, fs.add(fs.root(), 'b'));
  assert.equal(dentryPath(fs.add(sub, 'f', 'reg')), '/data/sub/f');
  assert.equal(dentryPath(bind.root), '/data/sub');
  assert.equal(dentryPath(fs.root()), '/');
});

test('the walk reads only PathMount and PathDentry: plain records (as a saved graph gives) walk the same', () => {
  // A root filesystem with /mnt, a second filesystem mounted there holding d/f (unlinked).
  const fsRoot: PathDentry = { name: '/', parent: null, dead: false };
  const mnt: PathDentry = { name: 'mnt', parent: fsRoot, dead: false };
  const otherRoot: PathDentry = { name: '/', parent: null, dead: false };
  const d: PathDentry = { name: 'd', parent: otherRoot, dead: false };
  const f: PathDentry = { name: 'f', parent: d, dead: true };
  const top: PathMount = { root: fsRoot, parent: null, mountpoint: null };
  const m: PathMount = { root: otherRoot, parent: top, mountpoint: mnt };
  const root = { mount: top, dentry: fsRoot };
  assert.equal(pathOf(root, { mount: m, dentry: f }), '/mnt/d/f (deleted)');
  assert.equal(pathUnder({ mount: m, dentry: d }, { mount: top, dentry: mnt }), null);
  assert.deepEqual(rawPathOf({ mount: m, dentry: d }, { mount: top, dentry: mnt }), { path: '/mnt', reach: 'top' });
});
