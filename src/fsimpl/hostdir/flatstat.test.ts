// The stat by path's flat case (vfs/resolve.ts filestatCachedName, hostdir's filestatCached and the
// host's prepared PathQuestion) against the walk's answer (VirtualFilesystem.filestatIfExists), the way
// path_filestat_get takes them: on random host trees of files, directories and symlinks (inside and out
// of the host directory), tmpfs mounts on names inside it (seed 002's overmount), renames and removals by
// the guest and by the host, and names a guest may pass ('', '.', '..', 'a/b', '/a', NUL, too long).
// Wherever the flat case answers, the walk answers the same; it never answers for anything else.
import assert from 'node:assert/strict';
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { O_DIRECTORY, O_RDONLY } from '../../abi/open.js';
import type { FileType, Stat } from '../../abi/stat.js';
import { wasiFiletype } from '../../abi/wasi.js';
import { KernelError } from '../../base/error.js';
import { NodeHostDirectory } from '../../host/hostdir.js';
import { scratch } from '../../host/testing/scratch.js';
import type { VirtualDentry } from '../../vfs/mount.js';
import { filestatCachedName } from '../../vfs/resolve.js';
import { VirtualFilesystem, type PathContext, type PathStart } from '../../vfs/vfs.js';
import { Tmpfs } from '../tmpfs/tmpfs.js';
import type { HostDirectoryAccess, HostFilestatQuestion } from './host.js';
import { HostDirFs } from './hostdir.js';

/** The names the host tree and the guest's operations use, and what a guest may pass besides. */
const NAMES = ['a', 'b', 'c', 'd', 'sub'] as const;
const ODD_NAMES = ['', '.', '..', 'a/', '/a', 'sub/a', 'a\0b', 'x'.repeat(300)];
/** Symlink targets: in the host directory, out of it (relative and absolute), missing, looping. */
const TARGETS = ['a', 'sub', 'sub/a', '../outside/secret', '/outside/secret', '/data/a', 'missing', 'loop'];

type Op =
  | { kind: 'hostFile'; name: string; size: number }
  | { kind: 'hostDir'; name: string }
  | { kind: 'hostLink'; name: string; target: string }
  | { kind: 'hostRemove'; name: string }
  | { kind: 'hostRename'; from: string; to: string }
  | { kind: 'hostHardLink'; from: string; to: string }
  | { kind: 'guestRename'; from: string; to: string }
  | { kind: 'guestUnlink'; name: string }
  | { kind: 'mount'; name: string }
  | { kind: 'unmountAll' }
  | { kind: 'walk'; name: string; follow: boolean }
  | { kind: 'stat'; name: string; follow: boolean; swap: boolean; inSub: boolean };

const name = fc.constantFrom(...NAMES);
const anyName = fc.oneof({ weight: 5, arbitrary: name }, { weight: 1, arbitrary: fc.constantFrom(...ODD_NAMES) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hostFile' as const), name, size: fc.nat(40) }) },
  fc.record({ kind: fc.constant('hostDir' as const), name }),
  fc.record({ kind: fc.constant('hostLink' as const), name, target: fc.constantFrom(...TARGETS) }),
  fc.record({ kind: fc.constant('hostRemove' as const), name }),
  fc.record({ kind: fc.constant('hostRename' as const), from: name, to: name }),
  fc.record({ kind: fc.constant('hostHardLink' as const), from: name, to: name }),
  fc.record({ kind: fc.constant('guestRename' as const), from: name, to: name }),
  fc.record({ kind: fc.constant('guestUnlink' as const), name }),
  fc.record({ kind: fc.constant('mount' as const), name }),
  fc.constant({ kind: 'unmountAll' as const }),
  fc.record({ kind: fc.constant('walk' as const), name: anyName, follow: fc.boolean() }),
  fc.record({ kind: fc.constant('stat' as const), name: anyName, follow: fc.boolean(), swap: fc.boolean(), inSub: fc.boolean() }),
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('stat' as const), name, follow: fc.boolean(), swap: fc.constant(false), inSub: fc.boolean() }) },
);

