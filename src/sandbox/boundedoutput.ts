// The write end of a pipe whose reader is outside the sandbox (an exec's client on the control
// connection, a process's relay), with a pipe's bounded capacity: once `capacity` bytes sent are not yet
// taken by the reader, a write is EAGAIN, which a blocking descriptor turns into a wait (wasi/fd.ts), so
// a slow reader slows the writer down instead of growing the sandbox. A reader that has gone is EPIPE,
// as write(2) on a pipe with no reader; reading this end is EBADF, as on a pipe's write end.
import { EAGAIN, EBADF, EPIPE } from '../abi/errno.js';
import type { FileType } from '../abi/stat.js';
import { KernelError } from '../base/error.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import type { Readiness } from '../vfs/file.js';

/** Where a BoundedOutput's bytes go, and how much of what went is still waiting there. */
export interface OutputSink {
  /** Sends bytes (never empty) on their way to the reader; src is the writer's: copy what is kept. */
  send(src: Uint8Array): void;
  /** Bytes sent that the reader has not taken yet. */
  backlog(): number;
  /** The reader has gone for good. */
  gone(): boolean;
}

export class BoundedOutput implements HostStream {
  readonly type: FileType = 'fifo';
  readonly #sink: OutputSink;
  readonly #capacity: number;

  constructor(sink: OutputSink, capacity: number) {
    this.#sink = sink;
    this.#capacity = capacity;
  }

  read(): number {
    throw new KernelError(EBADF);
  }

  write(src: Uint8Array): number {
    if (this.#sink.gone()) throw new KernelError(EPIPE);
    if (this.#sink.backlog() >= this.#capacity) throw new KernelError(EAGAIN);
    if (src.length > 0) this.#sink.send(src);
    return src.length;
  }

  readiness(): Readiness {
    const gone = this.#sink.gone();
    const room = Math.max(0, this.#capacity - this.#sink.backlog());
    return { readable: false, writable: gone || room > 0, hangup: gone, nbytes: room };
  }

  close(): void {}
}
