// What a pod in this process is bound to on the host, like runsc's gofer mounts and donated FDs: the
// registry every checkpoint and restore of this Amber uses; for a new pod, Node's clocks and host
// directories; for a restore, the image's externals bound anew by key (clocks, streams by role, host
// directories by volume, bind or root), never by a host fd number or engine flag (seed 001).
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { hostdirSavables, hostDirResolver, type HostDirBinding } from '../fsimpl/hostdir/checkpoint.js';
import { NodeClock, NodeRandom } from '../host/clock.js';
import { bindHostDir, openHostDirFs } from '../host/hostdir_mount.js';
import { hostDirOf } from '../runtime/hostkeys.js';
import type { PodHost } from '../runtime/pod.js';
import { podRegistry, podResolver } from '../runtime/registry.js';
import type { Registry, Resolver } from '../state/index.js';
import type { RestorePlan } from './restoreplan.js';

/** A container's stdin, stdout and stderr, by container name. */
export type PodStdio = (container: string) => readonly [HostStream, HostStream, HostStream];

export function amberRegistry(): Registry {
  return podRegistry(hostdirSavables());
}

/** What building a new pod needs from this host. */
export function nodePodHost(stdio: PodStdio): PodHost {
  return {
    clock: new NodeClock(),
    random: new NodeRandom(),
    hostDir: (kernel, hostPath, readOnly, key) => openHostDirFs(kernel, hostPath, readOnly, key),
    stdio,
  };
}

/** The host directory a hostdir key names in the restore's plan: volumes by name, binds and roots by container. */
function hostPathOf(plan: RestorePlan, key: string): string | undefined {
  return hostDirOf(plan.spec, key, plan.volumes);
}

const STREAMS = ['stdin', 'stdout', 'stderr'] as const;

/** Binds the image's externals for this restore; `abandon` closes what binding opened if the restore fails. */
export function restoreResolver(plan: RestorePlan, stdio: PodStdio): { resolver: Resolver; abandon(): void } {
  const perContainer = new Map<string, readonly [HostStream, HostStream, HostStream]>();
  const bindings: HostDirBinding[] = [];
  const resolver = podResolver({
    clock: new NodeClock(),
    random: new NodeRandom(),
    stream: (role) => {
      const slash = role.lastIndexOf('/');
      const ctr = role.slice(0, slash);
      const which = STREAMS.indexOf(role.slice(slash + 1) as (typeof STREAMS)[number]);
      if (slash <= 0 || which < 0) return undefined;
      let s = perContainer.get(ctr);
      if (s === undefined) {
        s = stdio(ctr);
        perContainer.set(ctr, s);
      }
      return s[which];
    },
    other: hostDirResolver((key) => {
      const path = hostPathOf(plan, key);
      if (path === undefined) return undefined;
      const b = bindHostDir(path);
      bindings.push(b);
      return b;
    }),
  });
  return { resolver, abandon: () => bindings.forEach((b) => b.abandon()) };
}
