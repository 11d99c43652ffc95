// File types and permission bits of st_mode, as in include/uapi/linux/stat.h.

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;
/** The permission bits (rwx for user, group, other) plus setuid, setgid, sticky. */
export const S_IALLUGO = 0o7777;

/** A file's type, as the kernel keeps it (S_IFMT of its mode). */
export type FileType = 'reg' | 'dir' | 'symlink' | 'chr' | 'blk' | 'fifo' | 'sock';

const typeBits: Readonly<Record<FileType, number>> = {
  reg: S_IFREG, dir: S_IFDIR, symlink: S_IFLNK, chr: S_IFCHR, blk: S_IFBLK, fifo: S_IFIFO, sock: S_IFSOCK,
};

export function modeOfType(t: FileType): number {
  return typeBits[t];
}

export function typeOfMode(mode: number): FileType | undefined {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'reg';
    case S_IFDIR: return 'dir';
    case S_IFLNK: return 'symlink';
    case S_IFCHR: return 'chr';
    case S_IFBLK: return 'blk';
    case S_IFIFO: return 'fifo';
    case S_IFSOCK: return 'sock';
    default: return undefined;
  }
}

/** The `struct stat` fields Amber keeps (times in nanoseconds since the epoch). */
export interface Stat {
  dev: number;
  ino: number;
  type: FileType;
  /** Permission bits only (S_IALLUGO); the type is `type`. */
  perm: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  blocks: number;
  /** Device number of a character or block device (st_rdev). */
  rdev: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** What setattr may change; an absent field is left alone. */
export interface SetStat {
  perm?: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** 'now' takes the kernel's realtime clock. */
  atimeNs?: bigint | 'now';
  mtimeNs?: bigint | 'now';
}

/** Linux's device number encoding (new_encode_dev). */
export function makeDev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}
export function devMajor(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function devMinor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}
