// Checkpoint and restore of a host directory through the state codec: a tmpfs root with a hostdir
// mounted at /host, files open on it, saved with encodeGraph and serialize, loaded with decodeGraph
// against the same directory, a copy of it, a changed one, or an emptied one (ghosts). The root object
// is the test's own (a mount tree, open files, a working directory); the rest are the real declarations.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_SYNC, O_WRONLY } from '../../abi/open.js';
import { thrownErrno } from '../../base/testing/errno.js';
import { NodeHostDirectory } from '../../host/hostdir.js';
import { bindHostDir } from '../../host/hostdir_mount.js';
import { scratch } from '../../host/testing/scratch.js';
import { decodeGraph, encodeGraph, list, ref, Registry, savable, serialize, StateError, struct } from '../../state/index.js';
import { Dentry } from '../../vfs/dentry.js';
import { CLOCK_KEY, type RealtimeClock } from '../../vfs/external.js';
import { FileDescription } from '../../vfs/file.js';
import { Mount, type VirtualDentry } from '../../vfs/mount.js';
import { VirtualFilesystem, type PathContext } from '../../vfs/vfs.js';
import { TmpfsInode, TmpfsRegularFile } from '../tmpfs/inode.js';
import { directoryFileOps } from '../../vfs/file.js';
import { Tmpfs } from '../tmpfs/tmpfs.js';
import { hostdirSavables, hostDirResolver, RestoreError, type HostDirBinding } from './checkpoint.js';
import { HostDirFs } from './hostdir.js';

const CALLER = { pid: 1, creds: { uid: 0, gid: 0 } };

/** The test's root object: a mount tree, open files (in fd order) and a working directory. */
class World {
  readonly root: Mount;
  readonly files: FileDescription[];
  readonly cwd: VirtualDentry;

  constructor(root: Mount, files: FileDescription[], cwd: VirtualDentry) {
    this.root = root;
    this.files = files;
    this.cwd = cwd;
  }

  get ctx(): PathContext {
    return { root: { mount: this.root, dentry: this.root.root }, caller: CALLER };
  }

  static readonly saved = savable(World, {
    name: 'test.World',
    version: 1,
    fields: { root: ref(Mount), files: list(ref(FileDescription)), cwd: struct({ mount: ref(Mount), dentry: ref(Dentry) }) },
    save: (w) => w,
    create: (v, r) => new World(r.ref(v.root), [], { mount: r.ref(v.cwd.mount), dentry: r.ref(v.cwd.dentry) }),
    fill: (w, v) => {
      w.files.push(...v.files);
    },
  });
}

/** The VFS's and tmpfs's own declarations, hostdir's, and the test's root. */
const registry = new Registry([
  World.saved,
  Mount.saved,
  Dentry.saved,
  FileDescription.saved,
  Tmpfs.saved,
  TmpfsInode.saved,
  TmpfsRegularFile.saved,
  directoryFileOps,
  ...hostdirSavables(),
]);

const CLOCK: RealtimeClock = { realtimeNs: () => BigInt(Date.now()) * 1_000_000n };

const A = 'hello world';
const LOG = '0123456789ab';

/** A host directory: a.txt, log.txt, sub/b.txt, sub/c.txt. */
function hostTree(t: TestContext): { top: string; dir: string } {
  const top = scratch('hostdir-ckpt', t);
  const dir = join(top, 'vol');
  nfs.mkdirSync(join(dir, 'sub'), { recursive: true });
  nfs.writeFileSync(join(dir, 'a.txt'), A);
  nfs.writeFileSync(join(dir, 'log.txt'), LOG);
  nfs.writeFileSync(join(dir, 'sub', 'b.txt'), 'bee');
  nfs.writeFileSync(join(dir, 'sub', 'c.txt'), 'sea');
  return { top, dir };
}

/** A running "pod": the VFS over a tmpfs root, the host directory at /host as `volume:data`. */
interface Live {
  vfs: VirtualFilesystem;
  world: World;
  fs: HostDirFs;
  open(path: string, flags: number): FileDescription;
}

