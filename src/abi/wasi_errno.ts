// WASI preview-1 `errno` values (witx: typenames.witx, enum errno) and the one table that converts a
// Linux errno into them. Every guest-visible error crosses this table exactly once, at the syscall
// boundary (wasi/).
import * as L from './errno.js';

export const WASI_ESUCCESS = 0;
export const WASI_E2BIG = 1;
export const WASI_EACCES = 2;
export const WASI_EADDRINUSE = 3;
export const WASI_EADDRNOTAVAIL = 4;
export const WASI_EAFNOSUPPORT = 5;
export const WASI_EAGAIN = 6;
export const WASI_EALREADY = 7;
export const WASI_EBADF = 8;
export const WASI_EBADMSG = 9;
export const WASI_EBUSY = 10;
export const WASI_ECANCELED = 11;
export const WASI_ECHILD = 12;
export const WASI_ECONNABORTED = 13;
export const WASI_ECONNREFUSED = 14;
export const WASI_ECONNRESET = 15;
export const WASI_EDEADLK = 16;
export const WASI_EDESTADDRREQ = 17;
export const WASI_EDOM = 18;
export const WASI_EDQUOT = 19;
export const WASI_EEXIST = 20;
export const WASI_EFAULT = 21;
export const WASI_EFBIG = 22;
export const WASI_EHOSTUNREACH = 23;
export const WASI_EIDRM = 24;
export const WASI_EILSEQ = 25;
export const WASI_EINPROGRESS = 26;
export const WASI_EINTR = 27;
export const WASI_EINVAL = 28;
export const WASI_EIO = 29;
export const WASI_EISCONN = 30;
export const WASI_EISDIR = 31;
export const WASI_ELOOP = 32;
export const WASI_EMFILE = 33;
export const WASI_EMLINK = 34;
export const WASI_EMSGSIZE = 35;
export const WASI_EMULTIHOP = 36;
export const WASI_ENAMETOOLONG = 37;
export const WASI_ENETDOWN = 38;
export const WASI_ENETRESET = 39;
export const WASI_ENETUNREACH = 40;
export const WASI_ENFILE = 41;
export const WASI_ENOBUFS = 42;
export const WASI_ENODEV = 43;
export const WASI_ENOENT = 44;
export const WASI_ENOEXEC = 45;
export const WASI_ENOLCK = 46;
export const WASI_ENOLINK = 47;
export const WASI_ENOMEM = 48;
export const WASI_ENOMSG = 49;
export const WASI_ENOPROTOOPT = 50;
export const WASI_ENOSPC = 51;
export const WASI_ENOSYS = 52;
export const WASI_ENOTCONN = 53;
export const WASI_ENOTDIR = 54;
export const WASI_ENOTEMPTY = 55;
export const WASI_ENOTRECOVERABLE = 56;
export const WASI_ENOTSOCK = 57;
export const WASI_ENOTSUP = 58;
export const WASI_ENOTTY = 59;
export const WASI_ENXIO = 60;
export const WASI_EOVERFLOW = 61;
export const WASI_EOWNERDEAD = 62;
export const WASI_EPERM = 63;
export const WASI_EPIPE = 64;
export const WASI_EPROTO = 65;
export const WASI_EPROTONOSUPPORT = 66;
export const WASI_EPROTOTYPE = 67;
export const WASI_ERANGE = 68;
export const WASI_EROFS = 69;
export const WASI_ESPIPE = 70;
export const WASI_ESRCH = 71;
export const WASI_ESTALE = 72;
export const WASI_ETIMEDOUT = 73;
export const WASI_ETXTBSY = 74;
export const WASI_EXDEV = 75;
export const WASI_ENOTCAPABLE = 76;

