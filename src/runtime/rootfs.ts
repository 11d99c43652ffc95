// Building a container's mount tree from a list of mounts, as runsc's boot does from an OCI spec: a
// root filesystem, then each mount in order on a mountpoint created with `mkdir -p` (stacking when two
// share a destination, as Linux does). The kernel's own context (pid 0, root) makes the mountpoints.
import { EEXIST, EROFS } from '../abi/errno.js';
import { MNT_READONLY } from '../abi/mount.js';
import { KernelError } from '../base/error.js';
import type { Kernel } from '../kernel/kernel.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { Dentry } from '../vfs/dentry.js';
import type { Filesystem } from '../vfs/filesystem.js';
import { MountNamespace } from '../vfs/mount.js';
import type { PathContext } from '../vfs/vfs.js';

export interface MountRequest {
  /** Absolute path inside the container. */
  guestPath: string;
  fs: Filesystem;
  /** MNT_* flags. */
  flags: number;
  /** For a bind of a subtree: the dentry of fs to show (fs.root() by default). */
  root?: Dentry;
}

/** The kernel's context in ns: used for the runtime's own path operations. */
export function kernelContext(ns: MountNamespace): PathContext {
  return { root: ns.rootDentry, caller: { pid: 0, creds: { uid: 0, gid: 0 } } };
}

/**
 * mkdir -p guestPath in ns (following symlinks, crossing mounts). Where a directory is missing on a
 * read-only filesystem (EROFS: a read-only OCI root without /dev or /proc), it is made in memory as
 * runsc makes a synthetic mountpoint: a small tmpfs, mounted read-only on a dentry that exists only in
 * the parent's tree, holds it and whatever lies below it on the way to guestPath. A mountpoint keeps the
 * dentry (a filesystem's lookup returns a dentry that has mounts on it as it is), and a checkpoint saves
 * it with the tree.
 */
export function mkdirAll(kernel: Kernel, ns: MountNamespace, guestPath: string): void {
  const ctx = kernelContext(ns);
  const parts = guestPath.split('/').filter((p) => p !== '');
  let sofar = '';
  for (const [i, p] of parts.entries()) {
    sofar += '/' + p;
    try {
      kernel.vfs.mkdirAt(ctx, { at: ns.rootDentry }, sofar, 0o755);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      if (e.errno === EROFS) return syntheticDirs(kernel, ns, sofar, parts.slice(i + 1));
      if (e.errno !== EEXIST) throw e;
    }
  }
}

/** The missing directory at path (on a read-only filesystem) and rest below it, in a tmpfs of their own. */
function syntheticDirs(kernel: Kernel, ns: MountNamespace, path: string, rest: readonly string[]): void {
  const r = kernel.vfs.walk(kernelContext(ns), { at: ns.rootDentry }, path, false);
  if (r.child !== null) throw new KernelError(EROFS, path);
  const fs = new Tmpfs({ dev: kernel.allocDev(), now: kernel.now, source: 'synthetic' });
  const mountpoint = new Dentry(r.name, r.parent.dentry, fs.root().inode);
  r.parent.dentry.children.set(r.name, mountpoint);
  kernel.vfs.attach({ mount: r.parent.mount, dentry: mountpoint }, kernel.vfs.newMount(fs, MNT_READONLY));
  let dir = fs.root();
  for (const name of rest) dir = fs.mkdir(dir, name, 0o755, { uid: 0, gid: 0 });
}

/** A new mount namespace: rootFs at "/", then every request in order. */
export function buildMountTree(kernel: Kernel, rootFs: Filesystem, rootFlags: number, mounts: readonly MountRequest[]): MountNamespace {
  const ns = new MountNamespace(kernel.vfs.newMount(rootFs, rootFlags));
  for (const m of mounts) mountInto(kernel, ns, m);
  return ns;
}

/** A scratch /tmp (mode 1777, as in any Linux root) in a root the container owns (a fresh tmpfs). */
export function addTmp(kernel: Kernel, ns: MountNamespace): void {
  try {
    kernel.vfs.mkdirAt(kernelContext(ns), { at: ns.rootDentry }, '/tmp', 0o1777);
  } catch (e) {
    if (!(e instanceof KernelError) || e.errno !== EEXIST) throw e;
  }
}

/** Mounts one request into ns, creating its mountpoint. */
export function mountInto(kernel: Kernel, ns: MountNamespace, m: MountRequest): void {
  mkdirAll(kernel, ns, m.guestPath);
  const at = kernel.vfs.resolve(kernelContext(ns), { at: ns.rootDentry }, m.guestPath, true);
  kernel.vfs.attach(at, kernel.vfs.newMount(m.fs, m.flags, m.root));
}
