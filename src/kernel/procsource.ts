// The kernel's answer to procfs (fsimpl/proc/source.ts): the processes of one pod, their mount tables
// and open files, read at the moment a guest asks, as Linux's fs/proc/base.c reads task state.
import type { ProcFd, ProcSource } from '../fsimpl/proc/source.js';
import { ref, savable } from '../state/index.js';
import { pathOf } from '../vfs/dpath.js';
import { mountinfo, mounts } from '../vfs/mountinfo.js';
import { Kernel } from './kernel.js';
import type { Process } from './process.js';

/** A kernel's processes as procfs sees them. It holds nothing but the kernel, and is saved as that. */
export class KernelProcSource implements ProcSource {
  readonly kernel: Kernel;

  constructor(kernel: Kernel) {
    this.kernel = kernel;
  }

  #proc(pid: number): Process | null {
    return this.kernel.processes.get(pid) ?? null;
  }

  pids(): number[] {
    return [...this.kernel.processes.keys()];
  }

  mountinfo(pid: number): string | null {
    const p = this.#proc(pid);
    return p === null ? null : mountinfo(p.mounts, p.root);
  }

  mounts(pid: number): string | null {
    const p = this.#proc(pid);
    return p === null ? null : mounts(p.mounts, p.root);
  }

  fds(pid: number): ProcFd[] | null {
    const p = this.#proc(pid);
    if (p === null) return null;
    return p.fds.entries().map(([fd, e]): ProcFd => {
      const f = e.file;
      const anon = f.vd.mount.fs.fsType === 'hostfd';
      const target = anon ? (f.inode.type === 'fifo' ? `pipe:[${f.inode.ino}]` : `host:[${f.vd.dentry.name}]`) : pathOf(p.root, f.vd);
      return { fd, target, readable: f.readable, writable: f.writable };
    });
  }

  cwd(pid: number): string | null {
    const p = this.#proc(pid);
    return p === null ? null : pathOf(p.root, p.cwd);
  }

  static readonly saved = savable(KernelProcSource, {
    name: 'kernel.ProcSource',
    version: 1,
    fields: { kernel: ref(Kernel) },
    save: (s) => s,
    create: (v, r) => new KernelProcSource(r.ref(v.kernel)),
  });
}

export function kernelProcSource(kernel: Kernel): ProcSource {
  return new KernelProcSource(kernel);
}
