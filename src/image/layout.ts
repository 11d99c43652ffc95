// The OCI image layout an image directory is (opencontainers/image-spec image-layout.md, manifest.md,
// descriptor.md, config.md): `oci-layout`, `index.json` with one manifest descriptor, and
// `blobs/sha256/<hex>`. Amber's manifest is an OCI image manifest whose layers are the named payloads and
// whose config is an OCI image config (platform wasip1/wasm, the checkpoint annotations as labels, a
// diff_id per layer) holding Amber's checkpoint config under one key, so `skopeo inspect` shows it and
// skopeo/oras copy it to a registry unchanged. Format 1 had Amber's config as the manifest's config.

export const LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const BLOBS_DIR = 'blobs/sha256';
export const LAYOUT_VERSION = '1.0.0';

export const MEDIA_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** Format 1's config: Amber's checkpoint config itself (read, no longer written). */
export const MEDIA_CONFIG = 'application/vnd.amber.checkpoint.config.v1+json';
export const MEDIA_IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** The key of the image config that holds Amber's checkpoint config. */
export const CONFIG_KEY = 'org.amber.checkpoint';
/** WebAssembly's platform as OCI tools name it (wasip1/wasm, as containerd's runwasi and wasm images do). */
export const PLATFORM = { architecture: 'wasm', os: 'wasip1' } as const;
export const ARTIFACT_TYPE = 'application/vnd.amber.checkpoint.v1';

/**
 * The format this Amber writes, recorded in every image's config; it reads this one and every earlier
 * one (test/fixtures/images/ holds an image of each). 1: modules named by host path and hash. 2: the
 * image carries each program's transformed module (runtime/modules.ts) and the spec as given. 3: a
 * payload may have patch layers over its parts (patch.ts), and memory is in parts of 4 MiB.
 */
export const FORMAT_NAME = 'amber-checkpoint';
export const FORMAT_VERSION = 3;

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
export const REF_NAME = 'checkpoint';
/** On a layer: the payload it holds (or one part of). */
export const ANNOTATION_NAME = 'org.amber.name';
/** On a layer of a payload in parts: "<index>/<count>", index from 0. */
export const ANNOTATION_PART = 'org.amber.part';
/** On a patch layer (patch.ts) of the payload org.amber.name names: "<index>/<count>", applied in index
 *  order over the payload's parts. Its media type's kind is PATCH_KIND. */
export const ANNOTATION_PATCH = 'org.amber.patch';
export const PATCH_KIND = 'patch';
/** On a compressed layer: the payload bytes' size before compression. */
export const ANNOTATION_SIZE = 'org.amber.size';
/** On a compressed layer: "sha256:<hex>" of the payload bytes before compression (so a later
 *  checkpoint can find them in this image as its parent without compressing again). */
export const ANNOTATION_CONTENT = 'org.amber.content';
/** On the index's manifest descriptor and the manifest: the pod the image holds. */
export const ANNOTATION_POD = 'org.amber.pod';
/** On the manifest: the format's name and version (the config says it too; tools read annotations). */
export const ANNOTATION_FORMAT = 'org.amber.format';
export const ANNOTATION_FORMAT_VERSION = 'org.amber.format.version';

/** A kind names a payload's media type: application/vnd.amber.checkpoint.<kind>.v1. */
const KIND = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const LAYER_MEDIA = /^application\/vnd\.amber\.checkpoint\.([a-z0-9][a-z0-9.-]{0,63})\.v1(\+[a-z0-9]+)?$/;
const DIGEST = /^sha256:([0-9a-f]{64})$/;

export function isKind(kind: string): boolean {
  return KIND.test(kind);
}

export function layerMediaType(kind: string, suffix = ''): string {
  return `application/vnd.amber.checkpoint.${kind}.v1${suffix}`;
}

/** The kind and compression suffix ("" if none) of a layer media type; null if it is not Amber's. */
export function parseLayerMediaType(mediaType: string): { kind: string; suffix: string } | null {
  const m = LAYER_MEDIA.exec(mediaType);
  return m === null ? null : { kind: m[1] ?? '', suffix: m[2] ?? '' };
}

/** An OCI content descriptor (descriptor.md), as far as Amber uses one. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: { architecture: string; os: string };
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType: typeof MEDIA_INDEX;
  manifests: Descriptor[];
}

export interface OciImageConfig {
  created: string;
  architecture: string;
  os: string;
  config: { Labels: Record<string, string> };
  rootfs: { type: 'layers'; diff_ids: string[] };
  [CONFIG_KEY]: CheckpointConfig;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType: typeof MEDIA_MANIFEST;
  artifactType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Amber's checkpoint config, the manifest's config blob. */
export interface CheckpointConfig {
  format: string;
  version: number;
  /** RFC 3339 time the checkpoint was taken. */
  created: string;
  podId: string;
  /** Whatever the caller recorded (the runtime's summary of the pod: containers, modules, volumes). */
  meta: Record<string, unknown>;
  /** How the checkpoint went, as the caller measured it once the payloads were written (checkpointctl's
   *  dump statistics): names to numbers (null: not measured). Absent before format 2. */
  stats?: Record<string, number | null>;
}

export function digestOf(hex: string): string {
  return `sha256:${hex}`;
}

/** The hex of a "sha256:<64 hex>" digest; null for anything else (no path can hide in one). */
export function hexOf(digest: string): string | null {
  return DIGEST.exec(digest)?.[1] ?? null;
}

/** Bytes of a JSON document, as written: compact, UTF-8, with a final newline. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value)}\n`);
}
