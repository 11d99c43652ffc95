// The process's working directory, lent to the host directories of one synchronous run (`amber do`) as
// openat(2)'s directory argument is to a Linux process: NodeHostDirectory then names a child of a
// directory descriptor relative to the working directory, after a chdir through the descriptor's magic
// link (/proc/<pid>/fd/<n>: the working directory becomes that very directory, whatever was renamed or
// swapped on its host path since, as after fchdir(2)), so the host kernel walks one name instead of
// /proc/<pid>/fd/<n>/<name>. The caller's working directory comes back when the run ends.
export class WorkingDirectoryLease {
  readonly #original: string;
  /** The descriptor whose directory is the working directory now; -1 when none of them is. */
  #fd = -1;
  /** process.cwd() right after the move to #fd: had anything moved it since, it would differ. */
  #cwd = '';
  #released = false;

  private constructor(original: string) {
    this.#original = original;
  }

  /**
   * A lease on this process's working directory, or null where it cannot be moved (a worker thread) or
   * given back (it was removed). Only for a run nothing else in the process interleaves with: every
   * relative host path until release() is resolved from wherever the lease moved it.
   */
  static take(): WorkingDirectoryLease | null {
    try {
      const cwd = process.cwd();
      process.chdir(cwd); // a worker thread's process.chdir throws (and node:worker_threads costs 2 ms to load)
      return new WorkingDirectoryLease(cwd);
    } catch {
      return null;
    }
  }

  /**
   * Makes the directory of descriptor fd, whose magic link is fdDir + fd, the working directory. False
   * when it cannot (released, or the chdir failed): the caller names the child through the link.
   */
  moveTo(fd: number, fdDir: string): boolean {
    // process.cwd() is Node's cache, read again from the host after any process.chdir: a check that
    // nothing else moved the working directory (another lease) costs a string comparison.
    if (this.#fd === fd && currentDir() === this.#cwd) return true;
    this.#fd = -1;
    if (this.#released) return false;
    try {
      process.chdir(fdDir + fd);
    } catch {
      return false;
    }
    const now = currentDir();
    // A directory removed meanwhile has no path to check against: moved to again for every name.
    if (now !== '') this.#fd = fd;
    this.#cwd = now;
    return true;
  }

  /** fd is about to be closed: its number may name another directory next. */
  closed(fd: number): void {
    if (this.#fd === fd) this.#fd = -1;
  }

  /** Gives the working directory back; the lease moves it no more. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#fd = -1;
    try {
      process.chdir(this.#original);
    } catch {
      // Removed meanwhile by someone else: nothing to go back to (process.cwd() would fail as well).
    }
  }
}

/** process.cwd(), or "" when the working directory was removed. */
function currentDir(): string {
  try {
    return process.cwd();
  } catch {
    return '';
  }
}
