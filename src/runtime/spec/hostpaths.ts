// The host files and directories a PodSpec names (modules, OCI roots, hostPath volumes, bind sources),
// and the check that they are there, in spec terms: the caller in src/host looks each path up and this
// turns a missing one into a SpecError naming its field (`pod.yaml: spec.containers[0].image: ...`).
import { SpecError } from './error.js';
import type { PodSpec } from './podspec.js';

export type HostPathKind = 'file' | 'directory' | 'other';

export interface HostPathNeed {
  hostPath: string;
  /** The field that names it, for messages. */
  field: string;
  /** What must be there. */
  want: 'file' | 'directory';
  /** A hostPath volume of type DirectoryOrCreate: the caller creates it when missing. */
  create?: 'directory';
}

/** What spec needs on the host, in the order a reader of the spec meets it. */
export function hostPathNeeds(spec: PodSpec): HostPathNeed[] {
  const out: HostPathNeed[] = [];
  for (const c of spec.containers) {
    if (c.rootfs !== undefined) out.push({ hostPath: c.rootfs.hostPath, field: c.rootfs.field, want: 'directory' });
    if (c.pause !== true) out.push({ hostPath: c.module, field: c.moduleField, want: 'file' });
  }
  for (const v of spec.volumes) {
    if (v.kind !== 'hostPath') continue;
    // Amber passes host directories through, never single files or devices (pod.ts refuses the types).
    const need: HostPathNeed = { hostPath: v.hostPath, field: `${v.field}.hostPath.path`, want: 'directory' };
    if (v.type === 'DirectoryOrCreate') need.create = 'directory';
    out.push(need);
  }
  for (const c of spec.containers) {
    for (const m of c.mounts) {
      if (m.source.kind === 'bind') out.push({ hostPath: m.source.hostPath, field: `${m.field ?? m.destination}.source`, want: 'directory' });
    }
  }
  return out;
}

const KIND_NAMES: Record<HostPathKind, string> = { file: 'a file', directory: 'a directory', other: 'neither a file nor a directory' };

/**
 * Throws the SpecError of the first need of spec that kindOf (the host's lstat, following symlinks)
 * does not meet; undefined from kindOf means nothing is there. Missing paths the caller is to create
 * pass.
 */
export function checkHostPaths(spec: PodSpec, kindOf: (hostPath: string) => HostPathKind | undefined): void {
  for (const need of hostPathNeeds(spec)) {
    const kind = kindOf(need.hostPath);
    if (kind === undefined) {
      if (need.create !== undefined) continue;
      throw new SpecError(spec.file, need.field, `no such ${need.want}: ${need.hostPath}`);
    }
    if (kind !== need.want) {
      throw new SpecError(spec.file, need.field, `expected ${KIND_NAMES[need.want]}, found ${KIND_NAMES[kind]}: ${need.hostPath}`);
    }
  }
}
