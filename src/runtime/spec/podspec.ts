// PodSpec: the one internal form of a pod, whichever spec it came from (a Kubernetes Pod or an OCI
// bundle, normalize.ts), which the runtime builds a pod's kernel objects from and a restore matches an
// image against: volumes by name, containers by name, mounts in the order Linux would stack them.
import type { Propagation } from './mountopts.js';
import type { IdMapping } from './oci.js';

/** A Pod hostPath volume's `type` values ("" for none). */
export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;
export type HostPathType = (typeof HOST_PATH_TYPES)[number];

export interface PodSpec {
  /** The spec file as named to the parser, and what it was: messages and warnings name it. */
  file: string;
  format: 'pod' | 'oci';
  /** metadata.name, or the container id given for an OCI bundle. */
  name: string;
  /** The pod runs in a user namespace (hostUsers: false; a "user" namespace in config.json). */
  userns: boolean;
  /** The OCI bundle's linux.uidMappings/gidMappings (empty for a Pod). */
  idMappings: { uid: IdMapping[]; gid: IdMapping[] };
  hostname?: string;
  /** The Pod's metadata.namespace, labels and annotations (an OCI bundle's annotations), kept in
   *  checkpoint images (org.criu.checkpoint.pod.namespace) and shown by inspect; nothing runs by them
   *  but org.amber.track-writes (trackwrites.ts). Absent in specs saved by images of format 1. */
  metadata?: PodMetadata;
  /** The pod's memory limit (spec.resources.limits.memory): every container's memory and the pod's tmpfs. */
  memoryBytes?: number;
  /** The pod's volumes, each one kernel object owned by the pod, keyed by name (unique). */
  volumes: VolumeSpec[];
  containers: ContainerSpec[];
  /** One line each, without the file name: what was accepted but may not be what was meant. */
  warnings: string[];
  /** The spec file's text as given (the Pod manifest's YAML, the bundle's config.json), which checkpoint
   *  images keep beside this normalized form; absent for a spec built in code. */
  given?: string;
}

export interface PodMetadata {
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A pod-owned tmpfs (medium "Memory" or none: the same here, a tmpfs either way). */
export interface EmptyDirVolume {
  kind: 'emptyDir';
  name: string;
  medium?: 'Memory';
  sizeBytes?: number;
  /** The field it came from, for messages: "spec.volumes[0]". */
  field: string;
}

/** A host directory or file passed through. */
export interface HostPathVolume {
  kind: 'hostPath';
  name: string;
  /** Absolute host path. */
  hostPath: string;
  type: HostPathType;
  field: string;
}

export type VolumeSpec = EmptyDirVolume | HostPathVolume;

export interface ContainerSpec {
  name: string;
  /** Absolute host path of the .wasm file. */
  module: string;
  /**
   * Runs no program: a pod's infrastructure container (CRI's sandbox container, whose image is a native
   * `pause`), which only holds the pod until it is signalled, as the pause process does.
   */
  pause?: boolean;
  /** The field module came from: "spec.containers[0].image", "process.args[0]". */
  moduleField: string;
  /** The full argv, argv[0] included. */
  argv: string[];
  /** "KEY=VALUE" */
  env: string[];
  /** Absolute guest path. */
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  /** RLIMIT_NOFILE of its processes (an OCI bundle's process.rlimits): runc's 1024 when absent. */
  nofile?: number;
  /** resources.limits.memory (linux.resources.memory.limit): its linear memory, plus the bytes of the
   *  tmpfs mounts it owns, stay within it (a failed memory.grow, ENOMEM). */
  memoryBytes?: number;
  /** An OCI bundle's root: this host directory is the container's "/" (a fresh tmpfs if absent). */
  rootfs?: { hostPath: string; readOnly: boolean; field: string };
  /**
   * The container's mounts, in order, after its root, /dev and /proc. /dev/shm is always among them
   * (the pod's one shm), so whoever builds the tree must not add another.
   */
  mounts: MountSpec[];
}

export type MountSource =
  /** A pod volume, by name. */
  | { kind: 'volume'; name: string }
  /** The pod's one /dev/shm tmpfs. */
  | { kind: 'shm' }
  /** A tmpfs of this container's own; data is mount(2)'s data ("mode=1777,size=65536k"). */
  | { kind: 'tmpfs'; mode?: number; sizeBytes?: number; data: string }
  /** A host path passed through; recursive for "rbind". */
  | { kind: 'bind'; hostPath: string; recursive: boolean };

export interface MountSpec {
  /** Absolute, cleaned guest path. */
  destination: string;
  source: MountSource;
  /** MNT_* per-mount flags (abi/mount.ts): MNT_READONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, ... */
  flags: number;
  /** flags has MNT_READONLY. */
  readOnly: boolean;
  /** Mount this path inside the source instead of its root (a Pod volumeMount's subPath). */
  subPath?: string;
  propagation?: { kind: Propagation; recursive: boolean };
  /** The spec entry it came from ("mounts[1]", "spec.containers[0].volumeMounts[0]"); absent for Amber's own. */
  field?: string;
}
