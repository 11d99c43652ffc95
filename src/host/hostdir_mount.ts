// Opening a host directory as a filesystem a container can mount (`--dir`, hostPath volumes, an OCI
// bundle's root): the sandboxed passthrough of fsimpl/hostdir over node:fs.
import { HostDirFs } from '../fsimpl/hostdir/hostdir.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Filesystem } from '../vfs/filesystem.js';
import { NodeHostDirectory } from './hostdir.js';

export function openHostDirFs(kernel: Kernel, hostPath: string, readOnly: boolean): Filesystem {
  return new HostDirFs({ dev: kernel.allocDev(), host: new NodeHostDirectory(hostPath), source: hostPath, readOnly });
}
