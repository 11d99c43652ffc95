// A hand-built kernel for unit tests of the syscall layer: a fake clock and random source, a tmpfs root,
// one process with stdio on in-memory streams, fd 3 the preopened root "/" and fd 4 a preopened
// directory "/sandbox" (a confined capability), and a guest memory the tests write arguments into.
// Calls go through wasiImports, so a test sees exactly what a guest sees: a WASI errno.
import type { FileType } from '../../abi/stat.js';
import { O_DIRECTORY, O_RDONLY, O_WRONLY } from '../../abi/open.js';
import * as W from '../../abi/wasi.js';
import { HostFdFs, type HostStream } from '../../fsimpl/hostfd/hostfd.js';
import { Tmpfs } from '../../fsimpl/tmpfs/tmpfs.js';
import type { HostClock, HostRandom } from '../../kernel/host.js';
import { Kernel } from '../../kernel/kernel.js';
import { Process } from '../../kernel/process.js';
import { FileDescription, type Readiness } from '../../vfs/file.js';
import { MountNamespace } from '../../vfs/mount.js';
import { wasiImports, type WasiCallName } from '../imports.js';
import { GuestMemory } from '../memory.js';
import { rightsFor } from '../sys.js';

/** A clock that moves only when told to, or when the kernel sleeps on it. */
export class FakeClock implements HostClock {
  realtime = 1_700_000_000_000_000_000n;
  monotonic = 5_000_000_000n;
  cputime = 1_000n;
  /** Every sleep the kernel asked for, in order. */
  readonly slept: bigint[] = [];

  realtimeNs(): bigint {
    return this.realtime;
  }

  monotonicNs(): bigint {
    return this.monotonic;
  }

  cputimeNs(): bigint {
    return this.cputime;
  }

  sleepNs(ns: bigint): void {
    this.slept.push(ns);
    this.advance(ns);
  }

  advance(ns: bigint): void {
    this.realtime += ns;
    this.monotonic += ns;
  }
}

/** Deterministic "random" bytes: 1, 2, 3, ... */
export class FakeRandom implements HostRandom {
  #next = 1;

  fill(buf: Uint8Array): void {
    for (let i = 0; i < buf.length; i++) buf[i] = this.#next++ & 0xff;
  }
}

/** An in-memory byte stream, standing in for a host pipe or terminal. */
export class MemStream implements HostStream {
  readonly type: FileType;
  /** Bytes a read will return; reads past them see end of stream (0). */
  input: Uint8Array;
  readonly written: number[] = [];
  ready: Readiness | null;

  constructor(type: FileType = 'fifo', input = new Uint8Array(0), ready: Readiness | null = null) {
    this.type = type;
    this.input = input;
    this.ready = ready;
  }

  read(dst: Uint8Array): number {
    const n = Math.min(dst.length, this.input.length);
    dst.set(this.input.subarray(0, n));
    this.input = this.input.subarray(n);
    return n;
  }

  write(src: Uint8Array): number {
    for (const b of src) this.written.push(b);
    return src.length;
  }

  readiness(): Readiness {
    return this.ready ?? { readable: true, writable: true, hangup: false, nbytes: this.input.length };
  }

  close(): void {}

  text(): string {
    return new TextDecoder().decode(new Uint8Array(this.written));
  }
}

export type Call = (...args: Array<number | bigint>) => number;

export interface TestKernel {
  kernel: Kernel;
  clock: FakeClock;
  proc: Process;
  memory: WebAssembly.Memory;
  mem: GuestMemory;
  stdin: MemStream;
  stdout: MemStream;
  stderr: MemStream;
  /** Each WASI call as a guest makes it: numbers for i32, bigints for i64; the result is a WASI errno. */
  call: Record<WasiCallName, Call>;
  /** Guest memory handed out from a bump pointer (8-aligned), after a guard region at 0. */
  alloc(len: number): number;
  /** A UTF-8 string in guest memory: [ptr, len]. */
  str(s: string): [number, number];
  /** An iovec array over the given buffers (each [ptr, len]): [ptr, count]. */
  iovs(bufs: ReadonlyArray<readonly [number, number]>): [number, number];
  /** One past the last valid address. */
  readonly end: number;
}

export const ROOT_FD = 3;
export const SANDBOX_FD = 4;

export interface TestKernelOptions {
  argv?: string[];
  env?: string[];
  stdin?: MemStream;
  /** Pages of guest memory (64 KiB each); 2 by default. */
  pages?: number;
}

