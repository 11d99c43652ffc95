// What procfs needs to know about processes, like the task and pid-namespace lookups of Linux's
// fs/proc/base.c. procfs sits below the kernel, so the kernel implements this interface and hands it to
// Procfs; every answer is read when a guest asks, never cached here.

/** One open file descriptor of a process, as /proc/<pid>/fd/<fd> shows it. */
export interface ProcFd {
  readonly fd: number;
  /**
   * What readlink(2) returns: the file's d_path from the process's root (vfs/dpath.ts pathOf, so
   * "/tmp/f (deleted)" for an unlinked file), or a pseudo name such as "pipe:[N]" or "anon_inode:[x]".
   */
  readonly target: string;
  /** The description's access mode, for the link's permission bits (r-x, -wx, rwx); both when absent. */
  readonly readable?: boolean;
  readonly writable?: boolean;
}

/**
 * The processes of one pid namespace. Pids are as that namespace numbers them, and a Caller's pid (the
 * one /proc/self names) is in the same numbering. A method given a pid that no longer exists returns
 * null.
 */
export interface ProcSource {
  /** The pids alive now, in any order. */
  pids(): number[];
  /** /proc/<pid>/mountinfo (vfs/mountinfo.ts mountinfo() for the process's namespace and root). */
  mountinfo(pid: number): string | null;
  /** /proc/<pid>/mounts (vfs/mountinfo.ts mounts()); without it there is no mounts file or /proc/mounts. */
  mounts?(pid: number): string | null;
  /** The open descriptors of pid, in any order. */
  fds(pid: number): ProcFd[] | null;
  /** /proc/<pid>/cwd's target (pathOf the working directory); without it there is no cwd link. */
  cwd?(pid: number): string | null;
  /** Owner of /proc/<pid> and what is in it (the process's effective ids); root's when absent. */
  owner?(pid: number): { uid: number; gid: number } | null;
}
