// A container's /dev, like the tmpfs that runc and runsc mount there and fill with mknod (or Linux's
// devtmpfs): the memory devices of devices.ts and, when asked, an empty `shm` directory on which the
// pod's /dev/shm tmpfs is mounted. Its tree is fixed once built (see Devfs).
import { EINVAL, EISDIR } from '../../abi/errno.js';
import { S_IALLUGO, type FileType, type SetStat, type Stat } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { bigInt, external, int, oneOf, opt, ref, savable, str } from '../../state/index.js';
import { Dentry } from '../../vfs/dentry.js';
import { CLOCK_KEY, fillOf, nowOf, RANDOM_KEY, type RandomSource, type RealtimeClock } from '../../vfs/external.js';
import { DIRECTORY_FILE_OPS, type FileOps } from '../../vfs/file.js';
import { Filesystem, Inode, type DirEntry } from '../../vfs/filesystem.js';
import { tmpfsSuperOptions } from '../../vfs/mountinfo.js';
import { MEM_DEVICES, openMemDevice, type FillRandom, type MemDeviceName } from './devices.js';

export interface DevfsOptions {
  /** st_dev of every inode. */
  dev: number;
  /** Realtime clock, nanoseconds since the epoch (for the inodes' times). */
  now: () => bigint;
  /** Random bytes for /dev/random and /dev/urandom. */
  fill: FillRandom;
  /** Adds an empty directory `shm`, the mountpoint of the pod's /dev/shm. */
  shm?: boolean;
  /** mountinfo's source field (default "tmpfs", as runc's /dev). */
  source?: string;
  /** size= in bytes, shown in mountinfo (runc uses 65536k); nothing is ever stored here. */
  sizeBytes?: number;
}

/**
 * The /dev filesystem. Creating, linking, renaming or removing anything here is EPERM: Linux's /dev is a
 * writable tmpfs, but guests have no reason to change it, and a fixed tree is one a checkpoint can
 * re-create from its options alone. Attributes (mode, owner, times) change as on Linux. Inode numbers:
 * 1 for the root, then the devices in MEM_DEVICES order, then shm.
 */
export class Devfs extends Filesystem {
  readonly fsType = 'tmpfs';
  readonly dev: number;
  readonly source: string;
  readonly now: () => bigint;
  readonly fill: FillRandom;
  /** Made by the constructor, or set by fill() on a load. */
  #root!: Dentry;
  readonly #sizeBytes: number | undefined;

  /** A new /dev; or (`loaded`, a load) one without its tree yet, which the saved dentries bring. */
  constructor(opts: DevfsOptions, loaded = false) {
    super();
    this.dev = opts.dev;
    this.now = opts.now;
    this.fill = opts.fill;
    this.source = opts.source ?? 'tmpfs';
    this.#sizeBytes = opts.sizeBytes;
    if (loaded) return;
    let ino = 1;
    const rootInode = new DevInode(this, ino++, 0o755, null);
    this.#root = new Dentry('/', null, rootInode);
    for (const d of MEM_DEVICES) this.#add(d.name, new DevInode(this, ino++, 0o666, d));
    if (opts.shm === true) {
      this.#add('shm', new DevInode(this, ino++, 0o1777, null));
      rootInode.nlink++;
    }
  }

