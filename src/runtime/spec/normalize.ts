// From a parsed Pod manifest or OCI config to the one PodSpec (podspec.ts). Every container gets the
// pod's one /dev/shm; a spec's own /dev/shm entries (containerd's tmpfs + "rbind,ro" pair, seed 004) map
// onto it keeping their flags, never binding the host path; a mount at a destination an earlier one
// already has is kept, stacked as Linux would, and reported.
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_READONLY } from '../../abi/mount.js';
import { SpecError } from './error.js';
import { dataValue, parseMountOptions } from './mountopts.js';
import type { OciConfig } from './oci.js';
import { isBind } from './oci.js';
import { baseName, resolvePath, underRoot } from './paths.js';
import type { PodManifest } from './pod.js';
import type { ContainerSpec, MountSpec, PodMetadata, PodSpec, VolumeSpec } from './podspec.js';
import { MAX_SIZE_BYTES, parseTmpfsSize } from './units.js';

export const SHM_PATH = '/dev/shm';

/** The flags of the pod's /dev/shm where Amber mounts it itself (as runc's default spec does). */
export const SHM_FLAGS = MNT_NOSUID | MNT_NODEV | MNT_NOEXEC;

/** The /dev/shm mount a container gets when its spec names none. */
function defaultShm(): MountSpec {
  return { destination: SHM_PATH, source: { kind: 'shm' }, flags: SHM_FLAGS, readOnly: false };
}

/** Adds a warning for each mount whose destination an earlier mount of the list already has. */
function warnStacked(mounts: readonly MountSpec[], warnings: string[]): void {
  const last = new Map<string, MountSpec>();
  for (const m of mounts) {
    const under = last.get(m.destination);
    if (under?.field !== undefined && m.field !== undefined) {
      warnings.push(`${m.field} (${m.destination}) is mounted over ${under.field} (${under.destination})`);
    }
    last.set(m.destination, m);
  }
}

/** A Pod manifest as a PodSpec: volumes by name, each container's volumeMounts after the pod's /dev/shm. */
export function normalizePod(m: PodManifest): PodSpec {
  const warnings: string[] = [];
  const volumes: VolumeSpec[] = m.volumes.map((v, i): VolumeSpec => {
    const field = `spec.volumes[${i}]`;
    if (v.hostPath !== undefined) return { kind: 'hostPath', name: v.name, hostPath: v.hostPath.path, type: v.hostPath.type, field };
    const e: VolumeSpec = { kind: 'emptyDir', name: v.name, field };
    if (v.emptyDir?.medium !== undefined) e.medium = v.emptyDir.medium;
    if (v.emptyDir?.sizeBytes !== undefined) e.sizeBytes = v.emptyDir.sizeBytes;
    return e;
  });
  const containers = m.containers.map((c, i): ContainerSpec => {
    const mounts = [
      defaultShm(),
      ...c.volumeMounts.map((vm, j): MountSpec => {
        const ms: MountSpec = {
          destination: vm.mountPath,
          source: { kind: 'volume', name: vm.name },
          flags: vm.readOnly ? MNT_READONLY : 0,
          readOnly: vm.readOnly,
          field: `spec.containers[${i}].volumeMounts[${j}]`,
        };
        if (vm.subPath !== undefined) ms.subPath = vm.subPath;
        return ms;
      }),
    ];
    warnStacked(mounts, warnings);
    return {
      name: c.name,
      module: c.module,
      moduleField: `spec.containers[${i}].image`,
      argv: [baseName(c.image), ...c.args],
      env: c.env.map((e) => `${e.name}=${e.value}`),
      cwd: c.workingDir ?? '/',
      user: { uid: 0, gid: 0, additionalGids: [] },
      ...(c.memoryBytes !== undefined ? { memoryBytes: c.memoryBytes } : {}),
      mounts,
    };
  });
  const metadata: PodMetadata = { labels: { ...m.labels }, annotations: { ...m.annotations } };
  if (m.namespace !== undefined) metadata.namespace = m.namespace;
  return {
    file: m.file,
    format: 'pod',
    metadata,
    name: m.name,
    userns: !m.hostUsers,
    idMappings: { uid: [], gid: [] },
    ...(m.memoryBytes !== undefined ? { memoryBytes: m.memoryBytes } : {}),
    volumes,
    containers,
    warnings,
  };
}

/**
 * Linux's own interfaces that runc's default spec (and containerd's) mounts in every container: terminals,
 * POSIX message queues, sysfs and cgroups. A WASI program has no call that reaches any of them, so they
 * are left out without a word, as the kernel interfaces they are, not data a guest could miss.
 */
const KERNEL_INTERFACES = new Set(['devpts', 'mqueue', 'sysfs', 'cgroup', 'cgroup2']);

/** Mount types Amber provides itself at these places (runc's default spec lists them): left to Amber. */
const STANDARD: ReadonlyArray<readonly [string, string]> = [
  ['/proc', 'proc'],
  ['/dev', 'tmpfs'],
];

/**
 * An OCI mount as a MountSpec (none when Amber provides it or cannot), with a warning if any. A
 * /dev/shm entry becomes the pod's shm with the entry's flags; a bind of it also carries the flags of the
 * shm it binds (nosuid, nodev, noexec), as a Linux bind mount keeps its source mount's flags.
 */
