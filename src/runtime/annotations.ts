// The annotations a checkpoint image's manifest carries, as checkpoint tooling reads them: the
// org.criu.checkpoint.* family that Podman and CRI-O write and checkpointctl shows (container, pod,
// namespace, engine, runtime, host), and Amber's own under org.amber.* (the containers, each one's module
// digest). The host facts come from the caller (sandbox/); nothing here runs by these values.
import type { PodSpec } from './spec/podspec.js';

/** The keys as checkpointctl's metadata package names them. */
export const CRIU = {
  engineName: 'org.criu.checkpoint.engine.name',
  engineVersion: 'org.criu.checkpoint.engine.version',
  runtimeName: 'org.criu.checkpoint.runtime.name',
  runtimeVersion: 'org.criu.checkpoint.runtime.version',
  containerName: 'org.criu.checkpoint.container.name',
  podName: 'org.criu.checkpoint.pod.name',
  podId: 'org.criu.checkpoint.pod.id',
  podNamespace: 'org.criu.checkpoint.pod.namespace',
  rawImageName: 'org.criu.checkpoint.rawImageName',
  hostArch: 'org.criu.checkpoint.host.arch',
  hostKernel: 'org.criu.checkpoint.host.kernel',
} as const;

/** Amber's own: the containers (comma-separated, in spec order) and the source of their modules. */
export const AMBER_CONTAINERS = 'org.amber.containers';
/** org.amber.container.<name>.module: the module's path as the spec named it. */
export function containerModuleKey(name: string): string {
  return `org.amber.container.${name}.module`;
}

/** What the host running the pod says of itself. */
export interface HostFacts {
  /** Amber's version (package.json). */
  version: string;
  /** The CPU architecture, as Go names it (amd64, arm64): what Podman writes. */
  arch: string;
  /** The kernel release (uname -r). */
  kernel: string;
}

/**
 * The manifest annotations of a checkpoint of pod podId run from spec. A pod of several containers
 * names them all in container.name, comma-separated (a Podman or CRI-O checkpoint holds one).
 */
export function checkpointAnnotations(podId: string, spec: PodSpec, host: HostFacts): Record<string, string> {
  const names = spec.containers.map((c) => c.name).join(',');
  const out: Record<string, string> = {
    [CRIU.engineName]: 'amber',
    [CRIU.engineVersion]: host.version,
    [CRIU.runtimeName]: 'amber',
    [CRIU.runtimeVersion]: host.version,
    [CRIU.containerName]: names,
    [CRIU.podName]: spec.name,
    [CRIU.podId]: podId,
    [CRIU.hostArch]: host.arch,
    [CRIU.hostKernel]: host.kernel,
    [AMBER_CONTAINERS]: names,
  };
  const namespace = spec.metadata?.namespace;
  if (namespace !== undefined) out[CRIU.podNamespace] = namespace;
  const [only] = spec.containers;
  if (only !== undefined && spec.containers.length === 1) out[CRIU.rawImageName] = only.module;
  for (const c of spec.containers) out[containerModuleKey(c.name)] = c.module;
  return out;
}
