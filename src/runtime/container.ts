// What every container gets besides its own mounts (DESIGN.md §1): /dev with the memory devices, the
// pod's one /dev/shm, /proc, as runc and runsc set up a container's standard mounts.
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID } from '../abi/mount.js';
import { Devfs } from '../fsimpl/dev/devfs.js';
import { Procfs } from '../fsimpl/proc/procfs.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { kernelProcSource } from '../kernel/procsource.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Filesystem } from '../vfs/filesystem.js';
import type { MountRequest } from './rootfs.js';

/** A host directory mapped into a container (`--dir HOST[:GUEST]`). */
export interface DirMapping {
  hostPath: string;
  /** The guest path as the user wrote it; also the preopen name. */
  guestName: string;
}

/** Where a --dir GUEST name is mounted: absolute as given, a relative name under "/". */
export function guestPathOf(name: string): string {
  return name.startsWith('/') ? name : '/' + name.replace(/^\.\//, '');
}

/** A kernel's procfs: every container of the pod shares its pid namespace. */
export function newProc(kernel: Kernel): Procfs {
  return new Procfs({ dev: kernel.allocDev(), now: kernel.now, processes: kernelProcSource(kernel) });
}

/** A pod's /dev/shm: a writable tmpfs, mode 1777, shared by every container of the pod. */
export function newShm(kernel: Kernel): Tmpfs {
  return new Tmpfs({ dev: kernel.allocDev(), now: kernel.now, source: 'shm', rootPerm: 0o1777, sizeBytes: 64 * 1024 * 1024 });
}

export interface StandardMounts {
  shm: Filesystem;
  /** The pod's procfs (one per kernel, see newProc). */
  proc: Filesystem;
  /** Mounted after the standard ones, in order. */
  extra: Array<Omit<MountRequest, 'guestPath'> & { guestPath: string }>;
}

/** /dev, /dev/shm, /proc, then the container's own mounts. */
export function containerMounts(kernel: Kernel, m: StandardMounts): MountRequest[] {
  const dev = new Devfs({ dev: kernel.allocDev(), now: kernel.now, fill: (b) => kernel.random.fill(b), shm: true, sizeBytes: 64 * 1024 * 1024 });
  const out: MountRequest[] = [
    { guestPath: '/dev', fs: dev, flags: MNT_NOSUID },
    { guestPath: '/dev/shm', fs: m.shm, flags: MNT_NOSUID | MNT_NODEV | MNT_NOEXEC },
  ];
  out.push({ guestPath: '/proc', fs: m.proc, flags: MNT_NOSUID | MNT_NODEV | MNT_NOEXEC });
  out.push(...m.extra);
  return out;
}
