// Host streams given to a container (its stdin, stdout, stderr), like gVisor's fsimpl/host for donated
// FDs. Each stream is an inode of this small anonymous filesystem, never mounted in a guest's tree, and
// is known by its role (container and stream name), never by a host fd number, so a restore can bind
// the role to whatever the new invocation provides (seed 001).
import { EINVAL, EPERM } from '../../abi/errno.js';
import type { FileType, SetStat, Stat } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { Dentry } from '../../vfs/dentry.js';
import type { FileOps, Readiness } from '../../vfs/file.js';
import { Filesystem, Inode, type DirEntry } from '../../vfs/filesystem.js';

/** A host byte stream; host/ implements it. Calls block the host thread when they must wait. */
export interface HostStream {
  /** 'chr' for a terminal or /dev/null, 'fifo' for a pipe or socket, 'reg' for a file. */
  readonly type: FileType;
  /** Reads into dst; 0 at end of stream. */
  read(dst: Uint8Array): number;
  /** Writes all of src (or throws KernelError, EPIPE when the reader is gone). */
  write(src: Uint8Array): number;
  readiness?(): Readiness;
  close(): void;
}

class HostStreamInode extends Inode {
  readonly fs: HostFdFs;
  readonly ino: number;
  readonly type: FileType;
  readonly stream: HostStream;
  readonly #created: bigint;

  constructor(fs: HostFdFs, ino: number, stream: HostStream) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.type = stream.type;
    this.stream = stream;
    this.#created = fs.now();
  }

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, type: this.type, perm: 0o620, nlink: 1, uid: 0, gid: 0, size: 0,
      blocks: 0, rdev: 0, atimeNs: this.#created, mtimeNs: this.#created, ctimeNs: this.#created,
    };
  }

  setStat(req: SetStat): void {
    if (req.size !== undefined) throw new KernelError(EINVAL);
  }

  open(): FileOps {
    const s = this.stream;
    const ops: FileOps = {
      seekable: false,
      read: (dst) => s.read(dst),
      write: (src) => s.write(src),
      close: () => {},
    };
    if (s.readiness !== undefined) ops.readiness = () => (s.readiness as () => Readiness)();
    return ops;
  }
}

class HostFdRootInode extends Inode {
  readonly fs: HostFdFs;
  readonly ino = 1;
  readonly type = 'dir' as const;

  constructor(fs: HostFdFs) {
    super();
    this.fs = fs;
  }

  stat(): Stat {
    const t = this.fs.now();
    return {
      dev: this.fs.dev, ino: 1, type: 'dir', perm: 0o500, nlink: 2, uid: 0, gid: 0, size: 0, blocks: 0,
      rdev: 0, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  setStat(): void {
    throw new KernelError(EPERM);
  }

  open(): FileOps {
    throw new KernelError(EPERM);
  }
}

export class HostFdFs extends Filesystem {
  readonly fsType = 'hostfd';
  readonly source = 'hostfd';
  readonly dev: number;
  readonly now: () => bigint;
  readonly #root: Dentry;
  #nextIno = 2;

  constructor(opts: { dev: number; now: () => bigint }) {
    super();
    this.dev = opts.dev;
    this.now = opts.now;
    this.#root = new Dentry('/', null, new HostFdRootInode(this));
  }

  root(): Dentry {
    return this.#root;
  }

  lookup(): Dentry | null {
    return null;
  }

  readdir(): DirEntry[] {
    return [];
  }

  /** A dentry for stream, named by its role ("ctr/stdout"), outside any directory listing. */
  add(role: string, stream: HostStream): Dentry {
    return new Dentry(role, this.#root, new HostStreamInode(this, this.#nextIno++, stream));
  }
}
