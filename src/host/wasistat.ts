// stat(2) of host objects answered by node:wasi's uvwasi (the C library behind Node's WASI, as wasmtime's
// WASI answers fd_filestat_get): it writes WASI preview 1's filestat (64 bytes: dev, ino, filetype, nlink,
// size and the three times in nanoseconds; abi/wasi.ts FILESTAT_*) into a memory, and makes no JavaScript
// object. fs.fstatSync(fd, {bigint: true}) makes a BigIntStats of 18 BigInts and 4 Dates every call:
// ~1.3 µs here against ~0.65 µs for this, the fstat itself (~0.4 µs) included; an lstat by path ~2.1 µs
// (relative, one name) against ~1.7 µs (absolute).
//
// uvwasi knows only the descriptors it was given, so each host descriptor stat'ed often gets a WASI
// instance of its own that has it as its fd 0 (its stdin), set up once (~20-30 µs) and dropped when the
// descriptor is closed (uvwasi never closes a descriptor it was given). Paths go through one instance
// that has the host's "/" preopened as its fd 3 (the one descriptor uvwasi opens itself, closed through
// uvwasi when the directory descriptor that instance was made for is closed). Nothing is cached but
// those instances: every answer is a fresh fstat(2) or lstat(2).
import type { WASI } from 'node:wasi';
import { FILESTAT_FILETYPE } from '../abi/wasi.js';
import { isOneName } from '../vfs/resolve.js';

/** fd_filestat_get as node:wasi's import object has it: (fd, pointer) → a WASI errno. */
type FilestatGet = (fd: number, buf: number) => number;
/** path_filestat_get: (fd, lookupflags, path pointer, path length, pointer) → a WASI errno. */
type PathFilestatGet = (fd: number, flags: number, path: number, len: number, buf: number) => number;

/** A descriptor stat'ed this many times gets its instance (the instance costs about 30 of Node's stats). */
export const WASI_STAT_AFTER = 32;

/** The page uvwasi writes to: the filestat at 0, a path at PATH_AT. */
const PAGE = 65536;
const PATH_AT = 64;
/** The preopened "/" in the path instance (uvwasi numbers preopens after its stdio). */
const ROOT_FD = 3;

interface Engine {
  Wasi: typeof WASI;
  memory: WebAssembly.Memory;
  /** The whole page, and its first 64 bytes (where every answer is written). */
  page: Uint8Array;
  out: Uint8Array;
  /** The page's first 64 bytes as u32s, for reading an answer's fields in place (this host is little-endian). */
  words: Uint32Array;
}

interface PathInstance {
  /** The descriptor given as the instance's stdio: closing it ends the instance. */
  fd: number;
  call: PathFilestatGet;
  close: (fd: number) => number;
}

const encoder = new TextEncoder();

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

/**
 * s as UTF-8 at `at` in page; the byte after it, or -1 when it does not fit or holds a NUL. Plain ASCII
 * byte by byte (a TextEncoder call costs more for a short string).
 */
function put(page: Uint8Array, at: number, s: string): number {
  const n = s.length;
  if (at + n > page.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return -1;
    if (c >= 0x80) {
      const r = encoder.encodeInto(s, page.subarray(at));
      return r.read === n && !s.includes('\0') ? at + r.written : -1;
    }
    page[at + i] = c;
  }
  return at + n;
}

/** The high u32 of a u64 held as a safe integer (0 without a division for most devs and inodes). */
function high(v: number): number {
  return v < 0x1_0000_0000 ? 0 : Math.floor(v / 0x1_0000_0000);
}

/**
 * A path stat prepared once for one cached object (WasiStat.question): the path's bytes as the page holds
 * them, and the dev, ino (as u32 halves) and WASI file type its answer must show. Asked through
 * WasiStat.answer, never with other bytes than these, so one question keeps asking about one path.
 */
export class PathQuestion {
  readonly bytes: Uint8Array;
  readonly devLo: number;
  readonly devHi: number;
  readonly inoLo: number;
  readonly inoHi: number;
  readonly filetype: number;
  /** The directory descriptor and name it was made for, and the WasiStat's hint generation then (see hintsChanged). */
  readonly dir: number;
  readonly name: string;
  readonly gen: number;
  readonly #stat: WasiStat;

  constructor(stat: WasiStat, gen: number, dir: number, name: string, bytes: Uint8Array, dev: number, ino: number, filetype: number) {
    this.#stat = stat;
    this.gen = gen;
    this.dir = dir;
    this.name = name;
    this.bytes = bytes;
    this.devLo = dev >>> 0;
    this.devHi = high(dev);
    this.inoLo = ino >>> 0;
    this.inoHi = high(ino);
    this.filetype = filetype;
  }

  /** WasiStat.answer(this): the object's filestat if its path still shows it now, else null. */
  filestat(): Uint8Array | null {
    return this.#stat.answer(this);
  }
}

