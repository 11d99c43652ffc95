// fstat(2) of a host descriptor answered by node:wasi's uvwasi (the C library behind Node's WASI, as
// wasmtime's WASI answers fd_filestat_get): it writes WASI preview 1's filestat (64 bytes: dev, ino,
// filetype, nlink, size and the three times in nanoseconds; abi/wasi.ts FILESTAT_*) into a memory, and
// makes no JavaScript object. fs.fstatSync(fd, {bigint: true}) makes a BigIntStats of 18 BigInts and 4
// Dates every call: ~1.3 µs here against ~0.65 µs for this, the fstat itself (~0.4 µs) included.
//
// uvwasi knows only the descriptors it was given, so each host descriptor stat'ed often gets a WASI
// instance of its own that has it as its fd 0 (its stdin), set up once (~20-30 µs) and dropped when the
// descriptor is closed (uvwasi never closes a descriptor it was given). Nothing is cached but that
// instance: every answer is a fresh fstat(2) of the descriptor.
import type { WASI } from 'node:wasi';

/** fd_filestat_get as node:wasi's import object has it: (fd, pointer) → a WASI errno. */
type FilestatGet = (fd: number, buf: number) => number;

/** A descriptor stat'ed this many times gets its instance (the instance costs about 30 of Node's stats). */
export const WASI_STAT_AFTER = 32;

/** node:wasi's WASI class, loaded without its "experimental" warning on the user's stderr; null where absent. */
function loadWasi(): typeof WASI | null {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof get !== 'function') return null; // Node before 20.16: the caller keeps node:fs
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    if (String(warning).startsWith('WASI is an experimental feature')) return;
    (emit as (w: string | Error, ...r: unknown[]) => void).call(process, warning, ...rest);
  };
  try {
    return (get('node:wasi') as { WASI: typeof WASI }).WASI;
  } catch {
    return null;
  } finally {
    process.emitWarning = emit;
  }
}

export class WasiStat {
  /** node:wasi's class and the memory uvwasi writes to, once a descriptor first needs them (null: not to be had). */
  #engine: { Wasi: typeof WASI; memory: WebAssembly.Memory; out: Uint8Array } | null | undefined;
  /** fstats of each descriptor so far, until it has its instance. */
  readonly #uses = new Map<number, number>();
  readonly #calls = new Map<number, FilestatGet>();

  /**
   * fd's filestat in WASI's layout, in a view valid until the next call (the caller may change it); null
   * when fd has no instance yet or uvwasi failed: the caller stats through node:fs, which throws the error.
   */
  filestat(fd: number): Uint8Array | null {
    let call = this.#calls.get(fd);
    if (call === undefined) {
      const n = (this.#uses.get(fd) ?? 0) + 1;
      if (n < WASI_STAT_AFTER) {
        this.#uses.set(fd, n);
        return null;
      }
      this.#uses.delete(fd);
      const made = this.#instance(fd);
      if (made === null) return null;
      call = made;
    }
    // The engine exists once any descriptor has an instance.
    return call(0, 0) === 0 ? (this.#engine as { out: Uint8Array }).out : null;
  }

  #instance(fd: number): FilestatGet | null {
    if (this.#engine === undefined) {
      const Wasi = loadWasi();
      // One page that never grows: the view on it stays valid.
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
      this.#engine = Wasi === null ? null : { Wasi, memory, out: new Uint8Array(memory.buffer, 0, 64) };
    }
    const engine = this.#engine;
    if (engine === null) return null;
    let wasi: WASI;
    try {
      // Its stdio are all fd, so it never looks at this process's own 0, 1 and 2.
      wasi = new engine.Wasi({ version: 'preview1', stdin: fd, stdout: fd, stderr: fd, args: [], env: {}, returnOnExit: true });
      wasi.initialize({ exports: { memory: engine.memory } });
    } catch {
      return null; // fd is not open (a kernel bug the caller's node:fs call reports), or uvwasi refused it
    }
    const call = (wasi.wasiImport as Record<string, FilestatGet | undefined>)['fd_filestat_get'];
    if (call === undefined) return null;
    this.#calls.set(fd, call);
    return call;
  }

  /** fd is about to be closed: its number may name another object next. */
  forget(fd: number): void {
    this.#uses.delete(fd);
    this.#calls.delete(fd);
  }
}
