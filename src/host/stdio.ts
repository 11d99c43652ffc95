// A host file descriptor given to a container as one of its streams (stdin, stdout, stderr), the
// HostStream of fsimpl/hostfd. The fd number is used only here, never saved: the stream is bound to
// its role, so a restore binds the role to whatever this invocation provides.
import { fstatSync, readSync, writeSync } from 'node:fs';
import { EAGAIN, EBADF } from '../abi/errno.js';
import type { FileType } from '../abi/stat.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { InputQueue } from '../fsimpl/hostfd/inputqueue.js';
import type { Readiness } from '../vfs/file.js';
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

/**
 * This process's stdin for a pod under the scheduler: read in the background into a queue, so a guest
 * whose fd_read finds nothing waits (its process blocks; the pod runs on) instead of stopping the host
 * thread. Reading starts at the first read, so a pod that never reads leaves stdin alone.
 */
export class AsyncHostInput implements HostStream {
  readonly type: FileType = typeOfFd(0);
  readonly #queue = new InputQueue();
  #started = false;

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    process.stdin.on('data', (chunk: Buffer | string) => {
      this.#queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    });
    process.stdin.on('end', () => this.#queue.end());
    process.stdin.on('error', () => this.#queue.end());
  }

  /** Copies queued bytes into dst; 0 at end of input; EAGAIN while nothing has arrived yet. */
  read(dst: Uint8Array): number {
    this.#start();
    return this.#queue.read(dst);
  }

  write(): number {
    throw new KernelError(EBADF);
  }

  readiness(): Readiness {
    this.#start();
    return this.#queue.readiness();
  }

  close(): void {
    if (!this.#started) return;
    process.stdin.pause();
    const s: unknown = process.stdin;
    if (typeof s === 'object' && s !== null && 'unref' in s && typeof s.unref === 'function') s.unref();
  }
}
