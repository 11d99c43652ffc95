// The module payloads of a checkpoint image, like the executables CRIU would need beside its images but
// carried inside: each transformed module a program was running, one payload per module named by its
// sha256 ("module/<hex>", so two containers of one module share it, and an unchanged module is the same
// blob in every image and registry), its layer annotated with the sha256 of the module as given and the
// transform's version. A restore compiles these bytes as they are: no .wasm file, no transform.
import { AmberError } from '../base/error.js';
import type { Payload } from '../image/payload.js';
import type { CheckpointImage } from '../image/reader.js';

export const MODULE_KIND = 'module';
/** On a module layer: "sha256:<hex>" of the module as given, before the transform. */
export const ANNOTATION_MODULE_SOURCE = 'org.amber.module.source';
/** On a module layer: the transform's version (transform/cache.ts transformVersion). */
export const ANNOTATION_MODULE_TRANSFORM = 'org.amber.module.transform';

/** A transformed module a checkpoint carries. */
export interface ImageModule {
  /** sha256 hex of bytes. */
  hash: string;
  bytes: Uint8Array;
  /** sha256 hex of the module as given; null when not known. */
  sourceHash: string | null;
  /** The transform's version; null when not known. */
  transform: string | null;
}

export function modulePayloadName(hash: string): string {
  return `${MODULE_KIND}/${hash}`;
}

/** One payload per distinct module (by hash), in the order first given. */
export function modulePayloads(modules: Iterable<ImageModule>): Payload[] {
  const out = new Map<string, Payload>();
  for (const m of modules) {
    if (out.has(m.hash)) continue;
    const annotations: Record<string, string> = {};
    if (m.transform !== null) annotations[ANNOTATION_MODULE_TRANSFORM] = m.transform;
    if (m.sourceHash !== null) annotations[ANNOTATION_MODULE_SOURCE] = `sha256:${m.sourceHash}`;
    // Its hash is its bytes' sha256 (the writer need not hash a 30 MB module again at every checkpoint).
    out.set(m.hash, { name: modulePayloadName(m.hash), kind: MODULE_KIND, bytes: m.bytes, contentHex: m.hash, annotations });
  }
  return [...out.values()];
}


/**
 * The module of sha256 `hash` the image carries (its blob already verified by the reader); null when it
 * carries none (an image of format 1). hashOf computes sha256 hex: the bytes must be the ones named.
 */
export function carriedModule(image: CheckpointImage, hash: string, hashOf: (b: Uint8Array) => string): ImageModule | null {
  const name = modulePayloadName(hash);
  if (!image.has(name)) return null;
  const bytes = image.payload(name);
  if (hashOf(bytes) !== hash) throw new AmberError(`${image.dir}: payload "${name}": its bytes are not the module it names (damaged image)`);
  const notes = image.layerAnnotations(name);
  const source = /^sha256:([0-9a-f]{64})$/.exec(notes[ANNOTATION_MODULE_SOURCE] ?? '')?.[1] ?? null;
  return { hash, bytes, sourceHash: source, transform: notes[ANNOTATION_MODULE_TRANSFORM] ?? null };
}
