// Process: a running program, like Linux's task_struct reduced to what WASI can reach: its fd table,
// mount namespace, root and working directory, credentials, arguments and environment. One WASM
// instance runs in it (wasi/).
import { int, list, opt, ref, savable, str, struct } from '../state/index.js';
import { loadVd, savedVd } from '../vfs/file.js';
import type { Caller, Creds } from '../vfs/filesystem.js';
import { MountNamespace, type VirtualDentry } from '../vfs/mount.js';
import type { PathContext } from '../vfs/vfs.js';
import { FdTable } from './fdtable.js';
import { Kernel } from './kernel.js';

export interface ProcessOptions {
  mounts: MountNamespace;
  argv: string[];
  env: string[];
  creds?: Creds;
  /** Working directory; the namespace root by default. */
  cwd?: VirtualDentry;
}

/** What a load gives a Process instead of a new pid: it is already in the kernel's table. */
export interface LoadedProcess {
  pid: number;
  fds: FdTable;
  exitStatus: number | null;
}

export class Process {
  readonly kernel: Kernel;
  readonly pid: number;
  readonly fds: FdTable;
  readonly mounts: MountNamespace;
  readonly root: VirtualDentry;
  cwd: VirtualDentry;
  readonly argv: string[];
  readonly env: string[];
  readonly caller: Caller;
  /** Set once the program has exited (proc_exit, return from _start, or a trap). */
  exitStatus: number | null = null;
  /** The context every path operation of this process resolves in. */
  readonly ctx: PathContext;

  /**
   * A new process, with the next pid, registered in the kernel's table; or (given `loaded`) a process as
   * a checkpoint saved it, which the kernel's own saved table holds already.
   */
  constructor(kernel: Kernel, opts: ProcessOptions, loaded?: LoadedProcess) {
    this.kernel = kernel;
    this.pid = loaded !== undefined ? loaded.pid : kernel.allocPid();
    this.fds = loaded !== undefined ? loaded.fds : new FdTable();
    this.fds.attach(kernel.files);
    this.mounts = opts.mounts;
    this.root = opts.mounts.rootDentry;
    this.cwd = opts.cwd ?? this.root;
    this.argv = opts.argv;
    this.env = opts.env;
    this.caller = { pid: this.pid, creds: opts.creds ?? { uid: 0, gid: 0 } };
    this.ctx = { root: this.root, caller: this.caller };
    if (loaded !== undefined) this.exitStatus = loaded.exitStatus;
    else kernel.processes.set(this.pid, this);
  }

  /** Marks the process exited and releases its descriptors. */
  exit(status: number): void {
    if (this.exitStatus !== null) return;
    this.exitStatus = status;
    this.fds.closeAll();
    this.kernel.processes.delete(this.pid);
  }

  /**
   * Saved: pid, fd table, mount namespace, working directory, credentials, argv, env and exit status.
   * Its root is its namespace's root, and its caller and context follow from pid and credentials.
   */
  static readonly saved = savable(Process, {
    name: 'kernel.Process',
    version: 1,
    fields: {
      kernel: ref(Kernel),
      pid: int,
      fds: ref(FdTable),
      mounts: ref(MountNamespace),
      cwd: savedVd,
      argv: list(str),
      env: list(str),
      creds: struct({ uid: int, gid: int }),
      exitStatus: opt(int),
    },
    save: (p) => ({ ...p, creds: p.caller.creds }),
    create: (v, r) => {
      const kernel = r.ref(v.kernel);
      const fds = r.ref(v.fds);
      const mounts = r.ref(v.mounts);
      const cwd = loadVd(v.cwd, r);
      const opts: ProcessOptions = { mounts, argv: v.argv, env: v.env, creds: { uid: v.creds.uid, gid: v.creds.gid }, cwd };
      return new Process(kernel, opts, { pid: v.pid, fds, exitStatus: v.exitStatus });
    },
  });
}
