// What `amber diff A B` tells about two checkpoint images, as plain data (the --json document, which the
// text output renders): per container the linear memory compared page by page, the files of the
// filesystems the pod owns, the processes and each container's mounts, what was added, removed or
// changed from A to B, as checkpointctl and `podman diff` show what a checkpoint changed.
import type { MountInfo, ProcessInfo } from './inspection.js';

/** Memory is compared in pages of this size (Linux's, as CRIU counts pages scanned and written). */
export const DIFF_PAGE_SIZE = 4096;

export interface DiffSide {
  image: string;
  podId: string;
  created: string;
  manifestDigest: string;
  format: number;
}

export type Change = 'added' | 'removed' | 'modified';

export interface ContainerDiff {
  name: string;
  change: Change;
  /** modified: what differs: "module", "args", "env". */
  what: string[];
}

export interface MemoryDiff {
  container: string;
  /** Linear memory's bytes in A and in B (null: no memory saved, the program not started or exited). */
  sizeA: number | null;
  sizeB: number | null;
  /** Pages of DIFF_PAGE_SIZE in both whose bytes are the same, and differ. */
  same: number;
  changed: number;
  /** Pages only in B (memory grew) and only in A. */
  added: number;
  removed: number;
  /** The program's saved stack and globals differ (they do whenever it ran between the cuts). */
  stackChanged: boolean;
}

/** A file as the diff shows it: type, mode, owner, size, symlink target. */
export interface FileSummary {
  type: string;
  /** Octal, as ls -l's numbers: "644". */
  mode: string;
  uid: number;
  gid: number;
  size: number;
  target?: string;
}

export interface FileDiff {
  /** The filesystem: "volume data", "shm", "rootfs of web", "tmpfs on /mnt in web". */
  fs: string;
  /** Its path inside that filesystem ("/" its root). */
  path: string;
  change: Change;
  /** modified: "type", "content", "size", "mode", "owner", "target". */
  what: string[];
  /** modified content: pages of DIFF_PAGE_SIZE that differ. */
  pagesChanged?: number;
  a?: FileSummary;
  b?: FileSummary;
}

export interface ProcessDiff {
  pid: number;
  container: string | null;
  change: Change;
  /** modified: "argv", "cwd", "state", "container". */
  what: string[];
  a?: ProcessInfo;
  b?: ProcessInfo;
}

export type MountSummary = Pick<MountInfo, 'root' | 'fstype' | 'source' | 'options' | 'superOptions' | 'locked' | 'origin'>;

export interface MountDiff {
  container: string;
  mountpoint: string;
  change: Change;
  /** modified: which of MountSummary's fields differ. */
  what: string[];
  a?: MountSummary;
  b?: MountSummary;
}

export interface ImageDiff {
  a: DiffSide;
  b: DiffSide;
  /** Nothing below differs (memory, files, processes, mounts, containers). */
  identical: boolean;
  containers: ContainerDiff[];
  /** Every container with memory in A or B, changed or not. */
  memory: MemoryDiff[];
  files: FileDiff[];
  processes: ProcessDiff[];
  mounts: MountDiff[];
}
