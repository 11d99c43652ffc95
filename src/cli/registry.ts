// The registry every checkpoint and restore of this Amber uses, and the bindings a restore gives the
// image's externals: the host's clocks, the new invocation's streams by role, host directories by key.
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { hostdirSavables, hostDirResolver, type HostDirBinding } from '../fsimpl/hostdir/checkpoint.js';
import { NodeClock, NodeRandom } from '../host/clock.js';
import { bindHostDir } from '../host/hostdir_mount.js';
import { podRegistry, podResolver } from '../runtime/registry.js';
import type { Registry, Resolver } from '../state/index.js';
import type { RestorePlan } from './restore.js';

export function amberRegistry(): Registry {
  return podRegistry(hostdirSavables());
}

/** The host directory a hostdir key names in the restore's plan: volumes by name, binds and roots by container. */
function hostPathOf(plan: RestorePlan, key: string): string | undefined {
  const [kind, ...rest] = key.split(':');
  if (kind === 'volume') return plan.volumes[rest.join(':')];
  const ctr = plan.spec.containers.find((c) => c.name === rest[0]);
  if (ctr === undefined) return undefined;
  if (kind === 'rootfs') return ctr.rootfs?.hostPath;
  if (kind === 'bind') {
    const dest = rest.slice(1).join(':');
    const m = ctr.mounts.find((x) => x.destination === dest && x.source.kind === 'bind');
    return m !== undefined && m.source.kind === 'bind' ? m.source.hostPath : undefined;
  }
  return undefined;
}

const STREAMS = ['stdin', 'stdout', 'stderr'] as const;

/** Binds the image's externals for this restore; `abandon` closes what binding opened if the restore fails. */
export function restoreResolver(plan: RestorePlan, stdio: (name: string) => readonly [HostStream, HostStream, HostStream]): { resolver: Resolver; abandon(): void } {
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
