// mount(2) and umount2(2) for guests, like Linux's fs/namespace.c: new tmpfs mounts, bind and recursive
// bind mounts, remounts that change per-mount flags, and unmounts. A process in a user namespace may
// not clear a flag that is locked on the mount (can_change_locked_flags): EPERM.
import { EBUSY, EINVAL, ENODEV, ENOTDIR, EPERM } from '../abi/errno.js';
import * as M from '../abi/mount.js';
import { KernelError } from '../base/error.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import type { Mount, VirtualDentry } from '../vfs/mount.js';
import type { Process } from './process.js';

const PROPAGATION = M.MS_SHARED | M.MS_PRIVATE | M.MS_SLAVE | M.MS_UNBINDABLE;

/** Per-mount flags (MNT_*) asked for by mount(2) flags (MS_*). */
export function mntFlagsOf(ms: number): number {
  let f = 0;
  if (ms & M.MS_RDONLY) f |= M.MNT_READONLY;
  if (ms & M.MS_NOSUID) f |= M.MNT_NOSUID;
  if (ms & M.MS_NODEV) f |= M.MNT_NODEV;
  if (ms & M.MS_NOEXEC) f |= M.MNT_NOEXEC;
  if (ms & M.MS_NOATIME) f |= M.MNT_NOATIME;
  if (ms & M.MS_NODIRATIME) f |= M.MNT_NODIRATIME;
  if (ms & M.MS_RELATIME) f |= M.MNT_RELATIME;
  if (ms & M.MS_NOSYMFOLLOW) f |= M.MNT_NOSYMFOLLOW;
  return f;
}

const ATIME_MASK = M.MNT_NOATIME | M.MNT_NODIRATIME | M.MNT_RELATIME;

/** Linux's can_change_locked_flags: a locked flag stays set, a locked atime mode stays the same. */
export function canChangeLockedFlags(mnt: Mount, next: number): boolean {
  const f = mnt.flags;
  if (f & M.MNT_LOCK_READONLY && !(next & M.MNT_READONLY)) return false;
  if (f & M.MNT_LOCK_NODEV && !(next & M.MNT_NODEV)) return false;
  if (f & M.MNT_LOCK_NOSUID && !(next & M.MNT_NOSUID)) return false;
  if (f & M.MNT_LOCK_NOEXEC && !(next & M.MNT_NOEXEC)) return false;
  if (f & M.MNT_LOCK_ATIME && (f & ATIME_MASK) !== (next & ATIME_MASK)) return false;
  return true;
}

/** The locks Linux puts on a mount's flags when it is copied into a less privileged user namespace. */
export function lockedFlagsOf(mntFlags: number): number {
  return M.MNT_LOCK_ATIME | lockedSecurityFlagsOf(mntFlags);
}

/**
 * The locks on read-only, nodev, nosuid and noexec that are set: what a container without
 * CAP_SYS_ADMIN cannot clear on the mounts its runtime gave it, user namespace or not.
 */
export function lockedSecurityFlagsOf(mntFlags: number): number {
  let locks = 0;
  if (mntFlags & M.MNT_READONLY) locks |= M.MNT_LOCK_READONLY;
  if (mntFlags & M.MNT_NODEV) locks |= M.MNT_LOCK_NODEV;
  if (mntFlags & M.MNT_NOSUID) locks |= M.MNT_LOCK_NOSUID;
  if (mntFlags & M.MNT_NOEXEC) locks |= M.MNT_LOCK_NOEXEC;
  return locks;
}

function mountRootAt(proc: Process, target: string): VirtualDentry {
  const vd = proc.kernel.vfs.resolve(proc.ctx, { at: proc.cwd }, target, true);
  if (vd.dentry !== vd.mount.root) throw new KernelError(EINVAL);
  return vd;
}

