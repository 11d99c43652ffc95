// Creating a container's process, as runsc's boot does for a container's init: stdio bound to the
// host streams it was given (by role), then the preopened directories WASI programs find their files
// through: "/" first, then any extra ones the caller names.
import { ENOTDIR } from '../abi/errno.js';
import { O_DIRECTORY, O_RDONLY, O_WRONLY } from '../abi/open.js';
import { RIGHTS_DIRECTORY_BASE, RIGHTS_DIRECTORY_INHERITING } from '../abi/wasi.js';
import { KernelError } from '../base/error.js';
import { HostFdFs, type HostStream } from '../fsimpl/hostfd/hostfd.js';
import type { Kernel } from '../kernel/kernel.js';
import { Process } from '../kernel/process.js';
import { FileDescription } from '../vfs/file.js';
import { followMounts, type MountNamespace } from '../vfs/mount.js';
import { rightsFor } from '../wasi/sys.js';
import { kernelContext } from './rootfs.js';

export interface SpawnOptions {
  ns: MountNamespace;
  argv: string[];
  env: string[];
  /** stdin, stdout, stderr. */
  stdio: readonly [HostStream, HostStream, HostStream];
  /** Role prefix for the streams ("ctr" gives "ctr/stdout"). */
  role: string;
  /** RLIMIT_NOFILE (fdtable.ts DEFAULT_NOFILE if absent). */
  nofile?: number;
  /** Guest paths preopened after "/" (fd 4 onwards), each under the name given; one named "/" takes fd 3. */
  preopens?: ReadonlyArray<{ name: string; guestPath: string }>;
}

/** A process in ns with its fds 0-2 on the given streams and fd 3 the preopened root. */
export function spawn(kernel: Kernel, streams: HostFdFs, opts: SpawnOptions): Process {
  const proc = new Process(kernel, { mounts: opts.ns, argv: opts.argv, env: opts.env });
  if (opts.nofile !== undefined) proc.fds.limit = opts.nofile;
  const anon = kernel.vfs.newMount(streams, 0);
  const names = ['stdin', 'stdout', 'stderr'] as const;
  opts.stdio.forEach((s, i) => {
    const dentry = streams.add(`${opts.role}/${names[i]}`, s);
    const flags = i === 0 ? O_RDONLY : O_WRONLY;
    const file = new FileDescription({ vd: { mount: anon, dentry }, ctx: proc.ctx }, dentry.inode.open(dentry, flags), flags);
    const r = rightsFor(s.type, false);
    proc.fds.install({ file, rightsBase: r.base, rightsInheriting: r.inheriting });
  });
  // A caller's own "/" (`--dir HOST:/`, wasmtime's `--dir HOST::/`) replaces the root's preopen: one
  // preopen per name, or wasi-libc (last wins) and programs that scan from fd 3 (first wins) disagree.
  const extra = opts.preopens ?? [];
  const preopens = extra.some((p) => p.name === '/') ? extra : [{ name: '/', guestPath: '/' }, ...extra];
  const ctx = kernelContext(opts.ns);
  for (const p of preopens) {
    // The topmost mount at the path, even at "/" (a walk does not follow mounts on its start): a
    // directory mounted over "/" is a capability like any other, confined beneath itself.
    const vd = followMounts(kernel.vfs.resolve(ctx, { at: opts.ns.rootDentry }, p.guestPath, true));
    if (vd.dentry.inode.type !== 'dir') throw new KernelError(ENOTDIR, `preopen ${p.guestPath}`);
    const flags = O_RDONLY | O_DIRECTORY;
    const file = new FileDescription({ vd, ctx }, vd.dentry.inode.open(vd.dentry, flags), flags);
    proc.fds.install({ file, rightsBase: RIGHTS_DIRECTORY_BASE, rightsInheriting: RIGHTS_DIRECTORY_INHERITING, preopen: p.name });
  }
  return proc;
}

/** The anonymous filesystem a kernel's host streams live in. */
export function hostStreamsFs(kernel: Kernel): HostFdFs {
  return new HostFdFs({ dev: kernel.allocDev(), now: kernel.now });
}
