// An exec's stdout or stderr streamed to the client that asked for it, like the stream a runsc exec's
// caller reads: each write goes out at once as a line on the control connection ({"fd", "data"}), and a
// client that reads slowly holds the program (EAGAIN: fd_write waits and is made again) once more than
// HIGH_WATER bytes wait for it, so an exec's output never piles up in the sandbox. A client that has gone
// is EPIPE (and the exec is ended: server.ts).
import { EAGAIN, EPIPE } from '../abi/errno.js';
import type { FileType } from '../abi/stat.js';
import { KernelError } from '../base/error.js';
import type { ControlChannel } from '../host/control.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import type { Readiness } from '../vfs/file.js';

/** Bytes waiting for the client past which a write waits. */
const HIGH_WATER = 4 << 20;
/** The most bytes one line carries (base64 makes 4/3 of it). */
const LINE_BYTES = 48 << 10;

export class ExecOutputStream implements HostStream {
  readonly type: FileType = 'fifo';
  readonly #channel: ControlChannel;
  readonly #fd: 1 | 2;

  constructor(channel: ControlChannel, fd: 1 | 2) {
    this.#channel = channel;
    this.#fd = fd;
  }

  read(): number {
    return 0;
  }

  write(src: Uint8Array): number {
    if (this.#channel.closed) throw new KernelError(EPIPE);
    if (this.#channel.backlog() > HIGH_WATER) throw new KernelError(EAGAIN);
    for (let at = 0; at < src.length; at += LINE_BYTES) {
      this.#channel.send({ fd: this.#fd, data: Buffer.from(src.buffer, src.byteOffset + at, Math.min(LINE_BYTES, src.length - at)).toString('base64') });
    }
    return src.length;
  }

  readiness(): Readiness {
    const closed = this.#channel.closed;
    return { readable: false, writable: closed || this.#channel.backlog() <= HIGH_WATER, hangup: closed, nbytes: Math.max(0, HIGH_WATER - this.#channel.backlog()) };
  }

  close(): void {}
}
