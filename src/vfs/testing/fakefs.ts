// A filesystem of bare dentries for the VFS's own tests (paths, mount tables): vfs tests cannot use
// fsimpl, so they build trees with FakeFs.add and mount them by hand. Nothing can be opened, created or
// read. Only tests import this file.
import type { FileType, Stat } from '../../abi/stat.js';
import { Dentry } from '../dentry.js';
import type { FileOps } from '../file.js';
import { Filesystem, Inode, type DirEntry } from '../filesystem.js';

class FakeInode extends Inode {
  readonly fs: FakeFs;
  readonly ino: number;
  readonly type: FileType;
  constructor(fs: FakeFs, ino: number, type: FileType) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.type = type;
  }
  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, type: this.type, perm: 0o755, nlink: 1, uid: 0, gid: 0, size: 0,
      blocks: 0, rdev: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n,
    };
  }
  setStat(): void {}
  open(): FileOps {
    throw new Error('not used');
  }
}

export interface FakeFsOptions {
  /** mountinfo's fstype (default "tmpfs"). */
  fsType?: string;
  /** mountinfo's source (default "tmpfs"). */
  source?: string;
  superOptions?: string;
  readOnly?: boolean;
}

export class FakeFs extends Filesystem {
  readonly dev: number;
  readonly fsType: string;
  readonly source: string;
  readonly #root: Dentry;
  #ino = 1;
  override readonly readOnly: boolean;
  readonly #superOptions: string;
  constructor(dev: number, opts: FakeFsOptions = {}) {
    super();
    this.dev = dev;
    this.fsType = opts.fsType ?? 'tmpfs';
    this.readOnly = opts.readOnly ?? false;
    this.#superOptions = opts.superOptions ?? '';
    this.source = opts.source ?? 'tmpfs';
    this.#root = new Dentry('/', null, new FakeInode(this, this.#ino++, 'dir'));
  }
  override superOptions(): string {
    return this.#superOptions;
  }
  root(): Dentry {
    return this.#root;
  }
  lookup(dir: Dentry, name: string): Dentry | null {
    return dir.children.get(name) ?? null;
  }
  readdir(): DirEntry[] {
    return [];
  }
  /** Adds a child (a directory unless told) to dir. */
  add(dir: Dentry, name: string, type: FileType = 'dir'): Dentry {
    const d = new Dentry(name, dir, new FakeInode(this, this.#ino++, type));
    dir.children.set(name, d);
    return d;
  }
}