function ociMount(c: OciConfig, i: number): { mount?: MountSpec; warning?: string } {
  const m = c.mounts[i];
  if (m === undefined) return {};
  const field = `mounts[${i}]`;
  const o = parseMountOptions(m.options);
  const spec = (source: MountSpec['source'], flags: number): MountSpec => {
    const ms: MountSpec = { destination: m.destination, source, flags, readOnly: (flags & MNT_READONLY) !== 0, field };
    if (o.propagation !== undefined) ms.propagation = o.propagation;
    return ms;
  };
  if (m.destination === SHM_PATH) return { mount: spec({ kind: 'shm' }, o.mnt | (o.bind ? SHM_FLAGS : 0)) };
  if (STANDARD.some(([d, t]) => d === m.destination && t === m.type)) return {};
  if (m.type !== undefined && KERNEL_INTERFACES.has(m.type)) return {};
  if (isBind(m)) {
    const mount = spec({ kind: 'bind', hostPath: resolvePath(c.bundleDir, m.source ?? ''), recursive: o.recursive }, o.mnt);
    if (o.data.length === 0) return { mount };
    return { mount, warning: `${field}.options: ${o.data.map((d) => JSON.stringify(d)).join(', ')} ignored for a bind mount` };
  }
  if (m.type === 'tmpfs') {
    const src: MountSpec['source'] = { kind: 'tmpfs', data: o.data.join(',') };
    const mode = dataValue(o.data, 'mode');
    if (mode !== undefined && /^[0-7]{1,4}$/.test(mode)) src.mode = parseInt(mode, 8);
    const size = dataValue(o.data, 'size');
    const bytes = size === undefined ? undefined : parseTmpfsSize(size);
    if (bytes !== undefined && bytes > MAX_SIZE_BYTES) throw new SpecError(c.file, `${field}.options`, `size=${size ?? ''}: expected at most 8p (2^53-1 bytes)`);
    if (bytes !== undefined) src.sizeBytes = bytes;
    return { mount: spec(src, o.mnt) };
  }
  return { warning: `${field} (${m.destination}): type ${JSON.stringify(m.type ?? '')} is not supported, skipped` };
}

/** Linux's fs.nr_open default: the most RLIMIT_NOFILE may be. */
const NR_OPEN = 1 << 20;

/**
 * process.rlimits: RLIMIT_NOFILE's soft limit bounds the container's descriptors (as runc sets it with
 * setrlimit before exec); the others are not enforced here, each one warning.
 */
function ociNofile(c: OciConfig, warnings: string[]): number | undefined {
  let nofile: number | undefined;
  c.process.rlimits.forEach((r, i) => {
    const field = `process.rlimits[${i}]`;
    if (r.type !== 'RLIMIT_NOFILE') {
      warnings.push(`${field}: ${r.type} is not enforced`);
      return;
    }
    if (r.soft > r.hard) throw new SpecError(c.file, `${field}.soft`, `${r.soft} is above the hard limit ${r.hard}`);
    if (r.soft > NR_OPEN) throw new SpecError(c.file, `${field}.soft`, `${r.soft} is above fs.nr_open (${NR_OPEN})`);
    nofile = r.soft;
  });
  return nofile;
}

/**
 * An OCI bundle's config as a one-container PodSpec named id: the root is the bundle's root.path,
 * the module is process.args[0] inside it.
 */
export function normalizeOci(c: OciConfig, opts: { id: string; containerName?: string }): PodSpec {
  const warnings: string[] = [];
  const mounts: MountSpec[] = [];
  for (let i = 0; i < c.mounts.length; i++) {
    const { mount, warning } = ociMount(c, i);
    if (mount !== undefined) mounts.push(mount);
    if (warning !== undefined) warnings.push(warning);
  }
  if (!mounts.some((m) => m.source.kind === 'shm')) mounts.unshift(defaultShm());
  warnStacked(mounts, warnings);
  if (c.process.terminal) warnings.push('process.terminal: a terminal is not supported; stdio is passed through as given');
  const nofile = ociNofile(c, warnings);
  const arg0 = c.process.args[0] ?? '';
  const guestModule = resolvePath(c.process.cwd, arg0);
  const container: ContainerSpec = {
    name: opts.containerName ?? opts.id,
    module: underRoot(c.root.path, guestModule),
    moduleField: 'process.args[0]',
    argv: [...c.process.args],
    env: [...c.process.env],
    cwd: c.process.cwd,
    user: { uid: c.process.user.uid, gid: c.process.user.gid, additionalGids: [...c.process.user.additionalGids] },
    ...(nofile !== undefined ? { nofile } : {}),
    ...(c.linux.memoryLimit !== undefined ? { memoryBytes: c.linux.memoryLimit } : {}),
    rootfs: { hostPath: c.root.path, readOnly: c.root.readonly, field: 'root.path' },
    mounts,
  };
  const out: PodSpec = {
    file: c.file,
    format: 'oci',
    metadata: { labels: {}, annotations: { ...c.annotations } },
    name: opts.id,
    userns: c.linux.namespaces.includes('user'),
    idMappings: { uid: [...c.linux.uidMappings], gid: [...c.linux.gidMappings] },
    volumes: [],
    containers: [container],
    warnings,
  };
  if (c.hostname !== undefined) out.hostname = c.hostname;
  return out;
}
