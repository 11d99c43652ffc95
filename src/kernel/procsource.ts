// The kernel's answer to procfs (fsimpl/proc/source.ts): the processes of one pod, their mount tables
// and open files, read at the moment a guest asks, as Linux's fs/proc/base.c reads task state.
import type { ProcFd, ProcSource } from '../fsimpl/proc/source.js';
import { pathOf } from '../vfs/dpath.js';
import { mountinfo, mounts } from '../vfs/mountinfo.js';
import type { Kernel } from './kernel.js';

export function kernelProcSource(kernel: Kernel): ProcSource {
  const proc = (pid: number) => kernel.processes.get(pid) ?? null;
  return {
    pids: () => [...kernel.processes.keys()],
    mountinfo: (pid) => {
      const p = proc(pid);
      return p === null ? null : mountinfo(p.mounts, p.root);
    },
    mounts: (pid) => {
      const p = proc(pid);
      return p === null ? null : mounts(p.mounts, p.root);
    },
    fds: (pid) => {
      const p = proc(pid);
      if (p === null) return null;
      return p.fds.entries().map(([fd, e]): ProcFd => {
        const f = e.file;
        const anon = f.vd.mount.fs.fsType === 'hostfd';
        const target = anon ? (f.inode.type === 'fifo' ? `pipe:[${f.inode.ino}]` : `host:[${f.vd.dentry.name}]`) : pathOf(p.root, f.vd);
        return { fd, target, readable: f.readable, writable: f.writable };
      });
    },
    cwd: (pid) => {
      const p = proc(pid);
      return p === null ? null : pathOf(p.root, p.cwd);
    },
  };
}
