// The sock_* calls of WASI preview 1. Amber gives guests no sockets yet, so every descriptor that is
// open answers ENOTSOCK, as Linux does for a socket call on a non-socket.
import { ENOTSOCK } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import type { Sys } from './sys.js';

function notSocket(sys: Sys, fd: number): never {
  sys.proc.fds.get(fd);
  throw new KernelError(ENOTSOCK);
}

export function sock_accept(sys: Sys, fd: number, _flags: number, _out: number): number {
  return notSocket(sys, fd);
}

export function sock_recv(sys: Sys, fd: number, _ri: number, _riLen: number, _flags: number, _nread: number, _roflags: number): number {
  return notSocket(sys, fd);
}

export function sock_send(sys: Sys, fd: number, _si: number, _siLen: number, _flags: number, _nwritten: number): number {
  return notSocket(sys, fd);
}

export function sock_shutdown(sys: Sys, fd: number, _how: number): number {
  return notSocket(sys, fd);
}