export class WasiStat {
  /** node:wasi's class and the memory uvwasi writes to, once first needed (null: not to be had). */
  #engine: Engine | null | undefined;
  /** fstats of each descriptor so far, until it has its instance. */
  readonly #uses = new Map<number, number>();
  readonly #calls = new Map<number, FilestatGet>();
  /** The descriptor stat'ed last and its instance's call (a program often stats one descriptor in a row). */
  #lastFd = -1;
  #lastCall: FilestatGet | null = null;
  /** Path stats so far, until the path instance is made. */
  #pathUses = 0;
  #path: PathInstance | null = null;
  /** The directory path whose bytes (less its leading "/", plus a "/") are at PATH_AT now, up to #nameAt. */
  #dirInPage = '';
  #nameAt = -1;
  /** The name after it (checked: one component without NUL) and the path's end, -1 for none. */
  #nameInPage = '';
  #pathEnd = -1;
  /** The question whose bytes are at PATH_AT now (null: pathFilestat's directory and name, or nothing). */
  #questionInPage: PathQuestion | null = null;
  /** Bumped by hintsChanged: questions made before answer null, and their owner makes them again. */
  #gen = 0;

  /**
   * fd's filestat in WASI's layout, in a view valid until the next call (the caller may change it); null
   * when fd has no instance yet or uvwasi failed: the caller stats through node:fs, which throws the error.
   */
  filestat(fd: number): Uint8Array | null {
    const call = (fd === this.#lastFd ? this.#lastCall : this.#calls.get(fd)) ?? this.#fdInstance(fd);
    if (call === null) return null;
    this.#lastFd = fd;
    this.#lastCall = call;
    // The engine exists once any descriptor has an instance.
    return call(0, 0) === 0 ? (this.#engine as Engine).out : null;
  }

  /** fd's instance's call, made once fd was asked about often enough; null until then, or if it cannot be made. */
  #fdInstance(fd: number): FilestatGet | null {
    const n = (this.#uses.get(fd) ?? 0) + 1;
    if (n < WASI_STAT_AFTER) {
      this.#uses.set(fd, n);
      return null;
    }
    this.#uses.delete(fd);
    const made = this.#instance(fd, {});
    if (made === null) return null;
    const call = made.wasiImport['fd_filestat_get'] as FilestatGet;
    this.#calls.set(fd, call);
    return call;
  }

  /**
   * lstat(2) of name in the host directory dir (an absolute, normalized path) as WASI's filestat, in the
   * view filestat gives; null when not asked often enough yet (the path instance is made on behalf of
   * the open directory descriptor `via`, and lives as long as it), when the name is missing or uvwasi
   * failed, the path is too long, or name is not one component without NUL (never asked of the host).
   */
  pathFilestat(via: number, dir: string, name: string): Uint8Array | null {
    // The hot path is kept small, so that V8 inlines it whole: set-up and a new directory are apart.
    const p = this.#path ?? this.#pathInstance(via);
    if (p === null) return null;
    // The directory's bytes stay in the page from one call to the next, and so does the name after
    // them while it is the same: often nothing is new.
    if (dir !== this.#dirInPage || this.#questionInPage !== null) this.#putDir(dir);
    let end = this.#pathEnd;
    if (name !== this.#nameInPage || end < 0) end = this.#putName(name);
    if (end < 0) return null;
    return p.call(ROOT_FD, 0, PATH_AT, end - PATH_AT, 0) === 0 ? (this.#engine as Engine).out : null;
  }

  /**
   * pathFilestat(via, dir, name) prepared once, for an object the caller verified as (dev, ino) of WASI
   * file type `filetype`: each question.filestat() lstats that same path and answers as pathFilestat and
   * shows would together, the filestat when it shows that object, else null. `dirFd` is the descriptor
   * dir is the path of, recorded for the caller. null when name is not one component without NUL, or the
   * path does not fit the page (never asked of the host).
   */
  question(dirFd: number, dir: string, name: string, dev: number, ino: number, filetype: number): PathQuestion | null {
    if (!isOneName(name) || name.includes('\0') || dir.includes('\0')) return null;
    const bytes = encoder.encode(dir === '/' ? name : `${dir.slice(1)}/${name}`);
    if (PATH_AT + bytes.length >= PAGE) return null; // room for the NUL after it
    return new PathQuestion(this, this.#gen, dirFd, name, bytes, dev, ino, filetype);
  }

  /**
   * The directories' paths a question may have been made from changed (a rename, a descriptor closed or
   * opened): every question made before answers null from now on (its owner makes it again).
   */
  hintsChanged(): void {
    this.#gen++;
  }

  /** q's answer (PathQuestion.filestat); null before the path instance is made (pathFilestat makes it). */
  answer(q: PathQuestion): Uint8Array | null {
    const p = this.#path;
    if (p === null || q.gen !== this.#gen) return null;
    if (q !== this.#questionInPage) this.#putQuestion(q);
    if (p.call(ROOT_FD, 0, PATH_AT, q.bytes.length, 0) !== 0) return null;
    const e = this.#engine as Engine;
    const w = e.words;
    return w[0] === q.devLo && w[2] === q.inoLo && e.page[FILESTAT_FILETYPE] === q.filetype && w[1] === q.devHi && w[3] === q.inoHi ? e.out : null;
  }

  #putQuestion(q: PathQuestion): void {
    const page = (this.#engine as Engine).page;
    page.set(q.bytes, PATH_AT);
    page[PATH_AT + q.bytes.length] = 0; // as in #putName
    this.#questionInPage = q;
    this.#dirInPage = ''; // pathFilestat puts its directory again
    this.#pathEnd = -1;
  }

  /** Puts name after the directory's bytes; the path's end, or -1 when it is not one component without NUL or does not fit. */
  #putName(name: string): number {
    const at = this.#nameAt;
    const page = (this.#engine as Engine).page;
    let end = at < 0 || !isOneName(name) ? -1 : put(page, at, name);
    if (end >= page.length) end = -1;
    if (end >= 0) page[end] = 0; // uvwasi also reads the path as a C string: it ends here, whatever was put before
    this.#nameInPage = name;
    this.#pathEnd = end;
    return end;
  }

  /** The path instance, made once asked for often enough; null until then, or if it cannot be made. */
  #pathInstance(via: number): PathInstance | null {
    if (++this.#pathUses < WASI_STAT_AFTER) return null;
    this.#pathUses = 0;
    const made = this.#instance(via, { '/': '/' });
    if (made === null) return null;
    return (this.#path = {
      fd: via,
      call: made.wasiImport['path_filestat_get'] as PathFilestatGet,
      close: made.wasiImport['fd_close'] as (fd: number) => number,
    });
  }

  /** Puts dir's bytes (less its leading "/", plus a "/") at PATH_AT; #nameAt -1 when they do not fit. */
  #putDir(dir: string): void {
    const page = (this.#engine as Engine).page;
    this.#dirInPage = dir;
    this.#pathEnd = -1;
    this.#questionInPage = null;
    const end = dir === '/' ? PATH_AT : put(page, PATH_AT, dir.slice(1));
    this.#nameAt = end < 0 || end >= page.length ? -1 : end + (dir === '/' ? 0 : 1);
    if (this.#nameAt > 0 && dir !== '/') page[end] = 0x2f; // "/"
  }

  /**
   * Whether the answer filestat or pathFilestat gave last shows the object (dev, ino) of WASI file type
   * `filetype`: read in place as u32 halves, no number made of the u64s.
   */
  shows(dev: number, ino: number, filetype: number): boolean {
    const e = this.#engine as Engine;
    const w = e.words;
    return w[0] === dev >>> 0 && w[2] === ino >>> 0 && e.page[FILESTAT_FILETYPE] === filetype &&
      w[1] === high(dev) && w[3] === high(ino);
  }

  #instance(fd: number, preopens: Record<string, string>): { wasiImport: Record<string, unknown> } | null {
    if (this.#engine === undefined) {
      const Wasi = loadWasi();
      // One page that never grows: the views on it stay valid.
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
      const page = new Uint8Array(memory.buffer, 0, PAGE);
      // The u32 view reads WASI's little-endian fields only where the host is little-endian too.
      const le = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
      this.#engine = Wasi === null || !le ? null : { Wasi, memory, page, out: page.subarray(0, 64), words: new Uint32Array(memory.buffer, 0, 16) };
    }
    const engine = this.#engine;
    if (engine === null) return null;
    let wasi: WASI;
    try {
      // Its stdio are all fd, so it never looks at this process's own 0, 1 and 2.
      wasi = new engine.Wasi({ version: 'preview1', stdin: fd, stdout: fd, stderr: fd, args: [], env: {}, preopens, returnOnExit: true });
      wasi.initialize({ exports: { memory: engine.memory } });
    } catch {
      return null; // fd is not open (a kernel bug the caller's node:fs call reports), or uvwasi refused it
    }
    return wasi as unknown as { wasiImport: Record<string, unknown> };
  }

  /** fd is about to be closed: its number may name another object next. */
  forget(fd: number): void {
    this.#uses.delete(fd);
    this.#calls.delete(fd);
    if (fd === this.#lastFd) {
      this.#lastFd = -1;
      this.#lastCall = null;
    }
    const p = this.#path;
    if (p !== null && p.fd === fd) {
      p.close(ROOT_FD); // uvwasi's own descriptor of "/"
      this.#path = null;
    }
  }
}
