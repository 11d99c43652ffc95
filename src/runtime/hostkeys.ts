// The names a pod gives the host directories it mounts, as runsc names its gofer mounts: a checkpoint
// saves each hostdir filesystem by such a key (fsimpl/hostdir keeps it as an external, never a host
// path), and a restore binds each key back to a host directory through the spec. `volume:NAME` is a
// hostPath volume, `bind:CONTAINER:DESTINATION` an OCI bind mount, `rootfs:CONTAINER` an OCI root.path.
// One owner: pod.ts builds them; a restore's bindings and the inspection read them here.
import type { PodSpec } from './spec/podspec.js';

/** A key, parsed. */
export type HostKey =
  | { kind: 'volume'; volume: string }
  | { kind: 'bind'; container: string; destination: string }
  | { kind: 'rootfs'; container: string };

export function volumeKey(volume: string): string {
  return `volume:${volume}`;
}

export function bindKey(container: string, destination: string): string {
  return `bind:${container}:${destination}`;
}

export function rootfsKey(container: string): string {
  return `rootfs:${container}`;
}

/** What key names, or undefined for a key the pod runtime does not make. */
export function parseHostKey(key: string): HostKey | undefined {
  const colon = key.indexOf(':');
  if (colon < 0) return undefined;
  const rest = key.slice(colon + 1);
  switch (key.slice(0, colon)) {
    case 'volume':
      return { kind: 'volume', volume: rest };
    case 'rootfs':
      return { kind: 'rootfs', container: rest };
    case 'bind': {
      const at = rest.indexOf(':');
      return at < 0 ? undefined : { kind: 'bind', container: rest.slice(0, at), destination: rest.slice(at + 1) };
    }
    default:
      return undefined;
  }
}

/**
 * The host directory key names in spec: a hostPath volume's path (or its override in `volumes`, as
 * `restore --volume NAME=DIR` gives), a container's bind mount source or root. Undefined when the spec
 * has no such volume, container or mount.
 */
export function hostDirOf(spec: PodSpec, key: string, volumes: Readonly<Record<string, string>> = {}): string | undefined {
  const k = parseHostKey(key);
  if (k === undefined) return undefined;
  if (k.kind === 'volume') {
    if (Object.hasOwn(volumes, k.volume)) return volumes[k.volume];
    const v = spec.volumes.find((x) => x.name === k.volume);
    return v?.kind === 'hostPath' ? v.hostPath : undefined;
  }
  const ctr = spec.containers.find((c) => c.name === k.container);
  if (ctr === undefined) return undefined;
  if (k.kind === 'rootfs') return ctr.rootfs?.hostPath;
  for (const m of ctr.mounts) if (m.destination === k.destination && m.source.kind === 'bind') return m.source.hostPath;
  return undefined;
}
