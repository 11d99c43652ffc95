// Mount flags of mount(2) and umount2(2), as in include/uapi/linux/mount.h, and the per-mount flags
// Linux keeps on a vfsmount (MNT_*, include/linux/mount.h) including the locks a less privileged user
// namespace cannot clear.

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_SILENT = 32768;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

/** Per-mount flags (struct vfsmount.mnt_flags). */
export const MNT_NOSUID = 0x01;
export const MNT_NODEV = 0x02;
export const MNT_NOEXEC = 0x04;
export const MNT_NOATIME = 0x08;
export const MNT_NODIRATIME = 0x10;
export const MNT_RELATIME = 0x20;
export const MNT_READONLY = 0x40;
export const MNT_NOSYMFOLLOW = 0x80;
/** The flags of a mount copied into a less privileged user namespace are locked (fs/namespace.c). */
export const MNT_LOCK_ATIME = 0x040000;
export const MNT_LOCK_NOEXEC = 0x080000;
export const MNT_LOCK_NOSUID = 0x100000;
export const MNT_LOCK_NODEV = 0x200000;
export const MNT_LOCK_READONLY = 0x400000;
/** The mount was inherited into a less privileged user namespace together with its parent: it cannot
 * be unmounted there alone (fs/namespace.c MNT_LOCKED). */
export const MNT_LOCKED = 0x800000;
/** Every lock bit. */
export const MNT_LOCK_MASK = MNT_LOCK_ATIME | MNT_LOCK_NOEXEC | MNT_LOCK_NOSUID | MNT_LOCK_NODEV | MNT_LOCK_READONLY;
