import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EACCES, ENOENT, EPERM } from '../../abi/errno.js';
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_RELATIME } from '../../abi/mount.js';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../abi/open.js';
import { makeDev } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { pathOf } from '../../vfs/dpath.js';
import type { FileDescription } from '../../vfs/file.js';
import { MountNamespace, type VirtualDentry } from '../../vfs/mount.js';
import { mountinfo, mounts } from '../../vfs/mountinfo.js';
import { VirtualFilesystem, type PathContext } from '../../vfs/vfs.js';
import { Devfs } from '../dev/devfs.js';
import { Tmpfs } from '../tmpfs/tmpfs.js';
import { Procfs } from './procfs.js';
import type { ProcFd, ProcSource } from './source.js';

function errno(n: number) {
  return (e: unknown) => e instanceof KernelError && e.errno === n;
}

/** Processes as a kernel would show them: fd tables of real descriptions, named with pathOf. */
class FakeProcesses implements ProcSource {
  readonly alive: number[] = [2, 1];
  readonly files = new Map<number, Map<number, FileDescription | string>>();
  readonly #ns: MountNamespace;
  readonly #root: VirtualDentry;

  constructor(ns: MountNamespace, root: VirtualDentry) {
    this.#ns = ns;
    this.#root = root;
  }

  pids(): number[] {
    return [...this.alive];
  }

