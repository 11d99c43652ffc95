// Test support for the transform's tests and bench/asyncify.ts (never shipped): guest modules, built from
// guests/*.c into a temp folder when clang is installed and read from the committed guests/*.wasm
// otherwise; their transformed forms, cached per process; and FakeWasi, the few WASI calls the test
// guests make, with reads and sleeps that block (return SUSPEND) so tests can drive a fiber as a kernel would.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import binaryen from 'binaryen';
import { LEAN_ENGINE } from '../cache.js';
import { transformCached, type TransformCache, type TransformOptions } from '../transform.js';
import { SUSPEND, type Answer, type Fiber, type RunOutcome, type SuspendableImport } from '../../wasi/suspend.js';

const GUESTS = new URL('../../../guests/', import.meta.url);

/** A WebAssembly text module assembled by binaryen.js, as bytes. */
export function watBytes(text: string): Uint8Array<ArrayBuffer> {
  const mod = binaryen.parseText(text);
  try {
    return Uint8Array.from(mod.emitBinary());
  } finally {
    mod.dispose();
  }
}

function hasClang(): boolean {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const built = new Map<string, Uint8Array<ArrayBuffer>>();

/** The flags a guest's source asks for on a `// cflags: ...` line, as scripts/build-guests.sh reads them. */
function extraFlags(name: string): string[] {
  const line = readFileSync(new URL(`${name}.c`, GUESTS), 'utf8').split('\n').find((l) => l.startsWith('// cflags: '));
  return line === undefined ? [] : line.slice('// cflags: '.length).split(' ').filter((f) => f !== '');
}

/** guests/NAME.c compiled now when clang is installed (as scripts/build-guests.sh does), else guests/NAME.wasm. */
export function guestBytes(name: string): Uint8Array<ArrayBuffer> {
  const hit = built.get(name);
  if (hit !== undefined) return hit;
  let bytes: Uint8Array<ArrayBuffer>;
  if (hasClang()) {
    const dir = mkdtempSync(join(tmpdir(), 'amber-guest-'));
    try {
      const out = join(dir, `${name}.wasm`);
      // Two steps, as scripts/build-guests.sh builds: a link given -O would run any wasm-opt installed.
      const flags = ['--target=wasm32-wasi', ...extraFlags(name)];
      const run = (args: string[]): void => void execFileSync('clang', args, { cwd: GUESTS, stdio: ['ignore', 'ignore', 'inherit'] });
      run([...flags, '-O2', '-Wall', '-Wextra', '-Werror', '-c', '-o', `${out}.o`, `${name}.c`]);
      run([...flags, '-Wl,--strip-debug', '-o', out, `${out}.o`]);
      bytes = new Uint8Array(readFileSync(out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    bytes = new Uint8Array(readFileSync(new URL(`${name}.wasm`, GUESTS)));
  }
  built.set(name, bytes);
  return bytes;
}

const memoryCache = new Map<string, Uint8Array>();
const cache: TransformCache = {
  get: (key) => memoryCache.get(key),
  set: (key, bytes) => void memoryCache.set(key, bytes),
};

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The engine tests transform with by default, as a host picks it: the lean one unless AMBER_TRANSFORM=binaryen. */
export function testEngine(): TransformOptions {
  return process.env['AMBER_TRANSFORM'] === 'binaryen' ? {} : { engine: LEAN_ENGINE };
}

/** The transformed module of guests/NAME (cached for the test process). */
export function transformedGuest(name: string, opts: TransformOptions = testEngine()): WebAssembly.Module {
  return new WebAssembly.Module(transformCached(guestBytes(name), { hash: sha256, cache }, opts).bytes);
}

/** Thrown by proc_exit. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const ERRNO_BADF = 8;
const ERRNO_SPIPE = 70;

export interface FakeWasiOptions {
  args: string[];
  /** poll_oneoff and an empty-stdin fd_read return SUSPEND (default true); false: sleeps return at once. */
  blocking?: boolean;
  /** Called after each fd_write with the text written. */
  onWrite?: (text: string) => void;
}

/**
 * The WASI calls the test guests make, over a memory set after instantiation. stdout and stderr are
 * collected; stdin is fed with feed() and closed with close(); a sleep blocks until completePoll().
 */
export class FakeWasi {
  memory: WebAssembly.Memory | null = null;
  /** Where guest address 0 is in memory: a tracked module's TRACK_BASE_EXPORT (set with memory), else 0. */
  base = 0;
  stdout = '';
  stderr = '';
  /** How many times each call was made (a rewind must not make a call again). */
  readonly calls = new Map<string, number>();
  readonly #args: string[];
  readonly #blocking: boolean;
  readonly #onWrite: ((text: string) => void) | undefined;
  #stdin: Uint8Array[] = [];
  #eof = false;

  constructor(opts: FakeWasiOptions) {
    this.#args = ['guest', ...opts.args];
    this.#blocking = opts.blocking ?? true;
    this.#onWrite = opts.onWrite;
  }

  feed(text: string): void {
    this.#stdin.push(new TextEncoder().encode(text));
  }

  close(): void {
    this.#eof = true;
  }

  #view(): DataView {
    if (this.memory === null) throw new Error('FakeWasi: memory not set');
    return new DataView(this.memory.buffer, this.base);
  }

  #bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory!.buffer, this.base + ptr, len);
  }

  /**
   * Completes a blocked poll_oneoff (its arguments as the fiber saved them): every clock subscription
   * fires. Returns the answer for Fiber.resume.
   */
  completePoll(args: readonly (number | bigint)[]): Answer {
    const [inPtr, outPtr, nsubs, neventsPtr] = args.map(Number) as [number, number, number, number];
    const v = this.#view();
    for (let i = 0; i < nsubs; i++) {
      const sub = inPtr + i * 48;
      const ev = outPtr + i * 32;
      v.setBigUint64(ev, v.getBigUint64(sub, true), true); // userdata
      v.setUint16(ev + 8, 0, true); // error
      v.setUint8(ev + 10, v.getUint8(sub + 8)); // type
    }
    v.setUint32(neventsPtr, nsubs, true);
    return { value: 0 };
  }

  imports(): Record<string, SuspendableImport> {
    const count = (name: string): void => void this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    const strings = (): Uint8Array[] => this.#args.map((a) => new TextEncoder().encode(`${a}\0`));
    const table: Record<string, (...a: number[]) => number | typeof SUSPEND> = {
      args_sizes_get: (argc, size) => {
        const v = this.#view();
        v.setUint32(argc, this.#args.length, true);
        v.setUint32(size, strings().reduce((n, s) => n + s.length, 0), true);
        return 0;
      },
      args_get: (argv, buf) => {
        const v = this.#view();
        let at = buf;
        strings().forEach((s, i) => {
          this.#bytes(at, s.length).set(s);
          v.setUint32(argv + 4 * i, at, true);
          at += s.length;
        });
        return 0;
      },
      fd_write: (fd, iovs, n, nwritten) => {
        const v = this.#view();
        let text = '';
        let total = 0;
        for (let i = 0; i < n; i++) {
          const len = v.getUint32(iovs + 8 * i + 4, true);
          text += new TextDecoder().decode(this.#bytes(v.getUint32(iovs + 8 * i, true), len));
          total += len;
        }
        if (fd === 1) this.stdout += text;
        else if (fd === 2) this.stderr += text;
        else return ERRNO_BADF;
        v.setUint32(nwritten, total, true);
        this.#onWrite?.(text);
        return 0;
      },
      fd_read: (fd, iovs, n, nread) => {
        if (fd !== 0) return ERRNO_BADF;
        const v = this.#view();
        const chunk = this.#stdin.shift();
        if (chunk === undefined) {
          if (!this.#eof && this.#blocking) return SUSPEND;
          v.setUint32(nread, 0, true);
          return 0;
        }
        let got = 0;
        for (let i = 0; i < n && got < chunk.length; i++) {
          const len = Math.min(v.getUint32(iovs + 8 * i + 4, true), chunk.length - got);
          this.#bytes(v.getUint32(iovs + 8 * i, true), len).set(chunk.subarray(got, got + len));
          got += len;
        }
        if (got < chunk.length) this.#stdin.unshift(chunk.subarray(got));
        v.setUint32(nread, got, true);
        return 0;
      },
      poll_oneoff: (inPtr, outPtr, nsubs, nevents) => {
        if (this.#blocking) return SUSPEND;
        this.completePoll([inPtr, outPtr, nsubs, nevents]);
        return 0;
      },
      fd_fdstat_get: (fd, ptr) => {
        if (fd > 2) return ERRNO_BADF;
        const v = this.#view();
        v.setUint8(ptr, 2); // character device
        v.setUint16(ptr + 2, 0, true);
        v.setBigUint64(ptr + 8, 0xffffffffn, true);
        v.setBigUint64(ptr + 16, 0n, true);
        return 0;
      },
      fd_seek: () => ERRNO_SPIPE,
      fd_close: () => 0,
      fd_prestat_get: () => ERRNO_BADF,
      environ_sizes_get: (count, size) => {
        this.#view().setUint32(count, 0, true);
        this.#view().setUint32(size, 0, true);
        return 0;
      },
      environ_get: () => 0,
      proc_exit: (code) => {
        throw new Exit(code);
      },
    };
    const out: Record<string, SuspendableImport> = {};
    for (const [name, fn] of Object.entries(table)) {
      out[name] = (...a) => {
        count(name);
        return fn(...a.map(Number));
      };
    }
    return out;
  }
}

/** Runs an untransformed module to its end with a non-blocking FakeWasi; returns stdout and the exit code. */
export function runRaw(bytes: Uint8Array<ArrayBuffer>, args: string[]): { stdout: string; code: number } {
  const wasi = new FakeWasi({ args, blocking: false });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    wasi_snapshot_preview1: wasi.imports() as unknown as WebAssembly.ModuleImports,
  });
  wasi.memory = instance.exports['memory'] as WebAssembly.Memory;
  let code = 0;
  try {
    (instance.exports['_start'] as () => void)();
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.code;
  }
  return { stdout: wasi.stdout, code };
}

/** Exit code of a run outcome or of the Exit the guest threw. */
export function settle(run: () => RunOutcome): RunOutcome | { kind: 'exit'; code: number } {
  try {
    return run();
  } catch (e) {
    if (e instanceof Exit) return { kind: 'exit', code: e.code };
    throw e;
  }
}

/**
 * Runs a fiber as a kernel would until the guest ends: blocked sleeps complete at once, reads are
 * retried (stdin must have been fed), preemptions resume. Returns the exit code and the causes seen.
 */
export function drive(fiber: Fiber, wasi: FakeWasi, first?: () => RunOutcome): { code: number; causes: string[] } {
  const causes: string[] = [];
  let out = settle(first ?? (() => fiber.start()));
  while (out.kind === 'suspended') {
    const p = out.pending;
    causes.push(`${p.cause}:${p.name}`);
    if (p.cause !== 'blocked') out = settle(() => fiber.resume());
    else if (p.name === 'poll_oneoff') out = settle(() => fiber.resume(wasi.completePoll(p.args)));
    else out = settle(() => fiber.resume({ retry: true }));
  }
  return { code: out.kind === 'exit' ? out.code : 0, causes };
}