/** A fresh kernel and process; see the file comment for what it holds. */
export function testKernel(opts: TestKernelOptions = {}): TestKernel {
  const clock = new FakeClock();
  const kernel = new Kernel({ clock, random: new FakeRandom() });
  const rootFs = new Tmpfs({ dev: kernel.allocDev(), now: kernel.now, source: 'rootfs' });
  const ns = new MountNamespace(kernel.vfs.newMount(rootFs, 0));
  const proc = new Process(kernel, { mounts: ns, argv: opts.argv ?? ['prog'], env: opts.env ?? [] });

  const streams = new HostFdFs({ dev: kernel.allocDev(), now: kernel.now });
  const anon = kernel.vfs.newMount(streams, 0);
  const stdin = opts.stdin ?? new MemStream();
  const stdout = new MemStream();
  const stderr = new MemStream();
  ([['stdin', stdin], ['stdout', stdout], ['stderr', stderr]] as const).forEach(([name, s], i) => {
    const dentry = streams.add(`test/${name}`, s);
    const flags = i === 0 ? O_RDONLY : O_WRONLY;
    const file = new FileDescription({ vd: { mount: anon, dentry }, ctx: proc.ctx }, dentry.inode.open(dentry, flags), flags);
    const r = rightsFor(s.type, false);
    proc.fds.install({ file, rightsBase: r.base, rightsInheriting: r.inheriting });
  });
  kernel.vfs.mkdirAt(proc.ctx, { at: proc.root }, '/sandbox', 0o755);
  for (const [name, path] of [['/', '/'], ['/sandbox', '/sandbox']] as const) {
    const file = kernel.vfs.openAt(proc.ctx, { at: proc.root }, path, { flags: O_RDONLY | O_DIRECTORY, perm: 0 });
    proc.fds.install({ file, rightsBase: W.RIGHTS_DIRECTORY_BASE, rightsInheriting: W.RIGHTS_DIRECTORY_INHERITING, preopen: name });
  }

  const memory = new WebAssembly.Memory({ initial: opts.pages ?? 2 });
  const mem = new GuestMemory(memory);
  const call = wasiImports({ kernel, proc, mem }) as Record<WasiCallName, Call>;
  let next = 1024;
  const alloc = (len: number): number => {
    const p = next;
    next += Math.ceil(Math.max(len, 1) / 8) * 8;
    if (next > memory.buffer.byteLength) throw new Error(`testKernel: out of guest memory (${next} bytes)`);
    return p;
  };
  const str = (s: string): [number, number] => {
    const b = GuestMemory.encode(s);
    const p = alloc(b.length);
    mem.write(p, b);
    return [p, b.length];
  };
  const iovs = (bufs: ReadonlyArray<readonly [number, number]>): [number, number] => {
    const p = alloc(bufs.length * 8);
    bufs.forEach(([ptr, len], i) => {
      mem.setU32(p + i * 8, ptr);
      mem.setU32(p + i * 8 + 4, len);
    });
    return [p, bufs.length];
  };
  return {
    kernel, clock, proc, memory, mem, stdin, stdout, stderr, call, alloc, str, iovs,
    get end() {
      return memory.buffer.byteLength;
    },
  };
}

/** Every right of preview 1, as path_open's rights arguments take them. */
export const ALL_RIGHTS = BigInt(W.RIGHTS_ALL);

/** path_open relative to dirfd; returns [errno, fd]. */
export function openAt(
  t: TestKernel, dirfd: number, path: string,
  o: { oflags?: number; rights?: bigint; inheriting?: bigint; fdflags?: number; follow?: boolean } = {},
): [number, number] {
  const [p, n] = t.str(path);
  const out = t.alloc(4);
  const e = t.call.path_open(
    dirfd, o.follow === false ? 0 : W.LOOKUPFLAGS_SYMLINK_FOLLOW, p, n, o.oflags ?? 0,
    o.rights ?? ALL_RIGHTS, o.inheriting ?? ALL_RIGHTS, o.fdflags ?? 0, out,
  );
  return [e, e === 0 ? t.mem.u32(out) : -1];
}

/** Calls a path_* call of the form (fd, path, len) on path; returns the errno. */
export function onPath(t: TestKernel, fn: Call, dirfd: number, path: string): number {
  const [p, n] = t.str(path);
  return fn(dirfd, p, n);
}

/** Writes text through fd_write; returns [errno, bytes written]. */
export function writeText(t: TestKernel, fd: number, text: string): [number, number] {
  const [p, n] = t.str(text);
  const [iov, cnt] = t.iovs([[p, n]]);
  const out = t.alloc(4);
  const e = t.call.fd_write(fd, iov, cnt, out);
  return [e, e === 0 ? t.mem.u32(out) : 0];
}

/** Reads up to len bytes through fd_read; returns [errno, text]. */
export function readText(t: TestKernel, fd: number, len: number): [number, string] {
  const buf = t.alloc(len);
  const [iov, cnt] = t.iovs([[buf, len]]);
  const out = t.alloc(4);
  const e = t.call.fd_read(fd, iov, cnt, out);
  return [e, e === 0 ? new TextDecoder().decode(t.mem.bytes(buf, t.mem.u32(out))) : ''];
}

/** A file's stat through path_filestat_get (following symlinks unless follow is false). */
export function pathStat(t: TestKernel, dirfd: number, path: string, follow = true): { errno: number; ino: bigint; nlink: bigint; size: bigint; type: number; atim: bigint; mtim: bigint; ctim: bigint } {
  const [p, n] = t.str(path);
  const buf = t.alloc(W.FILESTAT_SIZE);
  const errno = t.call.path_filestat_get(dirfd, follow ? W.LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, n, buf);
  return {
    errno,
    ino: t.mem.u64(buf + W.FILESTAT_INO),
    type: t.mem.u8(buf + W.FILESTAT_FILETYPE),
    nlink: t.mem.u64(buf + W.FILESTAT_NLINK),
    size: t.mem.u64(buf + W.FILESTAT_SIZE_FIELD),
    atim: t.mem.u64(buf + W.FILESTAT_ATIM),
    mtim: t.mem.u64(buf + W.FILESTAT_MTIM),
    ctim: t.mem.u64(buf + W.FILESTAT_CTIM),
  };
}
