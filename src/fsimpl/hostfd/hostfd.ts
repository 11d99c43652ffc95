// Host streams given to a container (its stdin, stdout, stderr), like gVisor's fsimpl/host for donated
// FDs. Each stream is an inode of this small anonymous filesystem, never mounted in a guest's tree, and
// is known by its role (container and stream name), never by a host fd number, so a restore can bind
// the role to whatever the new invocation provides (seed 001). A checkpoint saves a stream as the
// external key { kind: 'stream', role }, never as anything about the host's side of it.
import { EINVAL, EPERM } from '../../abi/errno.js';
import type { FileType, SetStat, Stat } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { bigInt, external, int, ref, savable, str, type ExternalKey } from '../../state/index.js';
import { Dentry } from '../../vfs/dentry.js';
import { CLOCK_KEY, nowOf, type RealtimeClock } from '../../vfs/external.js';
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

/** The external key a stream is saved by: its role ("ctr/stdout"), never a host fd number (seed 001). */
export function streamKey(role: string): ExternalKey {
  return { kind: 'stream', role };
}

export class HostStreamInode extends Inode {
  readonly fs: HostFdFs;
  readonly ino: number;
  /** The stream's type, as the stream bound now says (a restore may bind a pipe where a tty was). */
  readonly type: FileType;
  /** Container and stream name: "ctr/stdout". */
  readonly role: string;
  readonly stream: HostStream;
  readonly #created: bigint;

  /** A new inode now; a load gives the time it was first made. */
  constructor(fs: HostFdFs, ino: number, role: string, stream: HostStream, createdNs?: bigint) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.type = stream.type;
    this.role = role;
    this.stream = stream;
    this.#created = createdNs ?? fs.now();
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
    return new HostStreamFile(this);
  }

  /** The stream by role: a restore binds the role to whatever stream the new invocation gives it. */
  static readonly saved = savable(HostStreamInode, {
    name: 'hostfd.StreamInode',
    version: 1,
    fields: { fs: ref<HostFdFs>(), ino: int, role: str, stream: external<HostStream>(), createdNs: bigInt },
    save: (i) => ({ fs: i.fs, ino: i.ino, role: i.role, stream: streamKey(i.role), createdNs: i.#created }),
    create: (v, r) => new HostStreamInode(r.ref(v.fs), v.ino, v.role, v.stream, v.createdNs),
  });
}

/** An open host stream: reads and writes go to the inode's stream, whatever stream it is bound to. */
export class HostStreamFile implements FileOps {
  readonly seekable = false;
  readonly inode: HostStreamInode;
  readonly readiness?: () => Readiness;

  constructor(inode: HostStreamInode) {
    this.inode = inode;
    const s = inode.stream;
    if (s.readiness !== undefined) this.readiness = () => (s.readiness as () => Readiness)();
  }

  read(dst: Uint8Array): number {
    return this.inode.stream.read(dst);
  }

  write(src: Uint8Array): number {
    return this.inode.stream.write(src);
  }

  close(): void {}

  static readonly saved = savable(HostStreamFile, {
    name: 'hostfd.StreamFile',
    version: 1,
    fields: { inode: ref(HostStreamInode) },
    save: (f) => f,
    create: (v, r) => new HostStreamFile(r.ref(v.inode)),
  });
}

export class HostFdRootInode extends Inode {
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

  static readonly saved = savable(HostFdRootInode, {
    name: 'hostfd.RootInode',
    version: 1,
    fields: { fs: ref<HostFdFs>() },
    save: (i) => i,
    create: (v, r) => new HostFdRootInode(r.ref(v.fs)),
  });
}

export class HostFdFs extends Filesystem {
  readonly fsType = 'hostfd';
  readonly source = 'hostfd';
  readonly dev: number;
  readonly now: () => bigint;
  /** Made by the constructor, or set by fill() on a load. */
  #root!: Dentry;
  #nextIno = 2;

  /** A new filesystem; or (given `loaded`, a load) one without its root yet, which fill() sets. */
  constructor(opts: { dev: number; now: () => bigint }, loaded?: { nextIno: number }) {
    super();
    this.dev = opts.dev;
    this.now = opts.now;
    if (loaded !== undefined) {
      this.#nextIno = loaded.nextIno;
      return;
    }
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
    return new Dentry(role, this.#root, new HostStreamInode(this, this.#nextIno++, role, stream));
  }

  /** Its counter and root; the streams are saved by the descriptions open on them, each by role. */
  static readonly saved = savable(HostFdFs, {
    name: 'hostfd.Filesystem',
    version: 1,
    fields: { dev: int, clock: external<RealtimeClock>(), nextIno: int, root: ref(Dentry) },
    save: (fs) => ({ dev: fs.dev, clock: CLOCK_KEY, nextIno: fs.#nextIno, root: fs.#root }),
    create: (v) => new HostFdFs({ dev: v.dev, now: nowOf(v.clock) }, { nextIno: v.nextIno }),
    fill: (fs, v) => {
      fs.#root = v.root;
    },
  });
}
