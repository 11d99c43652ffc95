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

/** The status flags by name, in the order strace prints them after the access mode. */
const STATUS_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [O_APPEND, 'O_APPEND'],
  [O_NONBLOCK, 'O_NONBLOCK'],
  [O_SYNC, 'O_SYNC'],
  [O_DSYNC, 'O_DSYNC'],
  [O_DIRECTORY, 'O_DIRECTORY'],
  [O_NOFOLLOW, 'O_NOFOLLOW'],
];

/**
 * An open file's flags by name, as strace shows them: "O_WRONLY|O_APPEND". The access mode comes from
 * what the file allows (O_PATH when neither reading nor writing), then the status flags, and any bit
 * without a name in octal.
 */
export function describeOpenFlags(readable: boolean, writable: boolean, statusFlags: number): string {
  const names = [readable && writable ? 'O_RDWR' : writable ? 'O_WRONLY' : readable ? 'O_RDONLY' : 'O_PATH'];
  let rest = statusFlags & ~(O_RDONLY | O_WRONLY | O_RDWR);
  for (const [bit, name] of STATUS_FLAG_NAMES) {
    if ((rest & bit) === bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push(`0${rest.toString(8)}`);
  return names.join('|');
}

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

/** Longest path component (NAME_MAX) and path (PATH_MAX), include/uapi/linux/limits.h. */
export const NAME_MAX = 255;
export const PATH_MAX = 4096;
/** Symlinks followed in one walk before ELOOP (fs/namei.c MAXSYMLINKS). */
export const MAXSYMLINKS = 40;
