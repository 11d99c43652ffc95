// Bytes that arrived for a stream's reader from outside the kernel (a host stdin read in the background,
// a relay's stdin frames), queued until the guest reads them: read(2) on a pipe that takes what is there,
// returns 0 at end of input, and is EAGAIN while nothing has arrived yet (a blocking descriptor waits).
import { EAGAIN } from '../../abi/errno.js';
import { KernelError } from '../../base/error.js';
import type { Readiness } from '../../vfs/file.js';

export class InputQueue {
  readonly #chunks: Uint8Array[] = [];
  #bytes = 0;
  #ended = false;

  /** Queues data, which the queue now owns. */
  push(data: Uint8Array): void {
    this.#chunks.push(data);
    this.#bytes += data.length;
  }

  /** No more input will come. */
  end(): void {
    this.#ended = true;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes queued. */
  get nbytes(): number {
    return this.#bytes;
  }

  /** Copies queued bytes into dst; 0 at end of input; EAGAIN while nothing has arrived yet. */
  read(dst: Uint8Array): number {
    let n = 0;
    while (n < dst.length && this.#chunks.length > 0) {
      const head = this.#chunks[0] as Uint8Array;
      const take = Math.min(head.length, dst.length - n);
      dst.set(head.subarray(0, take), n);
      n += take;
      if (take === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(take);
    }
    this.#bytes -= n;
    if (n === 0 && !this.#ended && dst.length > 0) throw new KernelError(EAGAIN);
    return n;
  }

  /** What poll(2) sees of the reading end. */
  readiness(): Readiness {
    return { readable: this.#bytes > 0 || this.#ended, writable: false, hangup: this.#ended, nbytes: this.#bytes };
  }
}
