// A host file descriptor given to a container as one of its streams (stdin, stdout, stderr), the
// HostStream of fsimpl/hostfd. The fd number is used only here, never saved: the stream is bound to
// its role, so a restore binds the role to whatever this invocation provides.
import { fstatSync, readSync, writeSync } from 'node:fs';
import { EAGAIN } from '../abi/errno.js';
import type { FileType } from '../abi/stat.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { KernelError } from '../base/error.js';
import { errnoOf } from './errno.js';

function typeOfFd(fd: number): FileType {
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return 'reg';
    if (st.isFIFO() || st.isSocket()) return 'fifo';
    return 'chr';
  } catch {
    return 'chr';
  }
}

export class HostFdStream implements HostStream {
  readonly type: FileType;
  readonly #fd: number;
  readonly #sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(fd: number) {
    this.#fd = fd;
    this.type = typeOfFd(fd);
  }

  /** Runs a host call, waiting out EAGAIN (Node may have made a pipe non-blocking). */
  #retry<T>(fn: () => T): T {
    for (;;) {
      try {
        return fn();
      } catch (e) {
        const errno = errnoOf(e);
        if (errno !== EAGAIN) throw new KernelError(errno);
        Atomics.wait(this.#sleeper, 0, 0, 1);
      }
    }
  }

  read(dst: Uint8Array): number {
    return this.#retry(() => readSync(this.#fd, dst, 0, dst.length, null));
  }

  write(src: Uint8Array): number {
    let done = 0;
    while (done < src.length) {
      done += this.#retry(() => writeSync(this.#fd, src, done, src.length - done));
    }
    return done;
  }

  close(): void {}
}