  #add(name: string, inode: DevInode): void {
    this.#root.children.set(name, new Dentry(name, this.#root, inode));
  }

  root(): Dentry {
    return this.#root;
  }

  override superOptions(): string {
    return tmpfsSuperOptions(this.#sizeBytes, (this.#root.inode as DevInode).perm);
  }

  lookup(dir: Dentry, name: string): Dentry | null {
    return dir.children.get(name) ?? null;
  }

  readdir(dir: Dentry): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, d] of dir.children) out.push({ name, ino: d.inode.ino, type: d.inode.type });
    return out;
  }

  // createFile, mkdir, symlink, link, unlink, rmdir and rename keep Filesystem's EPERM (see above).

  /** Its tree (attributes can change), options, and the host clock and random source by key. */
  static readonly saved = savable(Devfs, {
    name: 'dev.Filesystem',
    version: 1,
    fields: {
      dev: int,
      source: str,
      sizeBytes: opt(int),
      clock: external<RealtimeClock>(),
      random: external<RandomSource>(),
      root: ref(Dentry),
    },
    save: (fs) => ({ dev: fs.dev, source: fs.source, sizeBytes: fs.#sizeBytes, clock: CLOCK_KEY, random: RANDOM_KEY, root: fs.#root }),
    create: (v) => {
      const opts: DevfsOptions = { dev: v.dev, now: nowOf(v.clock), fill: fillOf(v.random), source: v.source };
      if (v.sizeBytes !== null) opts.sizeBytes = v.sizeBytes;
      return new Devfs(opts, true);
    },
    fill: (fs, v) => {
      fs.#root = v.root;
    },
  });
}


/** What a load gives a DevInode instead of starting it fresh. */
export interface DevInodeState {
  uid: number;
  gid: number;
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export class DevInode extends Inode {
  readonly fs: Devfs;
  readonly ino: number;
  readonly type: FileType;
  /** Character devices only. */
  readonly device: MemDeviceName | null;
  readonly rdev: number;
  perm: number;
  uid = 0;
  gid = 0;
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;

  /** A new inode now, or (given `state`) one as a checkpoint saved it. */
  constructor(fs: Devfs, ino: number, perm: number, device: { name: MemDeviceName; rdev: number } | null, state?: DevInodeState) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.type = device === null ? 'dir' : 'chr';
    this.device = device === null ? null : device.name;
    this.rdev = device === null ? 0 : device.rdev;
    this.perm = perm;
    if (state !== undefined) {
      this.uid = state.uid;
      this.gid = state.gid;
      this.nlink = state.nlink;
      this.atimeNs = state.atimeNs;
      this.mtimeNs = state.mtimeNs;
      this.ctimeNs = state.ctimeNs;
      return;
    }
    this.nlink = device === null ? 2 : 1;
    const now = fs.now();
    this.atimeNs = now;
    this.mtimeNs = now;
    this.ctimeNs = now;
  }

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, type: this.type, perm: this.perm, nlink: this.nlink, uid: this.uid,
      gid: this.gid, size: this.type === 'dir' ? 4096 : 0, blocks: 0, rdev: this.rdev, atimeNs: this.atimeNs,
      mtimeNs: this.mtimeNs, ctimeNs: this.ctimeNs,
    };
  }

  /** truncate(2) is EISDIR on a directory and EINVAL on a device, as vfs_truncate() says. */
  setStat(req: SetStat): void {
    if (req.size !== undefined) throw new KernelError(this.type === 'dir' ? EISDIR : EINVAL);
    const now = this.fs.now();
    if (req.perm !== undefined) this.perm = req.perm & S_IALLUGO;
    if (req.uid !== undefined) this.uid = req.uid;
    if (req.gid !== undefined) this.gid = req.gid;
    if (req.atimeNs !== undefined) this.atimeNs = req.atimeNs === 'now' ? now : req.atimeNs;
    if (req.mtimeNs !== undefined) this.mtimeNs = req.mtimeNs === 'now' ? now : req.mtimeNs;
    this.ctimeNs = now;
  }

  open(_dentry: Dentry, _flags: number): FileOps {
    if (this.device !== null) return openMemDevice(this.device, this.fs);
    return DIRECTORY_FILE_OPS;
  }

  /** Its device by name (the number follows from it) and every attribute a guest can change. */
  static readonly saved = savable(DevInode, {
    name: 'dev.Inode',
    version: 1,
    fields: {
      fs: ref(Devfs),
      ino: int,
      device: opt(oneOf('null', 'zero', 'full', 'random', 'urandom')),
      perm: int,
      uid: int,
      gid: int,
      nlink: int,
      atimeNs: bigInt,
      mtimeNs: bigInt,
      ctimeNs: bigInt,
    },
    save: (i) => i,
    create: (v, r) => {
      const fs = r.ref(v.fs);
      let device: { name: MemDeviceName; rdev: number } | null = null;
      if (v.device !== null) {
        const d = MEM_DEVICES.find((m) => m.name === v.device);
        if (d === undefined) throw new Error(`no memory device ${v.device}`);
        device = d;
      }
      const { uid, gid, nlink, atimeNs, mtimeNs, ctimeNs } = v;
      return new DevInode(fs, v.ino, v.perm, device, { uid, gid, nlink, atimeNs, mtimeNs, ctimeNs });
    },
  });
}