function boot(dir: string, opts: { key?: string | null } = {}): Live {
  const vfs = new VirtualFilesystem();
  const rootMount = vfs.newMount(new Tmpfs({ dev: 1, now: () => 0n }), 0);
  const world = new World(rootMount, [], { mount: rootMount, dentry: rootMount.root });
  const start = { at: { mount: rootMount, dentry: rootMount.root } };
  vfs.mkdirAt(world.ctx, start, '/host', 0o755);
  const key = opts.key === undefined ? 'volume:data' : opts.key;
  const fs = new HostDirFs({ dev: 2, host: new NodeHostDirectory(dir), source: dir, ...(key !== null ? { key } : {}) });
  vfs.attach(vfs.resolve(world.ctx, start, '/host', true), vfs.newMount(fs, 0));
  const open = (path: string, flags: number): FileDescription => {
    const f = vfs.openAt(world.ctx, start, path, { flags, perm: 0o644 });
    world.files.push(f);
    return f;
  };
  return { vfs, world, fs, open };
}

/** Closes the files and the filesystem, as a pod that stopped after its checkpoint. */
function stop(world: World): void {
  for (const f of world.files) f.decRef();
  world.files.length = 0;
  const fs = hostdirOf(world);
  fs.release();
}

function hostdirOf(world: World): HostDirFs {
  const m = world.root.children[0] as Mount;
  assert.ok(m.fs instanceof HostDirFs);
  return m.fs;
}

function checkpoint(world: World): Uint8Array {
  return serialize(encodeGraph(registry, world));
}

function restore(t: TestContext, bytes: Uint8Array, dir: string): World {
  const binding = bindHostDir(dir);
  const w = load(bytes, binding);
  t.after(() => stop(w));
  return w;
}

function load(bytes: Uint8Array, binding: HostDirBinding): World {
  const hostdirs = hostDirResolver((key) => (key === 'volume:data' ? binding : undefined));
  return decodeGraph(registry, bytes, { root: World, externals: (k) => (k.kind === CLOCK_KEY.kind ? CLOCK : hostdirs(k)) });
}

function read(f: FileDescription, n = 100): string {
  const buf = new Uint8Array(n);
  return Buffer.from(buf.subarray(0, f.read(buf))).toString();
}

function pread(f: FileDescription, offset = 0, n = 100): string {
  const buf = new Uint8Array(n);
  return Buffer.from(buf.subarray(0, f.pread(buf, offset))).toString();
}

function write(f: FileDescription, text: string): void {
  assert.equal(f.write(Buffer.from(text)), Buffer.byteLength(text));
}

/**
 * This process's descriptors that a pod on top could hold: those on top or below it, and on "/" (the
 * stat instance's preopen, host/wasistat.ts). Not all of /proc/self/fd: Node and tsx open and close
 * their own (pipes, event fds) in the background, which made a plain count fail now and then under load.
 */
function openFds(top: string): string[] {
  const held: string[] = [];
  for (const fd of nfs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = nfs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (the listing's own descriptor among them)
    }
    if (target === '/' || target === top || target.startsWith(`${top}/`)) held.push(target);
  }
  return held.sort();
}

/** The usual open files: a.txt read-write at offset 6 and appending, sub/b.txt, log.txt O_SYNC, sub/. */
function openUsual(live: Live): void {
  const a = live.open('/host/a.txt', O_RDWR);
  assert.equal(read(a, 6), 'hello ');
  live.open('/host/a.txt', O_WRONLY | O_APPEND); // shares a.txt's read-write handle
  const b = live.open('/host/sub/b.txt', O_RDONLY);
  assert.equal(read(b, 1), 'b');
  live.open('/host/log.txt', O_RDWR | O_SYNC); // a host descriptor of its own
  live.open('/host/sub', O_RDONLY | O_DIRECTORY);
  const cwd = live.vfs.resolve(live.world.ctx, { at: live.world.cwd }, '/host/sub', true);
  (live.world as { cwd: VirtualDentry }).cwd = cwd;
}

