// Opening a host directory as a filesystem a container can mount (`--dir`, hostPath volumes).
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Filesystem } from '../vfs/filesystem.js';

/** TEMPORARY until fsimpl/hostdir lands: an empty tmpfs. */
export function openHostDirFs(kernel: Kernel, hostPath: string, _readOnly: boolean): Filesystem {
  return new Tmpfs({ dev: kernel.allocDev(), now: kernel.now, source: hostPath });
}
