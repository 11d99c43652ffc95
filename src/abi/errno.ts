// Linux error numbers, as in include/uapi/asm-generic/errno-base.h and errno.h (x86_64 values).
// The kernel speaks only these; the syscall boundary converts them to WASI numbers (wasi_errno.ts).
// ENOTCAPABLE is not Linux's: it is WASI's answer for a path that escapes its directory capability.

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ETXTBSY = 26;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const EDOM = 33;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENAMETOOLONG = 36;
export const ENOLCK = 37;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const ENOMSG = 42;
export const EIDRM = 43;
export const ENOLINK = 67;
export const EPROTO = 71;
export const EMULTIHOP = 72;
export const EBADMSG = 74;
export const EOVERFLOW = 75;
export const EILSEQ = 84;
export const ENOTSOCK = 88;
export const EDESTADDRREQ = 89;
export const EMSGSIZE = 90;
export const EPROTOTYPE = 91;
export const ENOPROTOOPT = 92;
export const EPROTONOSUPPORT = 93;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETDOWN = 100;
export const ENETUNREACH = 101;
export const ENETRESET = 102;
export const ECONNABORTED = 103;
export const ECONNRESET = 104;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EHOSTUNREACH = 113;
export const EALREADY = 114;
export const EINPROGRESS = 115;
export const ESTALE = 116;
export const EDQUOT = 122;
export const ECANCELED = 125;
export const EOWNERDEAD = 130;
export const ENOTRECOVERABLE = 131;

/** Amber-only: a path left the directory capability it was resolved beneath (WASI's `notcapable`). */
export const ENOTCAPABLE = 4096;

/** Names for messages and debug logs. */
export const errnoNames: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [ESRCH]: 'ESRCH', [EINTR]: 'EINTR', [EIO]: 'EIO', [ENXIO]: 'ENXIO',
  [E2BIG]: 'E2BIG', [ENOEXEC]: 'ENOEXEC', [EBADF]: 'EBADF', [ECHILD]: 'ECHILD', [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM', [EACCES]: 'EACCES', [EFAULT]: 'EFAULT', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST',
  [EXDEV]: 'EXDEV', [ENODEV]: 'ENODEV', [ENOTDIR]: 'ENOTDIR', [EISDIR]: 'EISDIR', [EINVAL]: 'EINVAL',
  [ENFILE]: 'ENFILE', [EMFILE]: 'EMFILE', [ENOTTY]: 'ENOTTY', [ETXTBSY]: 'ETXTBSY', [EFBIG]: 'EFBIG',
  [ENOSPC]: 'ENOSPC', [ESPIPE]: 'ESPIPE', [EROFS]: 'EROFS', [EMLINK]: 'EMLINK', [EPIPE]: 'EPIPE',
  [EDOM]: 'EDOM', [ERANGE]: 'ERANGE', [EDEADLK]: 'EDEADLK', [ENAMETOOLONG]: 'ENAMETOOLONG',
  [ENOLCK]: 'ENOLCK', [ENOSYS]: 'ENOSYS', [ENOTEMPTY]: 'ENOTEMPTY', [ELOOP]: 'ELOOP', [ENOMSG]: 'ENOMSG',
  [EIDRM]: 'EIDRM', [ENOLINK]: 'ENOLINK', [EPROTO]: 'EPROTO', [EMULTIHOP]: 'EMULTIHOP',
  [EBADMSG]: 'EBADMSG', [EOVERFLOW]: 'EOVERFLOW', [EILSEQ]: 'EILSEQ', [ENOTSOCK]: 'ENOTSOCK',
  [EDESTADDRREQ]: 'EDESTADDRREQ', [EMSGSIZE]: 'EMSGSIZE', [EPROTOTYPE]: 'EPROTOTYPE',
  [ENOPROTOOPT]: 'ENOPROTOOPT', [EPROTONOSUPPORT]: 'EPROTONOSUPPORT', [EOPNOTSUPP]: 'EOPNOTSUPP',
  [EAFNOSUPPORT]: 'EAFNOSUPPORT', [EADDRINUSE]: 'EADDRINUSE', [EADDRNOTAVAIL]: 'EADDRNOTAVAIL',
  [ENETDOWN]: 'ENETDOWN', [ENETUNREACH]: 'ENETUNREACH', [ENETRESET]: 'ENETRESET',
  [ECONNABORTED]: 'ECONNABORTED', [ECONNRESET]: 'ECONNRESET', [ENOBUFS]: 'ENOBUFS', [EISCONN]: 'EISCONN',
  [ENOTCONN]: 'ENOTCONN', [ETIMEDOUT]: 'ETIMEDOUT', [ECONNREFUSED]: 'ECONNREFUSED',
  [EHOSTUNREACH]: 'EHOSTUNREACH', [EALREADY]: 'EALREADY', [EINPROGRESS]: 'EINPROGRESS', [ESTALE]: 'ESTALE',
  [EDQUOT]: 'EDQUOT', [ECANCELED]: 'ECANCELED', [EOWNERDEAD]: 'EOWNERDEAD',
  [ENOTRECOVERABLE]: 'ENOTRECOVERABLE', [ENOTCAPABLE]: 'ENOTCAPABLE',
};
