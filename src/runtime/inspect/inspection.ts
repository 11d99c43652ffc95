// What `amber inspect` tells about a checkpoint image, as plain data (the --json document, which the text
// output renders): the image's identity and sizes, the pod's spec summary, each container's program
// state, and on request the process tree, each container's mount tree and each process's open files, as
// checkpointctl shows a CRIU image. Built by inspectImage (inspect.ts) from the image alone.
import { AmberError } from '../../base/error.js';

export interface InspectOptions {
  psTree: boolean;
  mounts: boolean;
  files: boolean;
}

export interface ContainerInfo {
  name: string;
  /** Host path of the .wasm, as the spec named it. */
  module: string;
  /** sha256 of the transformed module the snapshot fits. */
  moduleHash: string;
  /** Its argv and environment as the spec gave them ([] when the image does not say). */
  args: string[];
  env: string[];
  state: 'ready' | 'suspended' | 'exited';
  /** suspended: the WASI call it is stopped in ("wasi_snapshot_preview1.poll_oneoff") and why. */
  call?: string;
  cause?: 'blocked' | 'preempted' | 'stopped';
  /** suspended in a timed wait: nanoseconds left at the cut. */
  waitNs?: string;
  exit?: { kind: 'exit'; code: number } | { kind: 'trap'; message: string };
}

export interface VolumeInfo {
  name: string;
  kind: 'emptyDir' | 'hostPath';
  hostPath?: string;
  medium?: string;
  sizeBytes?: number;
}

export interface PayloadInfo {
  name: string;
  kind: string;
  bytes: number;
  parts: number;
  /** Patch layers over the parts (an incremental checkpoint's memory: image/patch.ts). */
  patches: number;
}

export interface ProcessInfo {
  pid: number;
  /** The container whose mount namespace it runs in (null: none of them). */
  container: string | null;
  argv: string[];
  cwd: string;
  /** stopped: not a container's program (its state is only in the kernel). */
  state: 'ready' | 'suspended' | 'exited' | 'stopped';
  call?: string;
  cause?: 'blocked' | 'preempted' | 'stopped';
  waitNs?: string;
  exitCode?: number;
  /** exited by a trap: its message. */
  trap?: string;
}

export interface MountInfo {
  id: number;
  parent: number;
  /** The mount's root inside its filesystem ("/" unless a bind or subPath mount). */
  root: string;
  mountpoint: string;
  /** Per-mount options: "rw,nosuid". */
  options: string;
  fstype: string;
  source: string;
  /** The filesystem's own options: "rw,size=65536k,mode=1777". */
  superOptions: string;
  /** Raw MNT_* flags, locks included. */
  flags: number;
  /** What a less privileged user namespace cannot change (seed 004): readonly, nosuid, nodev, noexec,
   *  atime (MNT_LOCK_*), and umount (MNT_LOCKED: not unmounted apart from its parent). */
  locked: string[];
  /** What the pod calls it: "volume data", "shm", "rootfs", "proc", a hostdir key, "tmpfs" (a guest's). */
  origin: string;
  /** The mount that hides it from every path (stacked on it, or on a directory above it), if any. */
  coveredBy: number | null;
}

export interface FdInfo {
  fd: number;
  /** What /proc/<pid>/fd shows: the guest path (" (deleted)" when unlinked), or host:[role] for a stream. */
  path: string;
  /** O_RDONLY/O_WRONLY/O_RDWR and the status flags: "O_WRONLY|O_APPEND". */
  flags: string;
  offset: number;
  type: string | null;
  /** How a restore brings it back: stream (re-bound by role), host (reopened in the host directory
   *  bound to key, its size and mtime checked), ghost (contents saved in the image), pod (saved with a
   *  filesystem the pod owns), gone (a host object no longer there: a stand-in). */
  restore: 'stream' | 'host' | 'ghost' | 'pod' | 'gone';
  /** stream: its role. */
  role?: string;
  /** host, ghost, gone: the hostdir key ("volume:data"), the path inside it, the host path it is bound to now. */
  key?: string;
  keyPath?: string;
  hostPath?: string;
  /** host: what the object at hostPath must still be. */
  identity?: { size: number; mtimeNs: string };
  /** ghost, and a pod file: its size in the image. */
  size?: number;
  nlink?: number;
  /** The WASI preopen name, for a preopened fd. */
  preopen?: string;
  /** The mount hiding it from every path (seed 002: open under a covered mount), if any. */
  coveredBy?: number;
}

/** One container's mount tree, as its first process sees it. */
export interface MountTreeInfo {
  container: string;
  pid: number;
  mounts: MountInfo[];
}

/** One process's open files. */
export interface OpenFilesInfo {
  pid: number;
  container: string | null;
  command: string;
  fds: FdInfo[];
}

export interface Inspection {
  image: string;
  podId: string;
  created: string;
  format: { name: string; version: number; programs: number; kernel?: number };
  manifestDigest: string;
  size: { onDisk: number; payloads: number };
  specFile: string | null;
  specFormat: string | null;
  userns: boolean;
  containers: ContainerInfo[];
  volumes: VolumeInfo[];
  payloads: PayloadInfo[];
  /** The Pod's namespace, labels and annotations (an OCI bundle's annotations); null before format 2. */
  metadata: { namespace?: string; labels: Record<string, string>; annotations: Record<string, string> } | null;
  /** The manifest's annotations: org.criu.checkpoint.* (engine, runtime, host) and org.amber.*. */
  annotations: Record<string, string>;
  /** How the checkpoint went, as the image records it (format 2 on): ms and bytes by name; null before. */
  stats: Record<string, number | null> | null;
  processes?: ProcessInfo[];
  mounts?: MountTreeInfo[];
  files?: OpenFilesInfo[];
}

/** A problem with what the image holds (not its blobs, which the reader checked): one line. */
export class InspectError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'InspectError';
  }
}