/** WASI's filestat fields from its bytes, or from a Stat. */
function fields(r: Uint8Array | Stat): Record<string, bigint> {
  if (r instanceof Uint8Array) {
    const v = new DataView(r.buffer, r.byteOffset, 64);
    const u = (o: number): bigint => v.getBigUint64(o, true);
    return { dev: u(0), ino: u(8), type: BigInt(v.getUint8(16)), nlink: u(24), size: u(32), atim: u(40), mtim: u(48), ctim: u(56) };
  }
  return {
    dev: BigInt(r.dev), ino: BigInt(r.ino), type: BigInt(wasiFiletype(r.type)), nlink: BigInt(r.nlink), size: BigInt(r.size),
    atim: r.atimeNs, mtim: r.mtimeNs, ctim: r.ctimeNs,
  };
}

/** The walk's answer as fields, null for no such name, or the errno it throws. */
function walked(vfs: VirtualFilesystem, ctx: PathContext, start: PathStart, path: string, follow: boolean): Record<string, bigint> | null | string {
  try {
    const r = vfs.filestatIfExists(ctx, start, path, follow);
    return r === null ? null : fields(r);
  } catch (e) {
    if (e instanceof KernelError) return `errno ${e.errno}`;
    throw e;
  }
}

/** filestatCachedName's answer as fields, null when it leaves the answer to the walk, or the errno it throws. */
function flat(start: PathStart, path: string, follow: boolean): Record<string, bigint> | null | string {
  try {
    const r = filestatCachedName(start.at, path, follow);
    return r === null ? null : fields(r);
  } catch (e) {
    if (e instanceof KernelError) return `errno ${e.errno}`;
    throw e;
  }
}

interface World {
  shared: string;
  vfs: VirtualFilesystem;
  ctx: PathContext;
  data: PathStart;
  /** Host objects the guest must never see a stat of: outside the host directory. */
  forbidden: Set<bigint>;
  /** Arms a host change made the moment the next prepared question asks the host (between check and use). */
  swapNext(change: () => void): void;
  release(): void;
}