test('restored against the same directory, files read and write the same host files at their offsets', (t) => {
  const { top, dir } = hostTree(t);
  const fds = openFds(top);
  const live = boot(dir);
  openUsual(live);
  assert.ok(openFds(top).length >= fds.length + 3, 'the pod holds descriptors on the volume (the count sees them)');
  const bytes = checkpoint(live.world);
  assert.ok(!Buffer.from(bytes).includes(Buffer.from(dir)), 'the image names the host directory by its path');
  stop(live.world);
  assert.deepEqual(openFds(top), fds, 'descriptors left open by the stopped pod');

  nfs.writeFileSync(join(dir, 'sub', 'c.txt'), 'changed, but not open: no matter');
  const w = restore(t, bytes, dir);
  const [a, append, b, log, sub] = w.files as [FileDescription, FileDescription, FileDescription, FileDescription, FileDescription];
  assert.equal(read(a), 'world');
  write(append, '!');
  assert.equal(nfs.readFileSync(join(dir, 'a.txt'), 'utf8'), 'hello world!');
  a.seek(0, 0);
  write(a, 'HELLO');
  assert.equal(nfs.readFileSync(join(dir, 'a.txt'), 'utf8'), 'HELLO world!');
  assert.equal(read(b), 'ee');
  write(log, 'XY');
  assert.equal(nfs.readFileSync(join(dir, 'log.txt'), 'utf8'), 'XY23456789ab');
  assert.deepEqual(sub.readdir(0).map((e) => e.name).sort(), ['.', '..', 'b.txt', 'c.txt']);
  assert.equal(a.stat().ino, Number(nfs.statSync(join(dir, 'a.txt')).ino));
  assert.equal(a.stat().dev, 2);
  assert.equal(a.inode, append.inode);

  // The working directory resolves on the host again.
  const viaCwd = new VirtualFilesystem().openAt(w.ctx, { at: w.cwd }, 'c.txt', { flags: O_RDONLY, perm: 0 });
  assert.equal(read(viaCwd), 'changed, but not open: no matter');
  viaCwd.decRef();
  assert.equal(hostdirOf(w).source, dir);
});

test('a checkpoint of an unchanged restore is the same bytes', (t) => {
  const { dir } = hostTree(t);
  const live = boot(dir);
  openUsual(live);
  const bytes = checkpoint(live.world);
  stop(live.world);
  const w = restore(t, bytes, dir);
  assert.deepEqual(checkpoint(w), bytes);
});

test('restored with the key bound to a copy of the directory, files reach the copy', (t) => {
  const { top, dir } = hostTree(t);
  const live = boot(dir);
  openUsual(live);
  const bytes = checkpoint(live.world);
  stop(live.world);

  const copy = join(top, 'copy');
  execFileSync('cp', ['-a', dir, copy]); // keeps the times to the nanosecond
  const w = restore(t, bytes, copy);
  const [a, , b, log] = w.files as [FileDescription, FileDescription, FileDescription, FileDescription];
  assert.equal(read(a), 'world');
  write(a, '?');
  write(log, 'Z');
  assert.equal(nfs.readFileSync(join(copy, 'a.txt'), 'utf8'), 'hello world?');
  assert.equal(nfs.readFileSync(join(copy, 'log.txt'), 'utf8'), 'Z123456789ab');
  assert.equal(nfs.readFileSync(join(dir, 'a.txt'), 'utf8'), A);
  assert.equal(nfs.readFileSync(join(dir, 'log.txt'), 'utf8'), LOG);
  assert.equal(read(b), 'ee');
  assert.equal(a.stat().ino, Number(nfs.statSync(join(copy, 'a.txt')).ino));
  assert.equal(hostdirOf(w).source, copy);
});

