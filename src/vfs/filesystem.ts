// Filesystem and Inode: what every filesystem implementation (fsimpl/*) provides to the VFS, like
// gVisor's vfs.FilesystemImpl and Linux's inode_operations. The VFS resolves paths, mounts and flags;
// a filesystem only answers for names inside one directory and for its own inodes.
//
// Errors: every method reports failure by throwing KernelError with a Linux errno. Callers (the VFS)
// have already checked: that `dir` is a directory of this filesystem, that names are not "." or ".."
// and are at most NAME_MAX bytes, that the mount is writable for mutating calls, and, for rename and
// link, that both ends are on this filesystem.
import { EINVAL, ENOTDIR, EPERM } from '../abi/errno.js';
import type { FileType, SetStat, Stat } from '../abi/stat.js';
import { KernelError } from '../base/error.js';
import type { Dentry } from './dentry.js';
import type { FileOps } from './file.js';

/** One entry of a directory listing (without "." and "..", which the VFS adds). */
export interface DirEntry {
  name: string;
  ino: number;
  type: FileType;
}

/** Credentials, for ownership of new files and permission checks. */
export interface Creds {
  uid: number;
  gid: number;
}

/** Who is asking: the calling process (for /proc/self) and its credentials. */
export interface Caller {
  readonly pid: number;
  readonly creds: Creds;
}

/** What lookupStat answers: the child, and its stat or its WASI filestat (valid until the filesystem is next called). */
export interface LookupStat {
  dentry: Dentry;
  stat?: Stat;
  filestat?: Uint8Array;
}

export abstract class Inode {
  abstract readonly fs: Filesystem;
  abstract readonly ino: number;
  abstract readonly type: FileType;

  abstract stat(): Stat;

  /**
   * Optional, a cheaper stat() for a caller that needs only WASI's filestat fields (fstat of a
   * descriptor): the 64 bytes of WASI preview 1's filestat (abi/wasi.ts FILESTAT_*) as stat() would give
   * them now, in a view valid until the filesystem is next called. null: call stat().
   */
  filestat(): Uint8Array | null {
    return null;
  }

  /**
   * Changes attributes; a size change on a non-regular file is EINVAL (EISDIR for a directory).
   * `byPath`: the caller named the object by a path it walked just now (chmod, utimensat, truncate by
   * path), so a filesystem that revalidates names may act through the name, as a path-based call acts on
   * whatever the name holds when it is made; otherwise it acts on this very object (an open file).
   */
  abstract setStat(req: SetStat, byPath?: boolean): void;

  /**
   * Opens this inode for I/O. `flags` are the Linux open flags (abi/open.ts) already checked by the
   * VFS; the returned FileOps belongs to one file description and is closed with it.
   */
  abstract open(dentry: Dentry, flags: number): FileOps;

  /** The target of a symlink (which may depend on the caller, as /proc/self does); EINVAL otherwise. */
  readlink(_caller: Caller): string {
    throw new KernelError(EINVAL);
  }
}

export abstract class Filesystem {
  /** The name Linux shows in mountinfo's fstype field: "tmpfs", "proc", ... */
  abstract readonly fsType: string;
  /** st_dev of every inode here. */
  abstract readonly dev: number;
  /** mountinfo's "mount source" field. */
  abstract readonly source: string;
  /** Read-only filesystems refuse every change with EROFS whatever the mount says. */
  readonly readOnly: boolean = false;

  abstract root(): Dentry;

  /** mountinfo's super options ("rw,size=65536k,mode=1777"), without the leading rw/ro. */
  superOptions(): string {
    return '';
  }

  /** The child called name in dir, or null when there is none (the VFS turns that into ENOENT). */
  abstract lookup(dir: Dentry, name: string, caller: Caller): Dentry | null;

  /**
   * Optional: lookup and the child's stat in one (stat(2) by path). A filesystem that asks a remote
   * side for every lookup (hostdir) answers both with one question; the stat is taken during this call,
   * so it is as fresh as the inode's own stat() would be right after. `filestat`: the caller takes WASI's
   * filestat bytes (as Inode.filestat gives them) as well as a Stat, and the filesystem may answer with
   * whichever is cheaper.
   */
  lookupStat?(dir: Dentry, name: string, caller: Caller, filestat?: boolean): LookupStat | null;

