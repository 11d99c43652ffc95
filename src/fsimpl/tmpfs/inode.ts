// tmpfs inodes, like Linux's shmem inodes (mm/shmem.c): all state in memory. A regular file's bytes are
// pages (SparseBytes, holes free); a symlink keeps its target; a directory's entries are its dentry's
// children, which the filesystem (tmpfs.ts) owns. A checkpoint saves every inode whole, pages as they
// are (holes stay holes); a hard link is two dentries on one inode, saved once.
import { EINVAL, EISDIR, EPERM } from '../../abi/errno.js';
import { S_IALLUGO, type FileType, type SetStat, type Stat } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { SparseBytes } from '../../base/sparse.js';
import { bigInt, int, oneOf, opt, ref, savable, sparseBytes, str } from '../../state/index.js';
import type { Dentry } from '../../vfs/dentry.js';
import { DIRECTORY_FILE_OPS, type FileOps } from '../../vfs/file.js';
import { Inode, type Caller } from '../../vfs/filesystem.js';
import type { Tmpfs } from './tmpfs.js';

/** What a load gives a TmpfsInode instead of starting it fresh (a restore must not read the clock). */
export interface TmpfsInodeState {
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Regular files only: the pages, the object the inode keeps. */
  data: SparseBytes | null;
}

export class TmpfsInode extends Inode {
  readonly fs: Tmpfs;
  readonly ino: number;
  readonly type: FileType;
  perm: number;
  uid: number;
  gid: number;
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Regular files only. */
  readonly data: SparseBytes | null;
  /** Symlinks only. */
  readonly target: string;
  /** Open files on it (not saved: each loaded open file counts itself again); with nlink, what keeps its pages. */
  opens = 0;