/** Linux errno → WASI errno. The only such table in Amber. */
const linuxToWasi: ReadonlyMap<number, number> = new Map([
  [L.EPERM, WASI_EPERM], [L.ENOENT, WASI_ENOENT], [L.ESRCH, WASI_ESRCH], [L.EINTR, WASI_EINTR],
  [L.EIO, WASI_EIO], [L.ENXIO, WASI_ENXIO], [L.E2BIG, WASI_E2BIG], [L.ENOEXEC, WASI_ENOEXEC],
  [L.EBADF, WASI_EBADF], [L.ECHILD, WASI_ECHILD], [L.EAGAIN, WASI_EAGAIN], [L.ENOMEM, WASI_ENOMEM],
  [L.EACCES, WASI_EACCES], [L.EFAULT, WASI_EFAULT], [L.EBUSY, WASI_EBUSY], [L.EEXIST, WASI_EEXIST],
  [L.EXDEV, WASI_EXDEV], [L.ENODEV, WASI_ENODEV], [L.ENOTDIR, WASI_ENOTDIR], [L.EISDIR, WASI_EISDIR],
  [L.EINVAL, WASI_EINVAL], [L.ENFILE, WASI_ENFILE], [L.EMFILE, WASI_EMFILE], [L.ENOTTY, WASI_ENOTTY],
  [L.ETXTBSY, WASI_ETXTBSY], [L.EFBIG, WASI_EFBIG], [L.ENOSPC, WASI_ENOSPC], [L.ESPIPE, WASI_ESPIPE],
  [L.EROFS, WASI_EROFS], [L.EMLINK, WASI_EMLINK], [L.EPIPE, WASI_EPIPE], [L.EDOM, WASI_EDOM],
  [L.ERANGE, WASI_ERANGE], [L.EDEADLK, WASI_EDEADLK], [L.ENAMETOOLONG, WASI_ENAMETOOLONG],
  [L.ENOLCK, WASI_ENOLCK], [L.ENOSYS, WASI_ENOSYS], [L.ENOTEMPTY, WASI_ENOTEMPTY], [L.ELOOP, WASI_ELOOP],
  [L.ENOMSG, WASI_ENOMSG], [L.EIDRM, WASI_EIDRM], [L.ENOLINK, WASI_ENOLINK], [L.EPROTO, WASI_EPROTO],
  [L.EMULTIHOP, WASI_EMULTIHOP], [L.EBADMSG, WASI_EBADMSG], [L.EOVERFLOW, WASI_EOVERFLOW],
  [L.EILSEQ, WASI_EILSEQ], [L.ENOTSOCK, WASI_ENOTSOCK], [L.EDESTADDRREQ, WASI_EDESTADDRREQ],
  [L.EMSGSIZE, WASI_EMSGSIZE], [L.EPROTOTYPE, WASI_EPROTOTYPE], [L.ENOPROTOOPT, WASI_ENOPROTOOPT],
  [L.EPROTONOSUPPORT, WASI_EPROTONOSUPPORT], [L.EOPNOTSUPP, WASI_ENOTSUP],
  [L.EAFNOSUPPORT, WASI_EAFNOSUPPORT], [L.EADDRINUSE, WASI_EADDRINUSE],
  [L.EADDRNOTAVAIL, WASI_EADDRNOTAVAIL], [L.ENETDOWN, WASI_ENETDOWN], [L.ENETUNREACH, WASI_ENETUNREACH],
  [L.ENETRESET, WASI_ENETRESET], [L.ECONNABORTED, WASI_ECONNABORTED], [L.ECONNRESET, WASI_ECONNRESET],
  [L.ENOBUFS, WASI_ENOBUFS], [L.EISCONN, WASI_EISCONN], [L.ENOTCONN, WASI_ENOTCONN],
  [L.ETIMEDOUT, WASI_ETIMEDOUT], [L.ECONNREFUSED, WASI_ECONNREFUSED], [L.EHOSTUNREACH, WASI_EHOSTUNREACH],
  [L.EALREADY, WASI_EALREADY], [L.EINPROGRESS, WASI_EINPROGRESS], [L.ESTALE, WASI_ESTALE],
  [L.EDQUOT, WASI_EDQUOT], [L.ECANCELED, WASI_ECANCELED], [L.EOWNERDEAD, WASI_EOWNERDEAD],
  [L.ENOTRECOVERABLE, WASI_ENOTRECOVERABLE], [L.ENOTCAPABLE, WASI_ENOTCAPABLE],
]);

/** The WASI errno for a Linux errno; an errno with no WASI counterpart becomes EIO. */
export function wasiErrno(linuxErrno: number): number {
  return linuxToWasi.get(linuxErrno) ?? WASI_EIO;
}