  /**
   * Optional, the stat by path's shortcut (vfs/resolve.ts filestatCachedName): WASI's filestat of child,
   * the dentry this filesystem holds as dir.children.get(name), when one question to the remote side
   * confirms that name still holds child's very object (as lookupStat would have found it); the answer
   * is taken during this call and valid until the filesystem is next called. null when it cannot confirm
   * (the caller then walks, and lookupStat looks the name up again). Never asked for a mountpoint.
   */
  filestatCached?(dir: Dentry, name: string, child: Dentry): Uint8Array | null;

  /**
   * Optional: the child called name for a walk whose caller creates name exclusively next (mkdir, open
   * with O_CREAT|O_EXCL, symlink), as far as the filesystem can tell without asking a remote side: null
   * may mean "unknown", and the create itself must then fail with EEXIST when the name exists. Like
   * Linux's LOOKUP_EXCL, with which NFS and 9p skip the server's lookup. Never asked on a read-only mount.
   */
  lookupExclusive?(dir: Dentry, name: string, caller: Caller): Dentry | null;

  /**
   * Optional: the child called name for a walk whose caller removes it next (unlink: 'file', rmdir:
   * 'dir'). A filesystem that asks a remote side for lookups may return a cached child of that kind
   * without asking, when its removal fails as it should if the name changed meanwhile (ENOENT, EISDIR,
   * ENOTDIR, ENOTEMPTY); a child of the other kind, or none cached, it looks up.
   */
  lookupToRemove?(dir: Dentry, name: string, kind: 'file' | 'dir', caller: Caller): Dentry | null;

  /**
   * Optional: the child called name for a walk whose caller sets its times next (utimensat by path). A
   * filesystem that asks a remote side for lookups may return a cached child without asking, when the
   * change either acts on whatever the name holds now (ENOENT if nothing) or checks that it still holds
   * that child, failing with ESTALE otherwise: the VFS then walks again with lookup, as Linux retries a
   * path call with LOOKUP_REVAL.
   */
  lookupToChange?(dir: Dentry, name: string, caller: Caller): Dentry | null;

  /** Lists dir; the order is the filesystem's and must not change between calls without a change. */
  abstract readdir(dir: Dentry, caller: Caller): DirEntry[];

  /** Creates a regular file; EEXIST if the name exists. */
  createFile(_dir: Dentry, _name: string, _perm: number, _creds: Creds): Dentry {
    throw new KernelError(EPERM);
  }

  mkdir(_dir: Dentry, _name: string, _perm: number, _creds: Creds): Dentry {
    throw new KernelError(EPERM);
  }

  symlink(_dir: Dentry, _name: string, _target: string, _creds: Creds): Dentry {
    throw new KernelError(EPERM);
  }

  /** A new name in dir for target's inode (never a directory: the VFS refuses that with EPERM). */
  link(_dir: Dentry, _name: string, _target: Dentry): Dentry {
    throw new KernelError(EPERM);
  }

  /** Removes a non-directory child of dir. */
  unlink(_dir: Dentry, _child: Dentry): void {
    throw new KernelError(EPERM);
  }

  /** Removes an empty directory child of dir; ENOTEMPTY otherwise. */
  rmdir(_dir: Dentry, _child: Dentry): void {
    throw new KernelError(EPERM);
  }

  /**
   * Moves child from oldDir to newDir under newName, replacing `replaced` if given. The VFS has checked
   * the type rules (directory over non-directory and the reverse, a directory into itself), that
   * neither end is a mountpoint, and that replaced is an empty directory when it is one.
   */
  rename(_oldDir: Dentry, _child: Dentry, _newDir: Dentry, _newName: string, _replaced: Dentry | null): void {
    throw new KernelError(EPERM);
  }

  /** Called when the last mount of this filesystem goes away. */
  release(): void {}
}

/** Throws ENOTDIR unless d is a directory. */
export function mustBeDir(d: Dentry): void {
  if (d.inode.type !== 'dir') throw new KernelError(ENOTDIR);
}