  /** A new inode now, or (given `state`) one as a checkpoint saved it. */
  constructor(fs: Tmpfs, ino: number, type: FileType, perm: number, owner: { uid: number; gid: number }, target = '', state?: TmpfsInodeState) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.type = type;
    this.perm = perm & S_IALLUGO;
    this.uid = owner.uid;
    this.gid = owner.gid;
    this.target = target;
    if (state !== undefined) {
      if ((state.data !== null) !== (type === 'reg')) throw new Error(`tmpfs inode ${ino}: a ${type} ${state.data === null ? 'without' : 'with'} data`);
      this.nlink = state.nlink;
      this.atimeNs = state.atimeNs;
      this.mtimeNs = state.mtimeNs;
      this.ctimeNs = state.ctimeNs;
      this.data = state.data;
      state.data?.drawFrom(fs.pages);
      fs.loaded(state.data?.allocatedBytes ?? 0);
      return;
    }
    this.nlink = type === 'dir' ? 2 : 1;
    const now = fs.now();
    this.atimeNs = now;
    this.mtimeNs = now;
    this.ctimeNs = now;
    this.data = type === 'reg' ? new SparseBytes(fs.pages) : null;
  }

  stat(): Stat {
    const size = this.data !== null ? this.data.size : this.type === 'symlink' ? this.target.length : this.type === 'dir' ? 4096 : 0;
    return {
      dev: this.fs.dev,
      ino: this.ino,
      type: this.type,
      perm: this.perm,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      size,
      blocks: this.data !== null ? this.data.allocatedBytes / 512 : 0,
      rdev: 0,
      atimeNs: this.atimeNs,
      mtimeNs: this.mtimeNs,
      ctimeNs: this.ctimeNs,
    };
  }

  setStat(req: SetStat): void {
    const now = this.fs.now();
    if (req.size !== undefined) {
      if (this.type === 'dir') throw new KernelError(EISDIR);
      if (this.data === null) throw new KernelError(EINVAL);
      if (req.size < 0) throw new KernelError(EINVAL);
      if (req.size !== this.data.size) {
        const held = this.data.allocatedBytes;
        this.data.truncate(req.size);
        this.fs.released(held - this.data.allocatedBytes);
        this.mtimeNs = now;
      }
      this.ctimeNs = now;
    }
    if (req.perm !== undefined) this.perm = req.perm & S_IALLUGO;
    if (req.uid !== undefined) this.uid = req.uid;
    if (req.gid !== undefined) this.gid = req.gid;
    if (req.atimeNs !== undefined) this.atimeNs = req.atimeNs === 'now' ? now : req.atimeNs;
    if (req.mtimeNs !== undefined) this.mtimeNs = req.mtimeNs === 'now' ? now : req.mtimeNs;
    if (req.perm !== undefined || req.uid !== undefined || req.gid !== undefined || req.atimeNs !== undefined || req.mtimeNs !== undefined) {
      this.ctimeNs = now;
    }
  }

  override readlink(_caller: Caller): string {
    if (this.type !== 'symlink') throw new KernelError(EINVAL);
    return this.target;
  }

  open(_dentry: Dentry, _flags: number): FileOps {
    if (this.data !== null) return new TmpfsRegularFile(this, this.data);
    if (this.type === 'dir') return DIRECTORY_FILE_OPS;
    throw new KernelError(EPERM);
  }

  /** A write or a name change in this directory. */
  touchModified(): void {
    const now = this.fs.now();
    this.mtimeNs = now;
    this.ctimeNs = now;
  }

  /** Everything: attributes, times, link count (0 for an unlinked file still open), pages, target. */
  static readonly saved = savable(TmpfsInode, {
    name: 'tmpfs.Inode',
    version: 1,
    fields: {
      fs: ref<Tmpfs>(),
      ino: int,
      type: oneOf('reg', 'dir', 'symlink', 'chr', 'blk', 'fifo', 'sock'),
      perm: int,
      uid: int,
      gid: int,
      nlink: int,
      atimeNs: bigInt,
      mtimeNs: bigInt,
      ctimeNs: bigInt,
      data: opt(sparseBytes),
      target: str,
    },
    save: (i) => i,
    create: (v, r) =>
      new TmpfsInode(r.ref(v.fs), v.ino, v.type, v.perm, { uid: v.uid, gid: v.gid }, v.target, {
        nlink: v.nlink,
        atimeNs: v.atimeNs,
        mtimeNs: v.mtimeNs,
        ctimeNs: v.ctimeNs,
        data: v.data,
      }),
  });
}

export class TmpfsRegularFile implements FileOps {
  readonly seekable = true;
  readonly #inode: TmpfsInode;
  readonly #data: SparseBytes;

  constructor(inode: TmpfsInode, data: SparseBytes) {
    this.#inode = inode;
    this.#data = data;
    inode.opens++;
  }

  read(dst: Uint8Array, offset: number): number {
    return this.#data.read(dst, offset);
  }

  write(src: Uint8Array, offset: number): number {
    if (src.length === 0) return 0;
    this.#inode.fs.charge(this.#data.newPageBytes(offset, src.length));
    const n = this.#data.write(src, offset);
    this.#inode.touchModified();
    return n;
  }

  size(): number {
    return this.#data.size;
  }

  allocate(offset: number, len: number): void {
    const end = offset + len;
    if (end > this.#data.size) {
      this.#data.truncate(end);
      this.#inode.touchModified();
    }
  }

  close(): void {
    this.#inode.opens--;
    this.#inode.fs.releaseInode(this.#inode);
  }

  /** Its inode; the pages are the inode's. */
  static readonly saved = savable(TmpfsRegularFile, {
    name: 'tmpfs.RegularFile',
    version: 1,
    fields: { inode: ref(TmpfsInode) },
    save: (f) => ({ inode: f.#inode }),
    create: (v, r) => {
      const inode = r.ref(v.inode);
      if (inode.data === null) throw new Error(`tmpfs inode ${inode.ino} is a ${inode.type}, not a regular file`);
      return new TmpfsRegularFile(inode, inode.data);
    },
  });
}
