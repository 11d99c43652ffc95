// FdTable: a process's file descriptor table, like Linux's struct files_struct. Each entry holds a
// reference on one FileDescription, plus what WASI attaches to a descriptor: its rights and, for a
// preopened directory, the name the guest sees. New descriptors take the lowest free number, below the
// process's RLIMIT_NOFILE (EMFILE at it), and count against the kernel's OpenFiles (ENFILE when full).
import { EBADF, EMFILE, ENFILE } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import { int, map, opt, ref, savable, str, struct, upgrade } from '../state/index.js';
import { FileDescription } from '../vfs/file.js';

export interface FdEntry {
  readonly file: FileDescription;
  /** WASI rights (abi/wasi.ts RIGHTS_*) this descriptor grants, and those it passes to files opened through it. */
  rightsBase: number;
  rightsInheriting: number;
  /** Set on preopened directories: the path fd_prestat_dir_name reports. */
  readonly preopen?: string;
}

/** runc's default RLIMIT_NOFILE (soft and hard) for a container's process. */
export const DEFAULT_NOFILE = 1024;

/**
 * Every descriptor open in a kernel, like Linux's nr_files against fs.file-max: each is one host
 * descriptor at most (a host file, a host directory), so the sandbox bounds their sum and keeps the rest
 * of its own RLIMIT_NOFILE for itself (its sockets, logs, image files). Not saved: the host sets max.
 */
export class OpenFiles {
  count = 0;
  max = Infinity;

  /** One more; ENFILE when the kernel's table is full. */
  take(): void {
    if (this.count >= this.max) throw new KernelError(ENFILE);
    this.count++;
  }

  give(n = 1): void {
    this.count -= n;
  }
}

export class FdTable {
  readonly #entries = new Map<number, FdEntry>();
  #lowestFree = 0;
  /** RLIMIT_NOFILE: every descriptor is below it. */
  limit = DEFAULT_NOFILE;
  #files: OpenFiles | null = null;

  /** Counts this table's descriptors in files (once, when its process joins a kernel). */
  attach(files: OpenFiles): void {
    if (this.#files !== null) return;
    this.#files = files;
    files.count += this.#entries.size;
  }

  /** The entry for fd; EBADF if closed. */
  get(fd: number): FdEntry {
    const e = this.#entries.get(fd);
    if (e === undefined) throw new KernelError(EBADF);
    return e;
  }

  has(fd: number): boolean {
    return this.#entries.has(fd);
  }

  /** Installs entry at the lowest free number (taking over the caller's reference) and returns it. */
  install(entry: FdEntry): number {
    let fd = this.#lowestFree;
    while (this.#entries.has(fd)) fd++;
    if (fd >= this.limit) throw new KernelError(EMFILE);
    this.#files?.take();
    this.#entries.set(fd, entry);
    this.#lowestFree = fd + 1;
    return fd;
  }

  /** Installs entry at fd, closing what was there. */
  installAt(fd: number, entry: FdEntry): void {
    const old = this.#entries.get(fd);
    if (old === undefined) this.#files?.take();
    this.#entries.set(fd, entry);
    if (old !== undefined) old.file.decRef();
  }

  /** close(2): EBADF if fd is not open. */
  close(fd: number): void {
    const e = this.get(fd);
    this.#entries.delete(fd);
    this.#files?.give();
    if (fd < this.#lowestFree) this.#lowestFree = fd;
    e.file.decRef();
  }

  /** WASI fd_renumber: moves `from` onto `to`, closing what `to` held. EBADF if either is closed. */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    this.get(to);
    if (from === to) return;
    this.#entries.delete(from);
    this.#files?.give(); // installAt below closes to's description and keeps the count of one
    if (from < this.#lowestFree) this.#lowestFree = from;
    this.installAt(to, e);
  }

  /** Open descriptors in ascending order. */
  entries(): Array<[number, FdEntry]> {
    return [...this.#entries].sort((a, b) => a[0] - b[0]);
  }

  /** Closes everything (process exit). */
  closeAll(): void {
    for (const e of this.#entries.values()) e.file.decRef();
    this.#files?.give(this.#entries.size);
    this.#entries.clear();
    this.#lowestFree = 0;
  }

  /**
   * Every entry by number, in the table's own order, each with its description (shared descriptions
   * are saved once, so dup'd fds keep sharing an offset), rights and preopen name; and the search hint.
   */
  static readonly saved = savable(FdTable, {
    name: 'kernel.FdTable',
    version: 2,
    fields: {
      entries: map(int, struct({ file: ref(FileDescription), rightsBase: int, rightsInheriting: int, preopen: opt(str) })),
      lowestFree: int,
      limit: int,
    },
    // Version 1 had no limit: its processes get runc's default.
    upgrades: { 1: upgrade({ entries: map(int, struct({ file: ref(FileDescription), rightsBase: int, rightsInheriting: int, preopen: opt(str) })), lowestFree: int }, (old) => ({ ...old, limit: DEFAULT_NOFILE })) },
    save: (t) => ({ entries: t.#entries, lowestFree: t.#lowestFree, limit: t.limit }),
    create: () => new FdTable(),
    fill: (t, v) => {
      t.limit = v.limit;
      for (const [fd, e] of v.entries) {
        const entry: FdEntry = { file: e.file, rightsBase: e.rightsBase, rightsInheriting: e.rightsInheriting };
        t.#entries.set(fd, e.preopen === null ? entry : { ...entry, preopen: e.preopen });
      }
      t.#lowestFree = v.lowestFree;
    },
  });
}
