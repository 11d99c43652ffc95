// Pod and OCI specs (DESIGN.md §2, runtime/): parse a Kubernetes Pod manifest or an OCI config.json,
// validate it with errors that name the file and the field, and normalize either into one PodSpec.
// Reading files is the caller's (src/host, src/cli): these functions take the text.
export { SpecError, type SpecProblem } from './error.js';
export { parsePodManifest, type PodManifest, type ContainerManifest, type VolumeManifest, type VolumeMountManifest } from './pod.js';
export type { HostPathType } from './podspec.js';
export { parseOciConfig, type OciConfig, type OciMount, type IdMapping, type NamespaceType } from './oci.js';
export { normalizePod, normalizeOci, SHM_PATH, SHM_FLAGS } from './normalize.js';
export type { PodSpec, ContainerSpec, MountSpec, MountSource, VolumeSpec, EmptyDirVolume, HostPathVolume } from './podspec.js';
export { checkHostPaths, hostPathNeeds, type HostPathNeed, type HostPathKind } from './hostpaths.js';
export { parseMountOptions, mntFlagNames, type MountOptions, type Propagation } from './mountopts.js';