/** A copy of m (and with rec, of every mount under it), showing root of m's filesystem. */
function cloneTree(proc: Process, m: Mount, root: VirtualDentry['dentry'], rec: boolean): Mount {
  const vfs = proc.kernel.vfs;
  const copy = vfs.newMount(m.fs, m.flags & ~M.MNT_LOCKED, root);
  if (rec) {
    for (const child of m.children) {
      const mp = child.mountpoint;
      if (mp === null || !root.isAncestorOf(mp)) continue;
      copy.attach(cloneTree(proc, child, child.root, true), mp);
    }
  }
  return copy;
}

/**
 * mount(2). Errors: EINVAL (a remount of a location that is not a mount root, an unknown combination),
 * EPERM (clearing a locked flag), ENODEV (an unknown filesystem type), ENOENT/ENOTDIR from the walks.
 */
export function mount(proc: Process, source: string | null, target: string, fstype: string | null, ms: number, _data: string | null): void {
  const vfs = proc.kernel.vfs;
  if (ms & M.MS_REMOUNT) {
    const vd = mountRootAt(proc, target);
    const mnt = vd.mount;
    let next = mntFlagsOf(ms);
    if (!(ms & M.MS_BIND)) next |= mnt.flags & ~(M.MNT_READONLY | M.MNT_NOSUID | M.MNT_NODEV | M.MNT_NOEXEC | ATIME_MASK | M.MNT_NOSYMFOLLOW) & ~M.MNT_LOCK_MASK & ~M.MNT_LOCKED;
    if ((ms & (M.MS_NOATIME | M.MS_NODIRATIME | M.MS_RELATIME | M.MS_STRICTATIME)) === 0) next |= mnt.flags & ATIME_MASK;
    if (!canChangeLockedFlags(mnt, next)) throw new KernelError(EPERM);
    mnt.flags = next | (mnt.flags & (M.MNT_LOCK_MASK | M.MNT_LOCKED));
    return;
  }
  if (ms & PROPAGATION) {
    mountRootAt(proc, target); // every mount is private; the change is accepted and changes nothing
    return;
  }
  if (ms & M.MS_MOVE) throw new KernelError(EINVAL);
  const at = vfs.resolve(proc.ctx, { at: proc.cwd }, target, true);
  if (ms & M.MS_BIND) {
    if (source === null) throw new KernelError(EINVAL);
    const src = vfs.resolve(proc.ctx, { at: proc.cwd }, source, true);
    if ((src.dentry.inode.type === 'dir') !== (at.dentry.inode.type === 'dir')) throw new KernelError(ENOTDIR);
    vfs.attach(at, cloneTree(proc, src.mount, src.dentry, (ms & M.MS_REC) !== 0));
    return;
  }
  if (at.dentry.inode.type !== 'dir') throw new KernelError(ENOTDIR);
  if (fstype !== 'tmpfs') throw new KernelError(ENODEV);
  const fs = new Tmpfs({ dev: proc.kernel.allocDev(), now: proc.kernel.now, source: source ?? 'none', rootPerm: 0o1777 });
  vfs.attach(at, vfs.newMount(fs, mntFlagsOf(ms)));
}

/**
 * umount2(2). Errors: EINVAL (not a mount root, the namespace root, or a mount locked to its parent),
 * EBUSY (mounts under it, unless MNT_DETACH takes them along).
 */
export function umount(proc: Process, target: string, flags: number): void {
  if (flags & ~(M.MNT_FORCE | M.MNT_DETACH | M.MNT_EXPIRE | M.UMOUNT_NOFOLLOW)) throw new KernelError(EINVAL);
  const vd = proc.kernel.vfs.resolve(proc.ctx, { at: proc.cwd }, target, (flags & M.UMOUNT_NOFOLLOW) === 0);
  if (vd.dentry !== vd.mount.root) throw new KernelError(EINVAL);
  const m = vd.mount;
  if (m.parent === null) throw new KernelError(EINVAL);
  if (m.flags & M.MNT_LOCKED) throw new KernelError(EINVAL);
  if (m.children.length > 0 && !(flags & M.MNT_DETACH)) throw new KernelError(EBUSY);
  m.parent.detach(m);
}
