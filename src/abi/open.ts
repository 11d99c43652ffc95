// Open flags, as in include/uapi/asm-generic/fcntl.h (x86_64 values). The kernel's file descriptions
// carry these; the syscall layer translates WASI oflags/fdflags/rights into them.

export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;
export const O_RSYNC = O_SYNC;
export const O_PATH = 0o10000000;

/** The status flags that fcntl(F_SETFL) may change. */
export const O_SETFL_MASK = O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

/** Longest path component (NAME_MAX) and path (PATH_MAX), include/uapi/linux/limits.h. */
export const NAME_MAX = 255;
export const PATH_MAX = 4096;
/** Symlinks followed in one walk before ELOOP (fs/namei.c MAXSYMLINKS). */
export const MAXSYMLINKS = 40;
