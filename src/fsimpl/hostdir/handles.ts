// HandleCache: the idle host descriptors a hostdir filesystem keeps open for its inodes (a directory's
// fd, a file's handle that no open file uses now), least recently used first, like gVisor's gofer
// keeping FDs for cached dentries but bounded, so a guest walking a big tree cannot exhaust the host's
// descriptor table. An evicted inode re-derives its descriptor from its parent's (hostdir.ts). A
// descriptor in use by open files is not listed here and is never evicted.
//
// Eviction happens only in trim(), which the filesystem calls when an operation starts: a descriptor
// taken during an operation stays valid until that operation ends, however many others it takes.
import { KernelError } from '../../base/error.js';
import type { HostDirectoryAccess, HostFd } from './host.js';

/** Something that may hold one cached descriptor (-1: none). */
export interface HandleHolder {
  handle: HostFd;
}

export class HandleCache<T extends HandleHolder> {
  readonly #host: HostDirectoryAccess;
  readonly #max: number;
  /** Holders with a descriptor, least recently used first. */
  readonly #lru = new Set<T>();
  #last: T | null = null;

  constructor(host: HostDirectoryAccess, max: number) {
    if (!(max >= 2)) throw new RangeError(`hostdir: maxHandles must be at least 2, got ${max}`);
    this.#host = host;
    this.#max = max;
  }

  get size(): number {
    return this.#lru.size;
  }

  /** Gives fd to holder (which has none). */
  add(holder: T, fd: HostFd): void {
    holder.handle = fd;
    this.#lru.add(holder);
    this.#last = holder;
  }

  /** Marks holder's descriptor as just used (if the cache lists it). */
  touch(holder: T): void {
    if (holder === this.#last || !this.#lru.delete(holder)) return;
    this.#lru.add(holder);
    this.#last = holder;
  }

  /** Takes holder's descriptor out of the cache without closing it (open files now use it). */
  unlist(holder: T): void {
    if (!this.#lru.delete(holder)) return;
    if (this.#last === holder) this.#last = null;
  }

  /** Closes holder's descriptor, if it has one here. */
  drop(holder: T): void {
    if (!this.#lru.delete(holder)) return;
    if (this.#last === holder) this.#last = null;
    const fd = holder.handle;
    holder.handle = -1;
    this.#close(fd);
  }

  /** Closes the least recently used descriptors beyond the limit. */
  trim(): void {
    if (this.#lru.size > this.#max) this.#evict();
  }

  #evict(): void {
    for (const h of this.#lru) {
      if (this.#lru.size <= this.#max) break;
      this.drop(h);
    }
  }

  clear(): void {
    for (const h of this.#lru) this.drop(h);
  }

  #close(fd: HostFd): void {
    try {
      this.#host.close(fd);
    } catch (e) {
      // Closing a directory or a read-only handle loses nothing; the descriptor is gone either way.
      if (!(e instanceof KernelError)) throw e;
    }
  }
}