/** A tmpfs root with the host directory top/shared mounted at /data; top/outside beside it. */
function world(top: string): World {
  const shared = join(top, 'shared');
  const outside = join(top, 'outside');
  nfs.mkdirSync(shared);
  nfs.mkdirSync(outside);
  nfs.writeFileSync(join(outside, 'secret'), 'HOST-SECRET');
  const forbidden = new Set([BigInt(nfs.statSync(outside).ino), BigInt(nfs.statSync(join(outside, 'secret')).ino), BigInt(nfs.statSync(top).ino)]);
  let pending: (() => void) | null = null;
  const real = new NodeHostDirectory(shared);
  // Every prepared question runs the armed change just before it asks: a race between the VFS's checks
  // and the host's answer, made to happen at the worst moment.
  const question = (dir: number, n: string, dev: number, ino: number, type: FileType): HostFilestatQuestion | null => {
    const q = real.filestatQuestion(dir, n, dev, ino, type);
    if (q === null) return null;
    return {
      dir: q.dir,
      name: q.name,
      filestat: () => {
        const change = pending;
        pending = null;
        change?.();
        return q.filestat();
      },
    };
  };
  const host = new Proxy(real, {
    get: (target, prop): unknown => {
      if (prop === 'filestatQuestion') return question;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as HostDirectoryAccess;
  const vfs = new VirtualFilesystem();
  const rootMount = vfs.newMount(new Tmpfs({ dev: 1, now: () => 1_000_000_000n }), 0);
  const ctx: PathContext = { root: { mount: rootMount, dentry: rootMount.root }, caller: { pid: 1, creds: { uid: 0, gid: 0 } } };
  const root: PathStart = { at: ctx.root };
  vfs.mkdirAt(ctx, root, '/data', 0o755);
  const fs = new HostDirFs({ dev: 2, host, source: shared });
  vfs.attach(vfs.resolve(ctx, root, '/data', true), vfs.newMount(fs, 0));
  const data: PathStart = { at: vfs.resolve(ctx, root, '/data', true), beneath: true };
  return { shared, vfs, ctx, data, forbidden, swapNext: (c) => (pending = c), release: () => fs.release() };
}

/** Makes the host path p a symlink to target, in one rename (never absent meanwhile). */
function swapToLink(p: string, target: string): void {
  const tmp = `${p}.swap`;
  nfs.rmSync(tmp, { force: true, recursive: true });
  nfs.symlinkSync(target, tmp);
  nfs.rmSync(p, { force: true, recursive: true });
  nfs.renameSync(tmp, p);
}

function applyOp(w: World, o: Op, mounts: VirtualDentry[], quiet: (f: () => void) => void): void {
  const at = (n: string): string => join(w.shared, n);
  switch (o.kind) {
    case 'hostFile':
      return quiet(() => {
        nfs.rmSync(at(o.name), { force: true, recursive: true });
        nfs.writeFileSync(at(o.name), 'x'.repeat(o.size));
      });
    case 'hostDir':
      return quiet(() => {
        nfs.rmSync(at(o.name), { force: true, recursive: true });
        nfs.mkdirSync(at(o.name));
        nfs.writeFileSync(join(at(o.name), 'a'), 'inner');
      });
    case 'hostLink':
      return quiet(() => swapToLink(at(o.name), o.target));
    case 'hostRemove':
      return quiet(() => nfs.rmSync(at(o.name), { force: true, recursive: true }));
    case 'hostRename':
      return quiet(() => nfs.renameSync(at(o.from), at(o.to)));
    case 'hostHardLink':
      return quiet(() => {
        nfs.rmSync(at(o.to), { force: true, recursive: true });
        nfs.linkSync(at(o.from), at(o.to));
      });
    case 'guestRename':
      return quiet(() => w.vfs.renameAt(w.ctx, w.data, o.from, w.data, o.to));
    case 'guestUnlink':
      return quiet(() => w.vfs.unlinkAt(w.ctx, w.data, o.name));
    case 'mount':
      return quiet(() => {
        const vd = w.vfs.resolve(w.ctx, w.data, o.name, false);
        if (vd.dentry.inode.type !== 'dir') return;
        const m = w.vfs.newMount(new Tmpfs({ dev: 9, now: () => 1_000_000_000n }), 0);
        w.vfs.attach(vd, m);
        mounts.push(vd);
      });
    case 'unmountAll':
      for (const vd of mounts.splice(0)) {
        const top = vd.mount.mountOn(vd.dentry);
        if (top !== undefined) vd.mount.detach(top);
      }
      return;
    case 'walk':
      walked(w.vfs, w.ctx, w.data, o.name, o.follow);
      return;
    case 'stat':
      return;
  }
}

test('the flat stat answers only where the walk gives the same answer, on random trees, mounts, races and names', (t) => {
  let answered = 0;
  let checks = 0;
  fc.assert(
    fc.property(fc.array(op, { minLength: 5, maxLength: 40 }), (ops) => {
      const top = scratch('flatstat', t);
      const w = world(top);
      const mounts: VirtualDentry[] = [];
      const quiet = (f: () => void): void => {
        try {
          f();
        } catch (e) {
          if (!(e instanceof KernelError) && !(e instanceof Error && 'code' in e)) throw e;
        }
      };
      // A directory the guest holds open, as a dirfd: stats start there too, whatever the host or the
      // guest does to its name meanwhile.
      nfs.mkdirSync(join(w.shared, 'sub'));
      const sub = w.vfs.openAt(w.ctx, w.data, 'sub', { flags: O_RDONLY | O_DIRECTORY, perm: 0 });
      const inSub: PathStart = { at: sub.vd, beneath: true };
      try {
        nfs.writeFileSync(join(w.shared, 'a'), 'first');
        // The host's prepared questions come once its path instance is made (host/wasistat.ts).
        for (let i = 0; i < 40; i++) walked(w.vfs, w.ctx, w.data, 'a', false);
        for (const o of ops) {
          applyOp(w, o, mounts, quiet);
          if (o.kind !== 'stat') continue;
          const start = o.inSub ? inSub : w.data;
          if (o.swap) w.swapNext(() => quiet(() => swapToLink(join(w.shared, o.name), '../outside/secret')));
          const got = flat(start, o.name, o.follow);
          w.swapNext(() => {});
          const want = walked(w.vfs, w.ctx, start, o.name, o.follow);
          checks++;
          if (got === null) continue;
          answered++;
          assert.deepEqual(got, want, `${JSON.stringify(o.name)} follow=${o.follow}: the flat answer is the walk's`);
          if (typeof got !== 'string') assert.ok(!w.forbidden.has(got.ino as bigint), 'never a stat of a host object outside the host directory');
        }
      } finally {
        sub.decRef();
        applyOp(w, { kind: 'unmountAll' }, mounts, quiet);
        w.release();
      }
    }),
    { numRuns: 100 },
  );
  assert.ok(answered > checks / 10, `the flat case answered often enough to be tested (${answered} of ${checks})`);
});

test('the flat stat never answers for a name it has no cached child for, a mountpoint, or a symlink to follow', (t) => {
  const w = world(scratch('flatstat', t));
  t.after(() => w.release());
  nfs.writeFileSync(join(w.shared, 'f'), 'file');
  nfs.mkdirSync(join(w.shared, 'd'));
  nfs.symlinkSync('f', join(w.shared, 'l'));
  const warm = (n: string, follow: boolean): Uint8Array | null => {
    for (let i = 0; i < 40; i++) walked(w.vfs, w.ctx, w.data, n, follow);
    return filestatCachedName(w.data.at, n, follow);
  };
  assert.equal(filestatCachedName(w.data.at, 'f', false), null, 'nothing cached yet');
  assert.notEqual(warm('f', false), null, 'a cached file');
  assert.notEqual(warm('l', false), null, 'a cached symlink, not followed: its own stat');
  assert.equal(warm('l', true), null, 'a symlink to follow: the walk reads it');
  assert.notEqual(warm('d', false), null, 'a cached directory');
  w.vfs.attach(w.vfs.resolve(w.ctx, w.data, 'd', false), w.vfs.newMount(new Tmpfs({ dev: 9, now: () => 1n }), 0));
  assert.equal(warm('d', false), null, 'a mountpoint: the walk goes on to the mount');
  for (const odd of ODD_NAMES) assert.equal(filestatCachedName(w.data.at, odd, false), null, JSON.stringify(odd));
  // Swapped for a symlink out of the host directory on the host: never confirmed.
  swapToLink(join(w.shared, 'f'), '../outside/secret');
  assert.equal(filestatCachedName(w.data.at, 'f', false), null, 'the host swapped a symlink in');
  assert.equal(filestatCachedName(w.data.at, 'f', true), null);
});

test("a prepared question answers only for its own name, and only while its directory's path is the one it was made from", (t) => {
  const w = world(scratch('flatstat', t));
  t.after(() => w.release());
  const at = (...p: string[]): string => join(w.shared, ...p);
  const warm = (start: PathStart, n: string): void => {
    for (let i = 0; i < 40; i++) walked(w.vfs, w.ctx, start, n, false);
  };
  // The guest renames a to b; the host links the object back as a and removes b. A question made for a
  // would find the very object at a; b names nothing now.
  nfs.writeFileSync(at('a'), 'file');
  warm(w.data, 'a');
  assert.notEqual(flat(w.data, 'a', false), null, 'a question is prepared for a');
  w.vfs.renameAt(w.ctx, w.data, 'a', w.data, 'b');
  nfs.linkSync(at('b'), at('a'));
  nfs.rmSync(at('b'));
  assert.equal(flat(w.data, 'b', false), null, 'b is gone: not answered by the question for a');
  assert.equal(walked(w.vfs, w.ctx, w.data, 'b', false), null);
  // A held directory the guest renames (its path here changes from sub to moved); the host makes a new
  // sub holding a link to the same file, and removes the held one's.
  nfs.mkdirSync(at('sub'));
  nfs.writeFileSync(at('sub', 'x'), 'inner');
  const held = w.vfs.openAt(w.ctx, w.data, 'sub', { flags: O_RDONLY | O_DIRECTORY, perm: 0 });
  t.after(() => held.decRef());
  const inHeld: PathStart = { at: held.vd, beneath: true };
  warm(inHeld, 'x');
  assert.notEqual(flat(inHeld, 'x', false), null, 'a question is prepared for sub/x');
  w.vfs.renameAt(w.ctx, w.data, 'sub', w.data, 'moved');
  nfs.mkdirSync(at('sub'));
  nfs.linkSync(at('moved', 'x'), at('sub', 'x'));
  nfs.rmSync(at('moved', 'x'));
  assert.equal(flat(inHeld, 'x', false), null, 'x is gone from the held directory: not answered by the old path');
  assert.equal(walked(w.vfs, w.ctx, inHeld, 'x', false), null);
});
