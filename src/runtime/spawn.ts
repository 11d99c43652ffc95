// Creating a container's process, as runsc's boot does for a container's init: stdio bound to the
// host streams it was given (by role), then the preopened directories WASI programs find their files
// through: "/" first, then any extra ones the caller names.
import { O_RDONLY, O_WRONLY } from '../abi/open.js';
import { RIGHTS_DIRECTORY_BASE, RIGHTS_DIRECTORY_INHERITING } from '../abi/wasi.js';
import { HostFdFs, type HostStream } from '../fsimpl/hostfd/hostfd.js';
import type { Kernel } from '../kernel/kernel.js';
import { Process } from '../kernel/process.js';
import { FileDescription } from '../vfs/file.js';
import type { MountNamespace } from '../vfs/mount.js';
import { O_DIRECTORY } from '../abi/open.js';
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
  /** Guest paths preopened after "/" (fd 4 onwards), each under the name given. */
  preopens?: ReadonlyArray<{ name: string; guestPath: string }>;
}

/** A process in ns with its fds 0-2 on the given streams and fd 3 the preopened root. */
export function spawn(kernel: Kernel, streams: HostFdFs, opts: SpawnOptions): Process {
  const proc = new Process(kernel, { mounts: opts.ns, argv: opts.argv, env: opts.env });
  const anon = kernel.vfs.newMount(streams, 0);
  const names = ['stdin', 'stdout', 'stderr'] as const;
  opts.stdio.forEach((s, i) => {
    const dentry = streams.add(`${opts.role}/${names[i]}`, s);
    const flags = i === 0 ? O_RDONLY : O_WRONLY;
    const file = new FileDescription({ vd: { mount: anon, dentry }, ctx: proc.ctx }, dentry.inode.open(dentry, flags), flags);
    const r = rightsFor(s.type, false);
    proc.fds.install({ file, rightsBase: r.base, rightsInheriting: r.inheriting });
  });
  const preopens = [{ name: '/', guestPath: '/' }, ...(opts.preopens ?? [])];
  for (const p of preopens) {
    const file = kernel.vfs.openAt(kernelContext(opts.ns), { at: opts.ns.rootDentry }, p.guestPath, { flags: O_RDONLY | O_DIRECTORY, perm: 0 });
    proc.fds.install({ file, rightsBase: RIGHTS_DIRECTORY_BASE, rightsInheriting: RIGHTS_DIRECTORY_INHERITING, preopen: p.name });
  }
  return proc;
}

/** The anonymous filesystem a kernel's host streams live in. */
export function hostStreamsFs(kernel: Kernel): HostFdFs {
  return new HostFdFs({ dev: kernel.allocDev(), now: kernel.now });
}
