// The savable types of a pod's kernel graph (state/ README): the Registry a checkpoint saves a PodKernel
// with and a restore loads it with, and the externals a restore must bind. Every declaration lives on
// its type (`static readonly saved`); this file only lists them, so a type missing here fails the save
// with the field path that reached it ("PodKernel.kernel.processes[1].fds...: X is not savable").
//
// Externals: things outside the pod, saved as a key and bound by the restore's resolver (podResolver).
// Equal keys are resolved once, to one object.
//
// | key                                  | saved by                                   | bind it to                      |
// |--------------------------------------|--------------------------------------------|---------------------------------|
// | { kind: 'clock' }                    | Kernel, Tmpfs, Devfs, Procfs, HostFdFs     | the host's HostClock            |
// | { kind: 'random' }                   | Kernel, Devfs (/dev/random, /dev/urandom)  | the host's HostRandom           |
// | { kind: 'stream', role: 'ctr/stdout' }| hostfd.StreamInode (stdin/stdout/stderr)  | the HostStream given that role  |
// | { kind: 'hostdir', ... }             | fsimpl/hostdir (its own declarations)      | see fsimpl/hostdir              |
//
// Roles are "<container>/<stdin|stdout|stderr>", never a host fd number (seed 001). procfs's ProcSource
// is not an external: it is the kernel's (kernel.ProcSource), re-made from the restored Kernel. Guest
// monotonic time is saved in the Kernel and resumed on load (Kernel.resumeMonotonic); realtime is the
// host's.
import { DevInode, Devfs } from '../fsimpl/dev/devfs.js';
import { MemDeviceFile } from '../fsimpl/dev/devices.js';
import { HostFdFs, HostFdRootInode, HostStreamFile, HostStreamInode, type HostStream } from '../fsimpl/hostfd/hostfd.js';
import { ProcInode, ProcSnapshotFile } from '../fsimpl/proc/inode.js';
import { Procfs } from '../fsimpl/proc/procfs.js';
import { TmpfsInode, TmpfsRegularFile } from '../fsimpl/tmpfs/inode.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { FdTable } from '../kernel/fdtable.js';
import type { HostClock, HostRandom } from '../kernel/host.js';
import { Kernel } from '../kernel/kernel.js';
import { Process } from '../kernel/process.js';
import { KernelProcSource } from '../kernel/procsource.js';
import { Registry, type ExternalKey, type Resolver, type Savable } from '../state/index.js';
import { Dentry } from '../vfs/dentry.js';
import { directoryFileOps, FileDescription } from '../vfs/file.js';
import { Mount, MountNamespace } from '../vfs/mount.js';
import { VirtualFilesystem } from '../vfs/vfs.js';
import { PodKernel } from './pod.js';

/** Every savable type of a pod built from tmpfs, /dev, /proc and host streams, by layer. */
const POD_TYPES: ReadonlyArray<Savable<object>> = [
  // vfs
  VirtualFilesystem.saved,
  Mount.saved,
  MountNamespace.saved,
  Dentry.saved,
  FileDescription.saved,
  directoryFileOps,
  // fsimpl/tmpfs
  Tmpfs.saved,
  TmpfsInode.saved,
  TmpfsRegularFile.saved,
  // fsimpl/dev
  Devfs.saved,
  DevInode.saved,
  MemDeviceFile.saved,
  // fsimpl/proc
  Procfs.saved,
  ProcInode.saved,
  ProcSnapshotFile.saved,
  // fsimpl/hostfd
  HostFdFs.saved,
  HostFdRootInode.saved,
  HostStreamInode.saved,
  HostStreamFile.saved,
  // kernel
  Kernel.saved,
  Process.saved,
  FdTable.saved,
  KernelProcSource.saved,
  // runtime
  PodKernel.saved,
];

/**
 * The registry of a pod's kernel graph. `extra` adds the declarations of filesystems that live in other
 * modules' hands (fsimpl/hostdir's: pass them here).
 */
export function podRegistry(extra: ReadonlyArray<Savable<object>> = []): Registry {
  return new Registry([...POD_TYPES, ...extra]);
}

/** What a restore binds the pod's externals to (see the table above). */
export interface PodBindings {
  clock: HostClock;
  random: HostRandom;
  /** The stream the new invocation gives a role ("ctr/stdout"); undefined refuses the restore. */
  stream(role: string): HostStream | undefined;
  /** Any other key (hostdir's); undefined refuses the restore, naming the key. */
  other?: Resolver;
}

/** A resolver for decodeGraph from the new invocation's bindings. */
export function podResolver(b: PodBindings): Resolver {
  return (key: ExternalKey): unknown => {
    switch (key.kind) {
      case 'clock':
        return b.clock;
      case 'random':
        return b.random;
      case 'stream':
        return typeof key['role'] === 'string' ? b.stream(key['role']) : undefined;
      default:
        return b.other?.(key);
    }
  };
}
