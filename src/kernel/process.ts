// Process: a running program, like Linux's task_struct reduced to what WASI can reach: its fd table,
// mount namespace, root and working directory, credentials, arguments and environment. One WASM
// instance runs in it (wasi/).
import type { Caller, Creds } from '../vfs/filesystem.js';
import type { MountNamespace, VirtualDentry } from '../vfs/mount.js';
import type { PathContext } from '../vfs/vfs.js';
import { FdTable } from './fdtable.js';
import type { Kernel } from './kernel.js';

export interface ProcessOptions {
  mounts: MountNamespace;
  argv: string[];
  env: string[];
  creds?: Creds;
  /** Working directory; the namespace root by default. */
  cwd?: VirtualDentry;
}

export class Process {
  readonly kernel: Kernel;
  readonly pid: number;
  readonly fds = new FdTable();
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

  constructor(kernel: Kernel, opts: ProcessOptions) {
    this.kernel = kernel;
    this.pid = kernel.allocPid();
    this.mounts = opts.mounts;
    this.root = opts.mounts.rootDentry;
    this.cwd = opts.cwd ?? this.root;
    this.argv = opts.argv;
    this.env = opts.env;
    this.caller = { pid: this.pid, creds: opts.creds ?? { uid: 0, gid: 0 } };
    this.ctx = { root: this.root, caller: this.caller };
    kernel.processes.set(this.pid, this);
  }

  /** Marks the process exited and releases its descriptors. */
  exit(status: number): void {
    if (this.exitStatus !== null) return;
    this.exitStatus = status;
    this.fds.closeAll();
    this.kernel.processes.delete(this.pid);
  }
}
