// The OCI image layout an image directory is (opencontainers/image-spec image-layout.md, manifest.md,
// descriptor.md): `oci-layout`, `index.json` with one manifest descriptor, and `blobs/sha256/<hex>`.
// Amber's manifest is an OCI image manifest whose config is Amber's checkpoint config and whose layers are
// the named payloads, so `oras`/`skopeo`-style tools can copy an image to a registry unchanged.

export const LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const BLOBS_DIR = 'blobs/sha256';
export const LAYOUT_VERSION = '1.0.0';

export const MEDIA_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_CONFIG = 'application/vnd.amber.checkpoint.config.v1+json';
export const ARTIFACT_TYPE = 'application/vnd.amber.checkpoint.v1';

/**
 * The format this Amber writes, recorded in every image's config; it reads this one and every earlier
 * one (test/fixtures/images/ holds an image of each). 1: modules named by host path and hash. 2: the
 * image carries each program's transformed module (runtime/modules.ts) and the spec as given.
 */
export const FORMAT_NAME = 'amber-checkpoint';
export const FORMAT_VERSION = 2;

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
export const REF_NAME = 'checkpoint';
/** On a layer: the payload it holds (or one part of). */
export const ANNOTATION_NAME = 'org.amber.name';
/** On a layer of a payload in parts: "<index>/<count>", index from 0. */
export const ANNOTATION_PART = 'org.amber.part';
/** On a compressed layer: the payload bytes' size before compression. */
export const ANNOTATION_SIZE = 'org.amber.size';
/** On a compressed layer: "sha256:<hex>" of the payload bytes before compression (so a later
 *  checkpoint can find them in this image as its parent without compressing again). */
export const ANNOTATION_CONTENT = 'org.amber.content';
/** On the index's manifest descriptor: the pod the image holds. */
export const ANNOTATION_POD = 'org.amber.pod';

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
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType: typeof MEDIA_INDEX;
  manifests: Descriptor[];
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
