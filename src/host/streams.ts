// Host streams for a pod's containers: a log file per container (a detached pod, like runsc's
// per-container log files), and stdout lines prefixed "NAME | " when a foreground pod has several
// containers. Both are bound by role, never by a host fd number a checkpoint could remember.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { FileType } from '../abi/stat.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { HostFdStream } from './stdio.js';

/** A stream that reads as end-of-file and swallows writes (a detached pod's stdin). */
export class NullStream implements HostStream {
  readonly type: FileType = 'chr';
  read(): number {
    return 0;
  }
  write(src: Uint8Array): number {
    return src.length;
  }
  close(): void {}
}

/** Appends everything written to a host file. */
export class LogFileStream implements HostStream {
  readonly type: FileType = 'fifo';
  readonly #fd: number;

  constructor(path: string) {
    this.#fd = openSync(path, 'a');
  }

  read(): number {
    return 0;
  }

  write(src: Uint8Array): number {
    let done = 0;
    while (done < src.length) done += writeSync(this.#fd, src, done, src.length - done);
    return src.length;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Writes whole lines to a host stream with a prefix, keeping a partial line until it ends. */
export class PrefixedStream implements HostStream {
  readonly type: FileType;
  readonly #inner: HostFdStream;
  readonly #prefix: Uint8Array;
  #pending = new Uint8Array(0);

  constructor(fd: number, prefix: string) {
    this.#inner = new HostFdStream(fd);
    this.type = this.#inner.type;
    this.#prefix = new TextEncoder().encode(prefix);
  }

  read(dst: Uint8Array): number {
    return this.#inner.read(dst);
  }

  write(src: Uint8Array): number {
    let data = new Uint8Array(this.#pending.length + src.length);
    data.set(this.#pending);
    data.set(src, this.#pending.length);
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
      this.#emit(data.subarray(0, nl + 1));
      data = data.subarray(nl + 1);
    }
    this.#pending = data.slice();
    return src.length;
  }

  #emit(line: Uint8Array): void {
    const out = new Uint8Array(this.#prefix.length + line.length);
    out.set(this.#prefix);
    out.set(line, this.#prefix.length);
    this.#inner.write(out);
  }

  close(): void {
    if (this.#pending.length > 0) this.#emit(Uint8Array.from([...this.#pending, 10]));
    this.#pending = new Uint8Array(0);
  }
}

/** Keeps everything written, for an `amber exec` whose output goes back over the control socket. */
export class BufferStream implements HostStream {
  readonly type: FileType = 'fifo';
  readonly #chunks: Uint8Array[] = [];

  read(): number {
    return 0;
  }

  write(src: Uint8Array): number {
    this.#chunks.push(src.slice());
    return src.length;
  }

  /** Everything written, as UTF-8 text. */
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }

  close(): void {}
}

/** Writes to two streams (a foreground pod's terminal and its log file, so `amber logs` sees it too). */
export class TeeStream implements HostStream {
  readonly type: FileType;
  readonly #a: HostStream;
  readonly #b: HostStream;

  constructor(a: HostStream, b: HostStream) {
    this.#a = a;
    this.#b = b;
    this.type = a.type;
  }

  read(dst: Uint8Array): number {
    return this.#a.read(dst);
  }

  write(src: Uint8Array): number {
    this.#b.write(src);
    return this.#a.write(src);
  }

  close(): void {
    this.#a.close();
    this.#b.close();
  }
}
