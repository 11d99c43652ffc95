// A pod's memory limits as accounts (vfs/memaccount.ts), like the memory cgroups runc and the kubelet
// make: the pod's (spec.resources.limits.memory, none without) charged with its volumes' and /dev/shm's
// tmpfs pages, and under it each container's (resources.limits.memory) with the pages of the tmpfs
// mounts only it has (its root when the spec gives none, its own tmpfs mounts). The programs' linear
// memory is the caller's to report (account.linear), as the scheduler holds the instances.
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import type { Filesystem } from '../vfs/filesystem.js';
import { MemoryAccount } from '../vfs/memaccount.js';
import type { PodKernel } from './pod.js';

export interface PodAccounts {
  pod: MemoryAccount;
  containers: Map<string, MemoryAccount>;
}

/** Makes the pod's accounts and charges every tmpfs it has to the one it belongs to. */
export function podAccounts(pod: PodKernel): PodAccounts {
  const account = new MemoryAccount(pod.spec.memoryBytes ?? Infinity);
  const shared = new Set<Filesystem>([pod.shm, ...pod.volumes.values()]);
  for (const fs of shared) if (fs instanceof Tmpfs) fs.chargeTo(account);
  const containers = new Map<string, MemoryAccount>();
  for (const [name, c] of pod.containers) {
    const own = new MemoryAccount(c.spec.memoryBytes ?? Infinity, account);
    containers.set(name, own);
    for (const m of c.ns.mounts()) if (m.fs instanceof Tmpfs && !shared.has(m.fs)) m.fs.chargeTo(own);
  }
  return { pod: account, containers };
}
