// HostGhost: a host file that was open at a checkpoint but that no path could reach at restore
// (unlinked, or renamed or hard-linked away on the host), kept in the image with its contents, as
// CRIU's ghost files (seed 003). Restored, it is an anonymous file in memory: the open files that had it
// share it, with the size, mode, owner, times and link count it had (0 when unlinked); nothing of it
// is ever written back to the host. Every hostdir inode of one host object shares one HostGhost.
import { EINVAL } from '../../abi/errno.js';
import { O_RDONLY } from '../../abi/open.js';
import { S_IALLUGO, type SetStat, type Stat } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { PAGE_SIZE, SparseBytes } from '../../base/sparse.js';
import { bigInt, int, savable, sparseBytes } from '../../state/index.js';
import type { HostDirectoryAccess, HostFd, HostStat } from './host.js';

/** Bytes read from the host per call when copying a ghost's contents. */
const CHUNK = 16 * PAGE_SIZE;

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export class HostGhost {
  /** The contents; pages of zeros read from the host are left as holes. */
  readonly data: SparseBytes;
  nlink: number;
  perm: number;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;

  constructor(data: SparseBytes, st: Omit<HostStat, 'dev' | 'ino' | 'size' | 'blocks' | 'rdev' | 'mode'> & { perm: number }) {
    this.data = data;
    this.nlink = st.nlink;
    this.perm = st.perm & S_IALLUGO;
    this.uid = st.uid;
    this.gid = st.gid;
    this.atimeNs = st.atimeNs;
    this.mtimeNs = st.mtimeNs;
    this.ctimeNs = st.ctimeNs;
  }

  /**
   * Copies the open host file fd (stat st) into a ghost, reading through fd when `readable` says it
   * may, else through a read-only descriptor reopened from it. Reads to the end of the file as it is
   * now. Throws the host's KernelError (EACCES when the file cannot be read again, say).
   */
  static fromHost(host: HostDirectoryAccess, fd: HostFd, readable: boolean, st: HostStat): HostGhost {
    const rfd = readable ? fd : host.reopen(fd, O_RDONLY);
    const data = new SparseBytes();
    try {
      const buf = new Uint8Array(CHUNK);
      for (let at = 0; ; ) {
        const n = host.read(rfd, buf, at);
        if (n === 0) break;
        for (let p = 0; p < n; p += PAGE_SIZE) {
          const page = buf.subarray(p, Math.min(p + PAGE_SIZE, n));
          if (!allZero(page)) data.write(page, at + p);
        }
        at += n;
        data.truncate(at);
      }
    } finally {
      if (rfd !== fd) host.close(rfd);
    }
    return new HostGhost(data, { ...st, perm: st.mode & S_IALLUGO });
  }

  /** Writes src at offset (growing the file); the times move to now. */
  write(src: Uint8Array, offset: number, now: bigint): number {
    const n = this.data.write(src, offset);
    this.mtimeNs = now;
    this.ctimeNs = now;
    return n;
  }

  /** Sets the size (zeros when it grows); mtime moves only when the size changes, as on Linux. */
  truncate(size: number, now: bigint): void {
    if (size !== this.data.size) {
      this.data.truncate(size);
      this.mtimeNs = now;
    }
    this.ctimeNs = now;
  }

  /** stat(2) of the ghost as inode ino of the filesystem with st_dev dev. */
  stat(dev: number, ino: number): Stat {
    return {
      dev,
      ino,
      type: 'reg',
      perm: this.perm,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      size: this.data.size,
      blocks: this.data.allocatedBytes / 512,
      rdev: 0,
      atimeNs: this.atimeNs,
      mtimeNs: this.mtimeNs,
      ctimeNs: this.ctimeNs,
    };
  }

  /** setattr, in memory: uid and gid are ignored (as for host files). EINVAL for a negative size. */
  setStat(req: SetStat, now: bigint): void {
    if (req.size !== undefined) {
      if (req.size < 0) throw new KernelError(EINVAL);
      this.truncate(req.size, now);
    }
    if (req.perm !== undefined) {
      this.perm = req.perm & S_IALLUGO;
      this.ctimeNs = now;
    }
    if (req.atimeNs !== undefined) this.atimeNs = req.atimeNs === 'now' ? now : req.atimeNs;
    if (req.mtimeNs !== undefined) this.mtimeNs = req.mtimeNs === 'now' ? now : req.mtimeNs;
    if (req.atimeNs !== undefined || req.mtimeNs !== undefined) this.ctimeNs = now;
  }

  static readonly saved = savable(HostGhost, {
    name: 'hostdir.Ghost',
    version: 1,
    fields: {
      data: sparseBytes,
      nlink: int,
      perm: int,
      uid: int,
      gid: int,
      atimeNs: bigInt,
      mtimeNs: bigInt,
      ctimeNs: bigInt,
    },
    save: (g) => g,
    create: (v) => new HostGhost(v.data, v),
  });
}
