// FdTable: a process's file descriptor table, like Linux's struct files_struct. Each entry holds a
// reference on one FileDescription, plus what WASI attaches to a descriptor: its rights and, for a
// preopened directory, the name the guest sees. New descriptors take the lowest free number.
import { EBADF } from '../abi/errno.js';
import { KernelError } from '../base/error.js';
import { int, map, opt, ref, savable, str, struct } from '../state/index.js';
import { FileDescription } from '../vfs/file.js';

export interface FdEntry {
  readonly file: FileDescription;
  /** WASI rights (abi/wasi.ts RIGHTS_*) this descriptor grants, and those it passes to files opened through it. */
  rightsBase: number;
  rightsInheriting: number;
  /** Set on preopened directories: the path fd_prestat_dir_name reports. */
  readonly preopen?: string;
}

export class FdTable {
  readonly #entries = new Map<number, FdEntry>();
  #lowestFree = 0;

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
    this.#entries.set(fd, entry);
    this.#lowestFree = fd + 1;
    return fd;
  }

  /** Installs entry at fd, closing what was there. */
  installAt(fd: number, entry: FdEntry): void {
    const old = this.#entries.get(fd);
    this.#entries.set(fd, entry);
    if (old !== undefined) old.file.decRef();
  }

  /** close(2): EBADF if fd is not open. */
  close(fd: number): void {
    const e = this.get(fd);
    this.#entries.delete(fd);
    if (fd < this.#lowestFree) this.#lowestFree = fd;
    e.file.decRef();
  }

  /** WASI fd_renumber: moves `from` onto `to`, closing what `to` held. EBADF if either is closed. */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    this.get(to);
    if (from === to) return;
    this.#entries.delete(from);
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
    this.#entries.clear();
    this.#lowestFree = 0;
  }

  /**
   * Every entry by number, in the table's own order, each with its description (shared descriptions
   * are saved once, so dup'd fds keep sharing an offset), rights and preopen name; and the search hint.
   */
  static readonly saved = savable(FdTable, {
    name: 'kernel.FdTable',
    version: 1,
    fields: {
      entries: map(int, struct({ file: ref(FileDescription), rightsBase: int, rightsInheriting: int, preopen: opt(str) })),
      lowestFree: int,
    },
    save: (t) => ({ entries: t.#entries, lowestFree: t.#lowestFree }),
    create: () => new FdTable(),
    fill: (t, v) => {
      for (const [fd, e] of v.entries) {
        const entry: FdEntry = { file: e.file, rightsBase: e.rightsBase, rightsInheriting: e.rightsInheriting };
        t.#entries.set(fd, e.preopen === null ? entry : { ...entry, preopen: e.preopen });
      }
      t.#lowestFree = v.lowestFree;
    },
  });
}
