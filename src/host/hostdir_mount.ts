// Opening a host directory as a filesystem a container can mount (`--dir`, hostPath volumes, an OCI
// bundle's root): the sandboxed passthrough of fsimpl/hostdir over node:fs; and, for a restore, binding
// a checkpoint's hostdir key to a host directory (`restore --volume NAME=HOSTDIR`).
import { HostDirBinding } from '../fsimpl/hostdir/binding.js';
import { HostDirFs } from '../fsimpl/hostdir/hostdir.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Filesystem } from '../vfs/filesystem.js';
import { NodeHostDirectory } from './hostdir.js';
import type { WorkingDirectoryLease } from './workdir.js';

/**
 * key: the name a checkpoint saves it by (runtime/hostkeys.ts: volumeKey, bindKey, rootfsKey);
 * without one, the filesystem works but a checkpoint of it is refused. cwd: the working directory it
 * may move to name children relative to it (host/workdir.ts; a synchronous run only, as `amber do`).
 */
export function openHostDirFs(kernel: Kernel, hostPath: string, readOnly: boolean, key?: string, cwd?: WorkingDirectoryLease): Filesystem {
  return new HostDirFs({
    dev: kernel.allocDev(),
    host: new NodeHostDirectory(hostPath, cwd === undefined ? {} : { cwd }),
    source: hostPath,
    readOnly,
    now: kernel.now,
    ...(key !== undefined ? { key } : {}),
  });
}

/** What a restore binds a hostdir key to: the host directory hostPath (opened when the graph loads). */
export function bindHostDir(hostPath: string): HostDirBinding {
  return new HostDirBinding(new NodeHostDirectory(hostPath), { source: hostPath });
}
