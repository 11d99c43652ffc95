// What a hostdir filesystem keeps for the length of one checkpoint or one restore (README.md,
// "Checkpoint and restore"): the PathWalker that names objects from the root, the ghosts made so far,
// and a restore's checks of the files that were open, with the one-line RestoreErrors they give.
import { KernelError } from '../../base/error.js';
import { RestoreError } from './binding.js';
import type { HostGhost } from './ghost.js';
import type { HostAttr, HostDirectoryAccess, HostFd, HostStat } from './host.js';
import { typeOfHostMode } from './inode.js';
import { PathWalker } from './walk.js';

/** The identity a file open at the checkpoint must still have at restore. */
export interface OpenIdentity {
  readonly size: number;
  readonly mtimeNs: bigint;
}

/**
 * A size and mtime a file still has (mtime to the microsecond: node:fs and many copying tools keep no
 * finer, so a copy of the directory still matches).
 */
function unchanged(was: OpenIdentity, st: HostStat): boolean {
  const dt = was.mtimeNs - st.mtimeNs;
  return was.size === st.size && dt < 1000n && dt > -1000n;
}

/** A time in nanoseconds as UTC with all nine digits: 2024-05-01T10:00:00.123456789Z. */
function isoNs(ns: bigint): string {
  if (ns < 0n) return `${ns}ns`;
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, -1)}${(ns % 1_000_000n).toString().padStart(6, '0')}Z`;
}

function closeQuietly(host: HostDirectoryAccess, fd: HostFd): void {
  try {
    host.close(fd);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
  }
}

/** A checkpoint's view of one host directory. */
export class SaveSession {
  readonly #walker: PathWalker;
  /** Ghosts by host identity ("dev:ino"), so every inode of one unreachable object shares one. */
  readonly #ghosts = new Map<string, HostGhost>();

  /** root is borrowed. */
  constructor(host: HostDirectoryAccess, root: HostFd) {
    this.#walker = new PathWalker(host, root);
  }

  /** The first of paths that leads to the host object (dev, ino) now; null when none does. */
  firstNaming(paths: Iterable<string>, dev: number, ino: number): string | null {
    for (const p of paths) if (this.#walker.names(p, dev, ino)) return p;
    return null;
  }

  /** The ghost of the host object st describes, made by make() the first time it is asked for. */
  ghostOf(st: HostStat, make: () => HostGhost): HostGhost {
    const id = `${st.dev}:${st.ino}`;
    let g = this.#ghosts.get(id);
    if (g === undefined) {
      g = make();
      this.#ghosts.set(id, g);
    }
    return g;
  }

  close(): void {
    this.#walker.close();
  }
}

/** A restore's view of one host directory: finds saved paths again and checks the files that were open. */
export class RestoreSession {
  readonly #host: HostDirectoryAccess;
  readonly #walker: PathWalker;
  /** "volume data": the filesystem as messages name it. */
  readonly #label: string;
  /** Descriptors of open files the restore opened: closed if it is abandoned. */
  readonly #fds = new Set<HostFd>();

  /** root is borrowed. */
  constructor(host: HostDirectoryAccess, root: HostFd, label: string) {
    this.#host = host;
    this.#walker = new PathWalker(host, root);
    this.#label = label;
  }

  /** What path names on the host now (lstat); null when nothing does or it cannot be reached. */
  lookup(path: string): HostAttr | null {
    try {
      return this.#walker.lookup(path);
    } catch (e) {
      if (e instanceof KernelError) return null;
      throw e;
    }
  }

  /**
   * An O_PATH descriptor on the file at path, which was open at the checkpoint, with its stat: it must
   * still be a regular file of the same size and mtime. RestoreError otherwise, naming the file.
   */
  reopenChecked(path: string, was: OpenIdentity): { fd: HostFd; st: HostStat } {
    let fd: HostFd | null;
    try {
      fd = this.#walker.openPath(path);
    } catch (e) {
      throw this.failure(path, e);
    }
    if (fd === null) throw new RestoreError(`${this.#label}: ${path} was open at the checkpoint and no longer exists`);
    let st: HostStat;
    try {
      st = this.#host.stat(fd);
    } catch (e) {
      closeQuietly(this.#host, fd);
      throw this.failure(path, e);
    }
    const type = typeOfHostMode(st.mode);
    const problem =
      type !== 'reg'
        ? `was a file open at the checkpoint and is now a ${type === 'dir' ? 'directory' : type}`
        : !unchanged(was, st)
          ? `changed since the checkpoint (${[
              ...(was.size !== st.size ? [`size ${was.size} → ${st.size}`] : []),
              ...(was.mtimeNs !== st.mtimeNs ? [`mtime ${isoNs(was.mtimeNs)} → ${isoNs(st.mtimeNs)}`] : []),
            ].join(', ')})`
          : null;
    if (problem !== null) {
      closeQuietly(this.#host, fd);
      throw new RestoreError(`${this.#label}: ${path} ${problem}`);
    }
    return { fd, st };
  }

  /** A host failure reopening path, which was open at the checkpoint, as a RestoreError (bugs stay as they are). */
  failure(path: string, e: unknown): unknown {
    if (!(e instanceof KernelError)) return e;
    return new RestoreError(`${this.#label}: ${path} was open at the checkpoint and cannot be opened again: ${e.message}`, { cause: e });
  }

  /** A descriptor opened for an open file: an abandoned restore closes it. */
  track(fd: HostFd): void {
    this.#fds.add(fd);
  }

  /** A tracked descriptor that is no longer the restore's to close. */
  untrack(fd: HostFd): void {
    this.#fds.delete(fd);
  }

  /** Ends the session; an abandoned one also closes the descriptors it opened for files. */
  close(abandoned: boolean): void {
    this.#walker.close();
    if (abandoned) for (const fd of this.#fds) closeQuietly(this.#host, fd);
    this.#fds.clear();
  }
}
