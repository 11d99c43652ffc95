// Open hostdir files, the FileOps of one file description each: positional I/O on a host descriptor
// (the inode's shared handle, or the file's own for O_SYNC/O_DSYNC), or on the inode's ghost once a
// restore made it one (ghost.ts). An open directory has no descriptor of its own.
//
// Saved as what they were opened with; a restore takes the descriptor from the restored inode (its
// shared handle, or a reopen of it with the file's own flags), so no host fd number is ever saved.
import { EISDIR } from '../../abi/errno.js';
import { KernelError } from '../../base/error.js';
import { bool, int, ref, savable } from '../../state/index.js';
import type { FileOps } from '../../vfs/file.js';
import type { HostFd } from './host.js';
import type { HostInode } from './inode.js';

/** An open regular file: positional I/O on a host descriptor, or on the inode's ghost. */
export class HostFile implements FileOps {
  readonly seekable = true;
  readonly inode: HostInode;
  /** The host descriptor (-1 on a ghost). */
  readonly fd: HostFd;
  /** O_RDONLY, O_WRONLY or O_RDWR of the host descriptor. */
  readonly access: number;
  /** fd is the inode's shared handle (else this file's own). */
  readonly shared: boolean;
  /** O_SYNC / O_DSYNC bits of a file with a descriptor of its own. */
  readonly syncFlags: number;

  constructor(inode: HostInode, fd: HostFd, access: number, shared: boolean, syncFlags = 0) {
    this.inode = inode;
    this.fd = fd;
    this.access = access;
    this.shared = shared;
    this.syncFlags = syncFlags;
  }

  read(dst: Uint8Array, offset: number): number {
    const g = this.inode.ghost;
    if (g !== null) return g.data.read(dst, offset);
    return this.inode.fs.host.read(this.fd, dst, offset);
  }

  write(src: Uint8Array, offset: number): number {
    if (src.length === 0) return 0;
    const g = this.inode.ghost;
    if (g !== null) return g.write(src, offset, this.inode.fs.now());
    return this.inode.fs.host.write(this.fd, src, offset);
  }

  size(): number {
    const g = this.inode.ghost;
    if (g !== null) return g.data.size;
    return this.inode.fs.host.size(this.fd);
  }

  sync(): void {
    if (this.inode.ghost === null) this.inode.fs.host.sync(this.fd);
  }

  /** Node has no fallocate: growing the size with ftruncate is the best it can do (holes, not blocks). */
  allocate(offset: number, len: number): void {
    const end = offset + len;
    const g = this.inode.ghost;
    if (g !== null) {
      if (end > g.data.size) g.truncate(end, this.inode.fs.now());
      return;
    }
    const host = this.inode.fs.host;
    if (end > host.size(this.fd)) host.truncate(this.fd, end);
  }

  close(): void {
    this.inode.released(this);
  }

  static readonly saved = savable(HostFile, {
    name: 'hostdir.File',
    version: 1,
    // ref<HostInode>() by type: inode.ts makes HostFiles, so a value import here would close a cycle.
    fields: { inode: ref<HostInode>(), access: int, shared: bool, syncFlags: int },
    save: (f) => f,
    create: (v, r) => {
      const inode = r.ref(v.inode);
      return new HostFile(inode, inode.restoredFd(v.access | v.syncFlags, v.shared), v.access, v.shared, v.syncFlags);
    },
    fill: (f) => f.inode.restoredFile(f),
  });
}

/** An open directory: no host descriptor of its own; fsync goes to the directory's cached one. */
export class HostDirOps implements FileOps {
  readonly seekable = false;
  readonly inode: HostInode;

  constructor(inode: HostInode) {
    this.inode = inode;
  }

  read(): number {
    throw new KernelError(EISDIR);
  }

  write(): number {
    throw new KernelError(EISDIR);
  }

  sync(): void {
    const fs = this.inode.fs;
    fs.enter();
    fs.host.sync(fs.dirFd(this.inode));
  }

  close(): void {}

  static readonly saved = savable(HostDirOps, {
    name: 'hostdir.DirOps',
    version: 1,
    fields: { inode: ref<HostInode>() },
    save: (d) => d,
    create: (v, r) => new HostDirOps(r.ref(v.inode)),
  });
}