  mountinfo(pid: number): string | null {
    return this.alive.includes(pid) ? mountinfo(this.#ns, this.#root) : null;
  }

  mounts(pid: number): string | null {
    return this.alive.includes(pid) ? mounts(this.#ns, this.#root) : null;
  }

  fds(pid: number): ProcFd[] | null {
    if (!this.alive.includes(pid)) return null;
    const out: ProcFd[] = [];
    for (const [fd, f] of this.files.get(pid) ?? []) {
      if (typeof f === 'string') out.push({ fd, target: f });
      else out.push({ fd, target: pathOf(this.#root, f.vd), readable: f.readable, writable: f.writable });
    }
    return out;
  }

  cwd(pid: number): string | null {
    return this.alive.includes(pid) ? (pid === 1 ? '/data' : '/') : null;
  }

  owner(pid: number): { uid: number; gid: number } | null {
    return pid === 2 ? { uid: 1000, gid: 1001 } : null;
  }
}

function setup() {
  const vfs = new VirtualFilesystem();
  const now = () => 1n;
  const ns = new MountNamespace(vfs.newMount(new Tmpfs({ dev: makeDev(0, 30), now }), 0));
  const root = ns.rootDentry;
  const as = (pid: number): PathContext => ({ root, caller: { pid, creds: { uid: 0, gid: 0 } } });
  const ctx = as(1);
  const start = { at: root };
  for (const d of ['/proc', '/dev', '/data', '/tmp', '/mnt']) vfs.mkdirAt(ctx, start, d, 0o755);
  const processes = new FakeProcesses(ns, root);
  const procfs = new Procfs({ dev: makeDev(0, 40), now, processes });
  const at = (p: string) => vfs.resolve(ctx, start, p, true);
  vfs.attach(at('/proc'), vfs.newMount(procfs, MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_RELATIME));
  vfs.attach(at('/dev'), vfs.newMount(new Devfs({ dev: makeDev(0, 41), now, fill: (b) => b.fill(1) }), MNT_NOSUID));
  const open = (path: string, flags = O_RDONLY, c = ctx) => vfs.openAt(c, start, path, { flags, perm: 0o644 });
  const x = open('/data/x', O_CREAT | O_RDWR);
  x.write(new TextEncoder().encode('hello'));
  const gone = open('/tmp/f', O_CREAT | O_WRONLY);
  vfs.unlinkAt(ctx, start, '/tmp/f');
  processes.files.set(1, new Map<number, FileDescription | string>([
    [0, open('/dev/null')],
    [1, 'pipe:[7]'],
    [3, x],
    [4, gone],
  ]));
  processes.files.set(2, new Map([[0, open('/dev/null', O_RDWR)]]));
  const names = (path: string, c = ctx) => open(path, O_RDONLY | O_DIRECTORY, c).readdir(0).map((e) => e.name);
  const readAll = (f: FileDescription, chunk = 7) => {
    const parts: Uint8Array[] = [];
    for (;;) {
      const buf = new Uint8Array(chunk);
      const n = f.read(buf);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
    }
    return new TextDecoder().decode(Buffer.concat(parts));
  };
  return { vfs, ns, root, as, ctx, start, processes, procfs, at, open, names, readAll };
}

test('/proc/self names the caller\'s pid; a caller outside the namespace gets ENOENT', () => {
  const s = setup();
  assert.equal(s.vfs.readlinkAt(s.as(1), s.start, '/proc/self'), '1');
  assert.equal(s.vfs.readlinkAt(s.as(2), s.start, '/proc/self'), '2');
  assert.throws(() => s.vfs.readlinkAt(s.as(99), s.start, '/proc/self'), errno(ENOENT));
  const one = s.vfs.statAt(s.as(1), s.start, '/proc/self/mountinfo', true);
  const two = s.vfs.statAt(s.as(2), s.start, '/proc/self/mountinfo', true);
  assert.equal(one.ino, s.vfs.statAt(s.ctx, s.start, '/proc/1/mountinfo', true).ino);
  assert.equal(two.ino, s.vfs.statAt(s.ctx, s.start, '/proc/2/mountinfo', true).ino);
  assert.notEqual(one.ino, two.ino);
  assert.equal(s.vfs.statAt(s.ctx, s.start, '/proc/self', false).type, 'symlink');
});

test('/proc lists self, mounts and the live pids in order; /proc/<pid> its entries', () => {
  const s = setup();
  assert.deepEqual(s.names('/proc'), ['.', '..', 'self', 'mounts', '1', '2']);
  assert.deepEqual(s.names('/proc/1'), ['.', '..', 'fd', 'cwd', 'mounts', 'mountinfo']);
  assert.deepEqual(s.names('/proc/self', s.as(2)), ['.', '..', 'fd', 'cwd', 'mounts', 'mountinfo']);
  assert.equal(s.vfs.readlinkAt(s.ctx, s.start, '/proc/1/cwd'), '/data');
  assert.equal(s.vfs.readlinkAt(s.ctx, s.start, '/proc/mounts'), 'self/mounts');
  for (const bad of ['01', '+1', '3', '1x', 'thread-self']) {
    assert.throws(() => s.at(`/proc/${bad}`), errno(ENOENT), bad);
  }
});

test('fd/ lists the open descriptors as links to their paths, deleted and pseudo files included', () => {
  const s = setup();
  const entries = s.open('/proc/1/fd', O_RDONLY).readdir(0);
  assert.deepEqual(entries.map((e) => [e.name, e.type]), [
    ['.', 'dir'], ['..', 'dir'], ['0', 'symlink'], ['1', 'symlink'], ['3', 'symlink'], ['4', 'symlink'],
  ]);
  const link = (p: string, c = s.ctx) => s.vfs.readlinkAt(c, s.start, p);
  assert.equal(link('/proc/1/fd/0'), '/dev/null');
  assert.equal(link('/proc/1/fd/1'), 'pipe:[7]');
  assert.equal(link('/proc/1/fd/3'), '/data/x');
  assert.equal(link('/proc/self/fd/4'), '/tmp/f (deleted)');
  assert.equal(link('/proc/self/fd/0', s.as(2)), '/dev/null');
  assert.equal(s.vfs.statAt(s.ctx, s.start, '/proc/1/fd/0', false).perm, 0o500);
  assert.equal(s.vfs.statAt(s.ctx, s.start, '/proc/1/fd/4', false).perm, 0o300);
  assert.equal(s.vfs.statAt(s.ctx, s.start, '/proc/2/fd/0', false).perm, 0o700);
  // Following the link opens the file it names.
  assert.equal(s.readAll(s.open('/proc/self/fd/3')), 'hello');
  // A closed fd disappears.
  s.processes.files.get(1)?.delete(3);
  assert.throws(() => link('/proc/1/fd/3'), errno(ENOENT));
  assert.deepEqual(s.names('/proc/1/fd').slice(2), ['0', '1', '4']);
});

test('mountinfo read through a file description: the table from the reader\'s root, fixed at open', () => {
  const s = setup();
  const f = s.open('/proc/self/mountinfo');
  const expected = [
    '1 1 0:30 / / rw - tmpfs tmpfs rw,mode=755',
    '2 1 0:40 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
    '3 1 0:41 / /dev rw,nosuid - tmpfs tmpfs rw,mode=755',
    '',
  ].join('\n');
  assert.equal(s.readAll(f), expected);
  const half = s.open('/proc/1/mountinfo');
  const head = new Uint8Array(10);
  assert.equal(half.read(head), 10);
  s.vfs.attach(s.at('/mnt'), s.vfs.newMount(new Tmpfs({ dev: makeDev(0, 42), now: () => 0n }), 0));
  assert.equal(new TextDecoder().decode(head) + s.readAll(half), expected, 'one consistent snapshot');
  assert.equal(s.readAll(s.open('/proc/1/mountinfo')), expected + '4 1 0:42 / /mnt rw - tmpfs tmpfs rw,mode=755\n');
  const buf = new Uint8Array(5);
  assert.equal(f.pread(buf, 2), 5);
  assert.equal(new TextDecoder().decode(buf), '1 0:3');
  const st = s.vfs.statAt(s.ctx, s.start, '/proc/1/mountinfo', true);
  assert.equal(st.type, 'reg');
  assert.equal(st.perm, 0o444);
  assert.equal(st.size, 0);
  assert.equal(st.dev, makeDev(0, 40));
});

test('/proc/mounts follows self/mounts to the caller\'s table in the older format', () => {
  const s = setup();
  assert.equal(s.readAll(s.open('/proc/mounts')), [
    'tmpfs / tmpfs rw,mode=755 0 0',
    'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
    'tmpfs /dev tmpfs rw,nosuid,mode=755 0 0',
    '',
  ].join('\n'));
});

test('read-only: writing is EACCES, creating EACCES, other changes EPERM', () => {
  const s = setup();
  assert.throws(() => s.open('/proc/1/mountinfo', O_WRONLY), errno(EACCES));
  assert.throws(() => s.open('/proc/1/mountinfo', O_RDWR | O_TRUNC), errno(EACCES));
  assert.throws(() => s.open('/proc/new', O_CREAT | O_WRONLY), errno(EACCES));
  assert.throws(() => s.open('/proc/1/new', O_CREAT | O_WRONLY), errno(EACCES));
  assert.throws(() => s.vfs.mkdirAt(s.ctx, s.start, '/proc/x', 0o755), errno(EPERM));
  assert.throws(() => s.vfs.symlinkAt(s.ctx, '1', s.start, '/proc/me'), errno(EPERM));
  assert.throws(() => s.vfs.unlinkAt(s.ctx, s.start, '/proc/self'), errno(EPERM));
  assert.throws(() => s.vfs.unlinkAt(s.ctx, s.start, '/proc/1/fd/0'), errno(EPERM));
  assert.throws(() => s.vfs.rmdirAt(s.ctx, s.start, '/proc/1/fd'), errno(EPERM));
  assert.throws(() => s.vfs.setStatAt(s.ctx, s.start, '/proc/1/mountinfo', true, { perm: 0o666 }), errno(EPERM));
  s.vfs.setStatAt(s.ctx, s.start, '/proc/1/mountinfo', true, { mtimeNs: 5n }); // accepted, forgotten
});

test('inode numbers and dentries are stable per (pid, file)', () => {
  const s = setup();
  const ino = (p: string) => s.vfs.statAt(s.ctx, s.start, p, false).ino;
  const all = ['/proc', '/proc/self', '/proc/mounts', '/proc/1', '/proc/1/fd', '/proc/1/fd/0', '/proc/1/fd/1',
    '/proc/1/cwd', '/proc/1/mounts', '/proc/1/mountinfo', '/proc/2', '/proc/2/fd/0', '/proc/2/mountinfo'];
  const first = all.map(ino);
  assert.equal(new Set(first).size, all.length, 'all different');
  s.names('/proc');
  s.names('/proc/1/fd');
  assert.deepEqual(all.map(ino), first);
  const listed = s.open('/proc/1/fd').readdir(0).find((e) => e.name === '1');
  assert.equal(listed?.ino, ino('/proc/1/fd/1'));
  assert.equal(s.at('/proc/1/mountinfo').dentry, s.at('/proc/1/mountinfo').dentry);
  assert.equal(s.at('/proc/self').dentry.parent, s.procfs.root());
});

test('a process that exits: its directory goes, an open one lists ENOENT, its dentries are dead', () => {
  const s = setup();
  const dir = s.open('/proc/2', O_RDONLY | O_DIRECTORY);
  const info = s.at('/proc/2/mountinfo');
  assert.equal(s.vfs.statAt(s.ctx, s.start, '/proc/2', true).uid, 1000);
  assert.equal(s.vfs.statAt(s.ctx, s.start, '/proc/2/fd', true).gid, 1001);
  s.processes.alive.splice(s.processes.alive.indexOf(2), 1);
  assert.throws(() => s.at('/proc/2'), errno(ENOENT));
  assert.throws(() => dir.readdir(0), errno(ENOENT));
  assert.throws(() => s.vfs.openAt(s.ctx, { at: dir.vd }, 'mountinfo', { flags: O_RDONLY, perm: 0 }), errno(ENOENT));
  assert.ok(dir.vd.dentry.dead);
  assert.ok(info.dentry.dead);
  assert.deepEqual(s.names('/proc'), ['.', '..', 'self', 'mounts', '1']);
  assert.throws(() => s.vfs.readlinkAt(s.as(2), s.start, '/proc/self'), errno(ENOENT));
});
