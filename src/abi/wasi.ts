// WASI preview-1 (`wasi_snapshot_preview1`) constants and struct layouts, from the witx definitions
// (phases/snapshot/witx/typenames.witx). Offsets are byte offsets in guest memory, little-endian.
import type { FileType } from './stat.js';

export const FILETYPE_UNKNOWN = 0;
export const FILETYPE_BLOCK_DEVICE = 1;
export const FILETYPE_CHARACTER_DEVICE = 2;
export const FILETYPE_DIRECTORY = 3;
export const FILETYPE_REGULAR_FILE = 4;
export const FILETYPE_SOCKET_DGRAM = 5;
export const FILETYPE_SOCKET_STREAM = 6;
export const FILETYPE_SYMBOLIC_LINK = 7;

export const FDFLAGS_APPEND = 1;
export const FDFLAGS_DSYNC = 2;
export const FDFLAGS_NONBLOCK = 4;
export const FDFLAGS_RSYNC = 8;
export const FDFLAGS_SYNC = 16;

export const OFLAGS_CREAT = 1;
export const OFLAGS_DIRECTORY = 2;
export const OFLAGS_EXCL = 4;
export const OFLAGS_TRUNC = 8;

export const LOOKUPFLAGS_SYMLINK_FOLLOW = 1;

export const FSTFLAGS_ATIM = 1;
export const FSTFLAGS_ATIM_NOW = 2;
export const FSTFLAGS_MTIM = 4;
export const FSTFLAGS_MTIM_NOW = 8;

export const WHENCE_SET = 0;
export const WHENCE_CUR = 1;
export const WHENCE_END = 2;

export const CLOCKID_REALTIME = 0;
export const CLOCKID_MONOTONIC = 1;
export const CLOCKID_PROCESS_CPUTIME_ID = 2;
export const CLOCKID_THREAD_CPUTIME_ID = 3;

export const EVENTTYPE_CLOCK = 0;
export const EVENTTYPE_FD_READ = 1;
export const EVENTTYPE_FD_WRITE = 2;
export const SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME = 1;
export const EVENTRWFLAGS_FD_READWRITE_HANGUP = 1;

export const PREOPENTYPE_DIR = 0;

export const ADVICE_NORMAL = 0;
export const ADVICE_DONTNEED = 4;
export const ADVICE_NOREUSE = 5;

export const SDFLAGS_RD = 1;
export const SDFLAGS_WR = 2;

/** Rights: a u64 bitset in the ABI, but only bits 0-29 exist, so the kernel keeps them as a number. */
export const RIGHTS_FD_DATASYNC = 2 ** 0;
export const RIGHTS_FD_READ = 2 ** 1;
export const RIGHTS_FD_SEEK = 2 ** 2;
export const RIGHTS_FD_FDSTAT_SET_FLAGS = 2 ** 3;
export const RIGHTS_FD_SYNC = 2 ** 4;
export const RIGHTS_FD_TELL = 2 ** 5;
export const RIGHTS_FD_WRITE = 2 ** 6;
export const RIGHTS_FD_ADVISE = 2 ** 7;
export const RIGHTS_FD_ALLOCATE = 2 ** 8;
export const RIGHTS_PATH_CREATE_DIRECTORY = 2 ** 9;
export const RIGHTS_PATH_CREATE_FILE = 2 ** 10;
export const RIGHTS_PATH_LINK_SOURCE = 2 ** 11;
export const RIGHTS_PATH_LINK_TARGET = 2 ** 12;
export const RIGHTS_PATH_OPEN = 2 ** 13;
export const RIGHTS_FD_READDIR = 2 ** 14;
export const RIGHTS_PATH_READLINK = 2 ** 15;
export const RIGHTS_PATH_RENAME_SOURCE = 2 ** 16;
export const RIGHTS_PATH_RENAME_TARGET = 2 ** 17;
export const RIGHTS_PATH_FILESTAT_GET = 2 ** 18;
export const RIGHTS_PATH_FILESTAT_SET_SIZE = 2 ** 19;
export const RIGHTS_PATH_FILESTAT_SET_TIMES = 2 ** 20;
export const RIGHTS_FD_FILESTAT_GET = 2 ** 21;
export const RIGHTS_FD_FILESTAT_SET_SIZE = 2 ** 22;
export const RIGHTS_FD_FILESTAT_SET_TIMES = 2 ** 23;
export const RIGHTS_PATH_SYMLINK = 2 ** 24;
export const RIGHTS_PATH_REMOVE_DIRECTORY = 2 ** 25;
export const RIGHTS_PATH_UNLINK_FILE = 2 ** 26;
export const RIGHTS_POLL_FD_READWRITE = 2 ** 27;
export const RIGHTS_SOCK_SHUTDOWN = 2 ** 28;
export const RIGHTS_SOCK_ACCEPT = 2 ** 29;
export const RIGHTS_ALL = 2 ** 30 - 1;