test('a file open at the checkpoint that changed on the host refuses the restore, naming it', (t) => {
  const { top, dir } = hostTree(t);
  const live = boot(dir);
  openUsual(live);
  const bytes = checkpoint(live.world);
  stop(live.world);

  const fds = openFds(top);
  nfs.appendFileSync(join(dir, 'log.txt'), 'cde');
  const binding = bindHostDir(dir);
  assert.throws(
    () => load(bytes, binding),
    (e: unknown) => {
      assert.ok(e instanceof RestoreError, String(e));
      assert.ok(e instanceof StateError);
      assert.match(e.message, /^volume data: \/log\.txt changed since the checkpoint \(size 12 → 15, mtime \S+Z → \S+Z\)$/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
  binding.abandon();
  assert.deepEqual(openFds(top), fds, 'descriptors left open by the abandoned restore');

  // Same size, another mtime.
  nfs.writeFileSync(join(dir, 'log.txt'), LOG);
  nfs.utimesSync(join(dir, 'log.txt'), 1_000_000, 1_000_000);
  assert.throws(() => load(bytes, bindHostDir(dir)), {
    name: 'RestoreError',
    message: /^volume data: \/log\.txt changed since the checkpoint \(mtime \S+ → 1970-01-12T13:46:40\.000000000Z\)$/,
  });

  // Gone, or another type.
  nfs.rmSync(join(dir, 'sub', 'b.txt'));
  assert.throws(() => load(bytes, bindHostDir(dir)), { name: 'RestoreError', message: /^volume data: \/(log\.txt changed|sub\/b\.txt was open at the checkpoint and no longer exists)/ });
  nfs.rmSync(join(dir, 'log.txt'));
  nfs.rmSync(join(dir, 'sub'), { recursive: true });
  nfs.mkdirSync(join(dir, 'log.txt'));
  assert.throws(() => load(bytes, bindHostDir(dir)), {
    name: 'RestoreError',
    message: /^volume data: \/(log\.txt was a file open at the checkpoint and is now a directory|sub\/b\.txt was open at the checkpoint and no longer exists)$/,
  });
  assert.throws(() => load(bytes, bindHostDir(join(dir, 'nowhere'))), {
    name: 'RestoreError',
    message: new RegExp(`^volume data: cannot open the host directory ${dir}/nowhere: ENOENT`),
  });
});

test('a file unlinked while open is a ghost: its contents come back with nlink 0, with the host directory wiped', (t) => {
  const { dir } = hostTree(t);
  const live = boot(dir);
  const pattern = Buffer.alloc(7001 + 3 * 4096);
  for (let i = 0; i < 7001; i++) pattern[i] = (i * 7 + 3) & 0xff; // then three pages of zeros: a hole
  const g = live.open('/host/g', O_RDWR | O_CREAT);
  g.pwrite(pattern, 0);
  const g2 = live.open('/host/g', O_RDONLY);
  assert.equal(read(g2, 10).length, 10);
  live.world.files.push(g2); // one description twice (dup): one offset
  g2.incRef();
  live.vfs.unlinkAt(live.world.ctx, { at: live.world.cwd }, '/host/g');
  const h = live.open('/host/sub/b.txt', O_WRONLY);
  nfs.unlinkSync(join(dir, 'sub', 'b.txt')); // by a host process: the guest's dentry does not know
  assert.equal(g.stat().nlink, 0);
  const bytes = checkpoint(live.world);
  stop(live.world);

  nfs.rmSync(dir, { recursive: true });
  nfs.mkdirSync(dir);
  const w = restore(t, bytes, dir);
  const [rg, rg2, rg2dup, rh] = w.files as [FileDescription, FileDescription, FileDescription, FileDescription];
  assert.equal(rg2, rg2dup);
  assert.equal(rg.inode, rg2.inode, 'two descriptions of one ghost share its inode');
  const st = rg.stat();
  assert.equal(st.nlink, 0);
  assert.equal(st.size, pattern.length);
  assert.equal(st.type, 'reg');
  assert.equal(rg2.offset, 10);
  const back = new Uint8Array(pattern.length);
  assert.equal(rg2.pread(back, 0), pattern.length);
  assert.deepEqual(Buffer.from(back), pattern);
  rg.pwrite(Buffer.from('Q'), 1);
  assert.equal(pread(rg2, 0, 3), String.fromCharCode(pattern[0] as number) + 'Q' + String.fromCharCode(pattern[2] as number));
  rg.setStat({ size: 5 });
  assert.equal(rg2.stat().size, 5);
  assert.deepEqual(nfs.readdirSync(dir), [], 'a ghost wrote to the host');
  assert.equal(thrownErrno(() => new VirtualFilesystem().statAt(w.ctx, { at: w.cwd }, '/host/g', false)), 'ENOENT');

  // The file a host process unlinked: a ghost too, its dentry no longer in the tree.
  assert.equal(rh.stat().nlink, 0);
  assert.equal(rh.stat().size, 3);
  write(rh, 'B');
  assert.equal(thrownErrno(() => new VirtualFilesystem().statAt(w.ctx, { at: w.cwd }, '/host/sub/b.txt', false)), 'ENOENT');

  // Saved again, a ghost stays a ghost.
  const again = restore(t, checkpoint(w), dir);
  assert.equal((again.files[0] as FileDescription).stat().size, 5);
  assert.equal((again.files[0] as FileDescription).inode, (again.files[1] as FileDescription).inode);
});

test('a file renamed or linked away on the host while open is a ghost; the host file it became is left alone', (t) => {
  const { dir } = hostTree(t);
  const live = boot(dir);
  const renamed = live.open('/host/a.txt', O_RDWR);
  const relinked = live.open('/host/log.txt', O_RDWR);
  nfs.renameSync(join(dir, 'a.txt'), join(dir, 'moved.txt'));
  nfs.linkSync(join(dir, 'log.txt'), join(dir, 'kept.txt'));
  nfs.unlinkSync(join(dir, 'log.txt'));
  nfs.writeFileSync(join(dir, 'log.txt'), 'another file');
  assert.equal(read(renamed), A);
  const bytes = checkpoint(live.world);
  stop(live.world);

  const w = restore(t, bytes, dir);
  const [ra, rl] = w.files as [FileDescription, FileDescription];
  assert.equal(pread(ra), A);
  assert.equal(ra.offset, A.length);
  write(ra, '+');
  assert.equal(pread(ra), A + '+');
  assert.equal(nfs.readFileSync(join(dir, 'moved.txt'), 'utf8'), A);
  assert.equal(ra.stat().nlink, 1, 'the link count the host had');
  assert.equal(thrownErrno(() => new VirtualFilesystem().statAt(w.ctx, { at: w.cwd }, '/host/a.txt', false)), 'ENOENT');

  assert.equal(pread(rl), LOG);
  write(rl, 'W');
  assert.equal(nfs.readFileSync(join(dir, 'kept.txt'), 'utf8'), LOG);
  assert.equal(nfs.readFileSync(join(dir, 'log.txt'), 'utf8'), 'another file');
  // The name now leads to the host's new file, not to the ghost.
  const byName = new VirtualFilesystem().openAt(w.ctx, { at: w.cwd }, '/host/log.txt', { flags: O_RDONLY, perm: 0 });
  assert.equal(read(byName), 'another file');
  assert.notEqual(byName.inode, rl.inode);
  byName.decRef();
});

test('a file whose open name the guest unlinked after linking it elsewhere is reopened by its other name (seed 003)', (t) => {
  const { dir } = hostTree(t);
  const live = boot(dir);
  const ctx = live.world.ctx;
  const at = { at: live.world.cwd };
  const f = live.open('/host/sem.A', O_RDWR | O_CREAT);
  write(f, 'semaphore');
  live.vfs.linkAt(ctx, at, '/host/sem.A', at, '/host/sem.B', false);
  live.vfs.unlinkAt(ctx, at, '/host/sem.A');
  assert.equal(f.stat().nlink, 1);
  const bytes = checkpoint(live.world);
  stop(live.world);

  const w = restore(t, bytes, dir);
  const rf = w.files[0] as FileDescription;
  assert.equal(rf.stat().nlink, 1);
  assert.equal(rf.stat().ino, Number(nfs.statSync(join(dir, 'sem.B')).ino));
  write(rf, '!');
  assert.equal(nfs.readFileSync(join(dir, 'sem.B'), 'utf8'), 'semaphore!');
  assert.ok(!nfs.existsSync(join(dir, 'sem.A')));
});

test('a working directory removed on the host before the restore is no obstacle: names under it are ENOENT', (t) => {
  const { dir } = hostTree(t);
  const live = boot(dir);
  (live.world as { cwd: VirtualDentry }).cwd = live.vfs.resolve(live.world.ctx, { at: live.world.cwd }, '/host/sub', true);
  const bytes = checkpoint(live.world);
  stop(live.world);
  nfs.rmSync(join(dir, 'sub'), { recursive: true });
  const w = restore(t, bytes, dir);
  assert.equal(thrownErrno(() => new VirtualFilesystem().statAt(w.ctx, { at: w.cwd }, 'b.txt', false)), 'ENOENT');
  nfs.mkdirSync(join(dir, 'sub'));
  nfs.writeFileSync(join(dir, 'sub', 'new'), 'new');
  assert.equal(new VirtualFilesystem().statAt(w.ctx, { at: w.cwd }, '/host/sub/new', false).size, 3);
});

test('a host directory mounted without a key cannot be checkpointed', (t) => {
  const { dir } = hostTree(t);
  const live = boot(dir, { key: null });
  t.after(() => stop(live.world));
  assert.throws(() => checkpoint(live.world), {
    name: 'StateError',
    message: /World\.root.*: hostdir\.Filesystem save\(\) failed: the host directory .* was mounted without a key/,
  });
});
