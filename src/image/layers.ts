// The manifest's layers for the payloads a writer is given, like the layer list of an OCI image manifest
// (opencontainers/image-spec manifest.md): each payload, part of one, or patch over one (patch.ts) is a
// layer annotated with its name and place. checkPayloads refuses a set whose names and places do not fit
// together before anything is written; layerOf describes a payload once its blob is stored.
import {
  ANNOTATION_CONTENT, ANNOTATION_NAME, ANNOTATION_PART, ANNOTATION_PATCH, ANNOTATION_SIZE, digestOf, isKind,
  layerMediaType, PATCH_KIND, type Descriptor,
} from './layout.js';
import { kindOf, payloadSize, type Payload, type StagedPayload } from './payload.js';

/** A payload's blob in the image being written. */
export interface StoredBlob {
  /** The SHA-256 of the payload bytes. */
  readonly contentHex: string;
  /** The blob's: contentHex unless compressed. */
  readonly hex: string;
  readonly size: number;
  /** The codec the blob is compressed with; null: the payload bytes as they are. */
  readonly codec: string | null;
}

/** The layer annotations the writer sets itself. */
const OWN_ANNOTATIONS = [ANNOTATION_NAME, ANNOTATION_PART, ANNOTATION_PATCH, ANNOTATION_SIZE, ANNOTATION_CONTENT];

interface Places {
  count: number | null;
  indexes: Set<number>;
}

/** Adds index of count to a name's places; false if it is taken or does not fit. */
function place(places: Map<string, Places>, name: string, at: { index: number; count: number } | undefined): boolean {
  const count = at?.count ?? null;
  const index = at?.index ?? 0;
  const s = places.get(name) ?? { count, indexes: new Set<number>() };
  places.set(name, s);
  if (s.count !== count || s.indexes.has(index) || !(Number.isSafeInteger(index) && index >= 0 && index < (count ?? 1))) return false;
  s.indexes.add(index);
  return true;
}

/**
 * Checks each name is used by one payload, or by parts 0..count-1 each once, plus patches 0..count-1 each
 * once over a payload given too; returns the byte total.
 */
export function checkPayloads(payloads: readonly (Payload | StagedPayload)[]): number {
  const parts = new Map<string, Places>();
  const patches = new Map<string, Places>();
  let total = 0;
  for (const p of payloads) {
    if (typeof p.name !== 'string' || p.name === '') throw new RangeError('writeImage: a payload has no name');
    if (!isKind(kindOf(p))) {
      throw new RangeError(`writeImage: payload "${p.name}": kind "${kindOf(p)}" is not [a-z0-9][a-z0-9.-]*`);
    }
    if (p.patch !== undefined && p.part !== undefined) throw new RangeError(`writeImage: payload "${p.name}": a patch that is also a part`);
    if (p.patch !== undefined ? !place(patches, p.name, p.patch) : !place(parts, p.name, p.part)) {
      throw new RangeError(`writeImage: payload "${p.name}" given twice, or ${p.patch !== undefined ? 'patches' : 'parts'} that do not fit together`);
    }
    for (const key of OWN_ANNOTATIONS) {
      if (p.annotations?.[key] !== undefined) throw new RangeError(`writeImage: payload "${p.name}" sets ${key}, which the writer owns`);
    }
    total += payloadSize(p);
  }
  for (const [what, places] of [['parts', parts], ['patches', patches]] as const) {
    for (const [name, s] of places) {
      if (s.indexes.size !== (s.count ?? 1)) throw new RangeError(`writeImage: payload "${name}" has ${s.indexes.size} of its ${s.count} ${what}`);
      if (what === 'patches' && !parts.has(name)) throw new RangeError(`writeImage: patches of payload "${name}", which is not given`);
    }
  }
  return total;
}

/** The layer of payload p, stored as s. */
export function layerOf(p: Payload | StagedPayload, s: StoredBlob): Descriptor {
  const annotations: Record<string, string> = { ...p.annotations, [ANNOTATION_NAME]: p.name };
  if (p.part !== undefined) annotations[ANNOTATION_PART] = `${p.part.index}/${p.part.count}`;
  if (p.patch !== undefined) annotations[ANNOTATION_PATCH] = `${p.patch.index}/${p.patch.count}`;
  if (s.codec !== null) {
    annotations[ANNOTATION_SIZE] = String(payloadSize(p));
    annotations[ANNOTATION_CONTENT] = digestOf(s.contentHex);
  }
  return {
    mediaType: layerMediaType(p.patch !== undefined ? PATCH_KIND : kindOf(p), s.codec === null ? '' : `+${s.codec}`),
    digest: digestOf(s.hex),
    size: s.size,
    annotations,
  };
}