/** Rights that make sense on a regular file (or any non-directory). */
export const RIGHTS_FILE_BASE =
  RIGHTS_FD_DATASYNC | RIGHTS_FD_READ | RIGHTS_FD_SEEK | RIGHTS_FD_FDSTAT_SET_FLAGS | RIGHTS_FD_SYNC |
  RIGHTS_FD_TELL | RIGHTS_FD_WRITE | RIGHTS_FD_ADVISE | RIGHTS_FD_ALLOCATE | RIGHTS_FD_FILESTAT_GET |
  RIGHTS_FD_FILESTAT_SET_SIZE | RIGHTS_FD_FILESTAT_SET_TIMES | RIGHTS_POLL_FD_READWRITE;
/** Rights that make sense on a directory. */
export const RIGHTS_DIRECTORY_BASE =
  RIGHTS_FD_FDSTAT_SET_FLAGS | RIGHTS_FD_SYNC | RIGHTS_FD_ADVISE | RIGHTS_PATH_CREATE_DIRECTORY |
  RIGHTS_PATH_CREATE_FILE | RIGHTS_PATH_LINK_SOURCE | RIGHTS_PATH_LINK_TARGET | RIGHTS_PATH_OPEN |
  RIGHTS_FD_READDIR | RIGHTS_PATH_READLINK | RIGHTS_PATH_RENAME_SOURCE | RIGHTS_PATH_RENAME_TARGET |
  RIGHTS_PATH_FILESTAT_GET | RIGHTS_PATH_FILESTAT_SET_SIZE | RIGHTS_PATH_FILESTAT_SET_TIMES |
  RIGHTS_FD_FILESTAT_GET | RIGHTS_FD_FILESTAT_SET_TIMES | RIGHTS_PATH_SYMLINK |
  RIGHTS_PATH_REMOVE_DIRECTORY | RIGHTS_PATH_UNLINK_FILE | RIGHTS_POLL_FD_READWRITE;
export const RIGHTS_DIRECTORY_INHERITING = RIGHTS_DIRECTORY_BASE | RIGHTS_FILE_BASE;

/** WASI's filetype for the kernel's file type (a FIFO has none of its own). */
export function wasiFiletype(t: FileType): number {
  switch (t) {
    case 'reg': return FILETYPE_REGULAR_FILE;
    case 'dir': return FILETYPE_DIRECTORY;
    case 'symlink': return FILETYPE_SYMBOLIC_LINK;
    case 'chr': return FILETYPE_CHARACTER_DEVICE;
    case 'blk': return FILETYPE_BLOCK_DEVICE;
    case 'sock': return FILETYPE_SOCKET_STREAM;
    case 'fifo': return FILETYPE_UNKNOWN;
  }
}

/** struct sizes and field offsets */
export const IOVEC_SIZE = 8;
export const FDSTAT_SIZE = 24;
export const FDSTAT_FLAGS = 2;
export const FDSTAT_RIGHTS_BASE = 8;
export const FDSTAT_RIGHTS_INHERITING = 16;
export const FILESTAT_SIZE = 64;
export const FILESTAT_INO = 8;
export const FILESTAT_FILETYPE = 16;
export const FILESTAT_NLINK = 24;
export const FILESTAT_SIZE_FIELD = 32;
export const FILESTAT_ATIM = 40;
export const FILESTAT_MTIM = 48;
export const FILESTAT_CTIM = 56;
export const DIRENT_SIZE = 24;
export const DIRENT_INO = 8;
export const DIRENT_NAMLEN = 16;
export const DIRENT_TYPE = 20;
export const PRESTAT_SIZE = 8;
export const SUBSCRIPTION_SIZE = 48;
export const SUBSCRIPTION_TAG = 8;
export const SUBSCRIPTION_CLOCK_ID = 16;
export const SUBSCRIPTION_CLOCK_TIMEOUT = 24;
export const SUBSCRIPTION_CLOCK_PRECISION = 32;
export const SUBSCRIPTION_CLOCK_FLAGS = 40;
export const SUBSCRIPTION_FD = 16;
export const EVENT_SIZE = 32;
export const EVENT_ERROR = 8;
export const EVENT_TYPE = 10;
export const EVENT_NBYTES = 16;
export const EVENT_FLAGS = 24;
