// The sandbox's end of a relay (sandbox/relay.ts): one process's stdin, stdout and stderr and its exit
// status, bound to the relay process that holds the host's stdio for it, like the pipes between runc's
// init and containerd's shim. Until a relay attaches, output and the exit status wait here, so a process
// may start (or a restored one go on) before its relay has connected; a relay that goes away is the
// owner's to handle (the process is killed, as a container whose init died). Output is a pipe of
// RELAY_BACKLOG bytes (boundedoutput.ts), counting what the relay has not taken or what waits for one
// to attach, so a slow reader of `ctr task exec`'s output slows the process down.
import type { Socket } from 'node:net';
import { EBADF } from '../abi/errno.js';
import type { FileType } from '../abi/stat.js';
import { KernelError } from '../base/error.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { InputQueue } from '../fsimpl/hostfd/inputqueue.js';
import { FRAME, FrameReader, frame, u32Frame } from '../host/relayframes.js';
import type { Readiness } from '../vfs/file.js';
import { BoundedOutput, type OutputSink } from './boundedoutput.js';

/** Output bytes not yet taken by the relay past which a write waits: the pipe's capacity. */
export const RELAY_BACKLOG = 4 << 20;

/** Input the relay sends, asked for at the first read: EAGAIN until some arrives (the process blocks). */
class RelayInput implements HostStream {
  readonly type: FileType = 'fifo';
  readonly #queue = new InputQueue();
  readonly #ask: () => void;

  constructor(ask: () => void) {
    this.#ask = ask;
  }

  push(data: Uint8Array): void {
    this.#queue.push(data);
  }

  end(): void {
    this.#queue.end();
  }

  read(dst: Uint8Array): number {
    this.#ask();
    return this.#queue.read(dst);
  }

  write(): number {
    throw new KernelError(EBADF);
  }

  readiness(): Readiness {
    this.#ask();
    return this.#queue.readiness();
  }

  close(): void {}
}

export class RelayBinding {
  readonly stdin: RelayInput;
  readonly stdout: HostStream;
  readonly stderr: HostStream;
  /** The relay's host pid once one has attached. */
  relayPid: number | null = null;
  /** Told of each signal the relay receives. */
  onSignal: (signal: number) => void = () => {};
  /** Told when an attached relay goes away before the process has ended. */
  onDetach: () => void = () => {};
  /** Told when a process waiting on its streams may go on now: input (or its end) arrived, output drained. */
  onReady: () => void = () => {};
  #sock: Socket | null = null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #exit: number | null = null;
  #asked = false;

  constructor() {
    const backlog = (): number => (this.#sock !== null ? this.#sock.writableLength : this.#pendingBytes);
    const sink = (kind: typeof FRAME.stdout | typeof FRAME.stderr): OutputSink => ({
      send: (src) => this.#send(frame(kind, src)),
      backlog,
      gone: () => false,
    });
    this.stdout = new BoundedOutput(sink(FRAME.stdout), RELAY_BACKLOG);
    this.stderr = new BoundedOutput(sink(FRAME.stderr), RELAY_BACKLOG);
    this.stdin = new RelayInput(() => {
      if (this.#asked) return;
      this.#asked = true;
      this.#send(frame(FRAME.wantStdin));
    });
  }

  get streams(): readonly [HostStream, HostStream, HostStream] {
    return [this.stdin, this.stdout, this.stderr];
  }

  get attached(): boolean {
    return this.#sock !== null;
  }

  /** The process's exit status, once it has ended. */
  get exitStatus(): number | null {
    return this.#exit;
  }

  #send(b: Buffer): void {
    if (this.#sock !== null) {
      this.#sock.write(b);
      return;
    }
    this.#pending.push(b);
    this.#pendingBytes += b.length;
  }

  /** Binds the relay on sock (whose attach line has been answered); rest is what followed that line. */
  attach(sock: Socket, pid: number, rest: Buffer): void {
    if (this.#sock !== null) throw new Error('a relay is attached already');
    this.#sock = sock;
    this.relayPid = pid;
    for (const b of this.#pending) sock.write(b);
    this.#pending = [];
    this.#pendingBytes = 0;
    sock.on('drain', () => this.onReady());
    const reader = new FrameReader();
    const onData = (chunk: Buffer): void => {
      for (const f of reader.push(chunk)) {
        if (f.type === FRAME.stdin) this.stdin.push(Uint8Array.from(f.payload));
        else if (f.type === FRAME.stdinEnd) this.stdin.end();
        else if (f.type === FRAME.signal) this.onSignal(f.payload.readUInt32BE(0));
        if (f.type === FRAME.stdin || f.type === FRAME.stdinEnd) this.onReady();
      }
    };
    sock.on('data', onData);
    sock.on('close', () => {
      this.stdin.end();
      this.onReady();
      if (this.#exit === null) this.onDetach();
    });
    if (rest.length > 0) onData(rest);
    if (this.#exit !== null) sock.end(u32Frame(FRAME.exit, this.#exit));
    this.onReady();
  }

  /** The process ended with status: the relay is told (now, or when it attaches) and lets go. */
  exit(status: number): void {
    if (this.#exit !== null) return;
    this.#exit = status;
    if (this.#sock !== null) this.#sock.end(u32Frame(FRAME.exit, status));
  }
}
