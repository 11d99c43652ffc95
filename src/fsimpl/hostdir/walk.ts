// PathWalker: finds an object by its path from the root of a host directory, the way a checkpoint
// names hostdir objects and a restore finds them again. Each component is opened through its parent's
// descriptor (HostDirectoryAccess, so never by host path and never through a symlink), and the
// directories on the way are kept open for the next walk until close(). Only checkpoint and restore
// use it; the filesystem itself walks dentries.
import { ELOOP, ENOENT, ENOTDIR } from '../../abi/errno.js';
import { KernelError } from '../../base/error.js';
import type { HostAttr, HostDirectoryAccess, HostFd } from './host.js';

/** A path from the root of a host directory ("/a/b", "/" for the root) as its names. */
export function namesOf(path: string): string[] {
  return path.split('/').filter((n) => n !== '');
}

/** The errors that mean "nothing of that type lives there now" rather than a failure of the host. */
function absent(e: unknown): boolean {
  return e instanceof KernelError && (e.errno === ENOENT || e.errno === ENOTDIR || e.errno === ELOOP);
}

export class PathWalker {
  readonly #host: HostDirectoryAccess;
  readonly #root: HostFd;
  /** Directories opened on the way, by path ("/a", "/a/b"); null: not a directory there. */
  readonly #dirs = new Map<string, HostFd | null>();

  /** root is borrowed: close() leaves it open. */
  constructor(host: HostDirectoryAccess, root: HostFd) {
    this.#host = host;
    this.#root = root;
  }

  /** The descriptor of the directory at names[0..n), or null when one of them is missing or no directory. */
  #dir(names: readonly string[], n: number): HostFd | null {
    let fd = this.#root;
    let path = '';
    for (let i = 0; i < n; i++) {
      path += '/' + (names[i] as string);
      const known = this.#dirs.get(path);
      if (known === null) return null;
      if (known !== undefined) {
        fd = known;
        continue;
      }
      let next: HostFd | null;
      try {
        next = this.#host.openDirAt(fd, names[i] as string);
      } catch (e) {
        if (!absent(e)) throw e;
        next = null;
      }
      this.#dirs.set(path, next);
      if (next === null) return null;
      fd = next;
    }
    return fd;
  }

  /** The parent directory's descriptor and the last name of path; null when the parent is not there. */
  parentOf(path: string): { dir: HostFd; name: string } | null {
    const names = namesOf(path);
    const name = names[names.length - 1];
    if (name === undefined) return null;
    const dir = this.#dir(names, names.length - 1);
    return dir === null ? null : { dir, name };
  }

  /** lstat of what path names now; null when nothing does. The root is "/". */
  lookup(path: string): HostAttr | null {
    const at = this.parentOf(path);
    if (at === null) return path === '/' || namesOf(path).length === 0 ? this.#host.attr(this.#root) : null;
    return this.#host.lookup(at.dir, at.name);
  }

  /** An O_PATH handle on what path names now (never following it); null when nothing does. */
  openPath(path: string): HostFd | null {
    const at = this.parentOf(path);
    if (at === null) return null;
    try {
      return this.#host.openPathAt(at.dir, at.name);
    } catch (e) {
      if (absent(e)) return null;
      throw e;
    }
  }

  /** Whether path names the object (dev, ino) now. */
  names(path: string, dev: number, ino: number): boolean {
    const a = this.lookup(path);
    return a !== null && a.dev === dev && a.ino === ino;
  }

  /** Closes the directories opened on the way. */
  close(): void {
    for (const fd of this.#dirs.values()) {
      if (fd === null) continue;
      try {
        this.#host.close(fd);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
    this.#dirs.clear();
  }
}
