// Opening an image: the layout file, index.json, Amber's manifest and config (an OCI image config holding
// Amber's; format 1's was Amber's alone), checked in that order
// (as CRIU checks an image's magic before reading it), and the manifest's layers grouped into payloads.
// Nothing here reads a payload blob; reader.ts does. Nothing here writes.
import { MAX_JSON, readBlob } from './blobs.js';
import { ImageError } from './error.js';
import { JsonAt } from './json.js';
import {
  ANNOTATION_CONTENT, ANNOTATION_NAME, ANNOTATION_PART, ANNOTATION_PATCH, ANNOTATION_REF_NAME, ANNOTATION_SIZE, CONFIG_KEY, FORMAT_NAME,
  FORMAT_VERSION, hexOf, INDEX_FILE, LAYOUT_FILE, MEDIA_CONFIG, MEDIA_IMAGE_CONFIG, MEDIA_MANIFEST, parseLayerMediaType, PATCH_KIND, REF_NAME,
  type CheckpointConfig,
} from './layout.js';
import type { ImageStore } from './store.js';

/** One layer of the manifest: a payload's blob, or one part of it. */
export interface Layer {
  readonly hex: string;
  /** The blob's size (compressed, if it is). */
  readonly blobSize: number;
  /** The payload bytes it holds (after decompression). */
  readonly size: number;
  readonly kind: string;
  /** The codec the blob is compressed with ("gzip", "zstd"), its media type's suffix; null: not compressed. */
  readonly codec: string | null;
  /** The SHA-256 hex of the payload bytes: hex itself if not compressed; null if the image does not say. */
  readonly contentHex: string | null;
  /** For errors: `blob sha256:<hex> (payload "memory/a" part 3/8)`. */
  readonly label: string;
  /** The layer's annotations, Amber's own included. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** An image whose layout, index, manifest and config were read and checked. */
export interface OpenedImage {
  readonly dir: string;
  readonly manifestDigest: string;
  readonly config: CheckpointConfig;
  /** The manifest's annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Payload name → its layers, parts in order; in manifest order. */
  readonly payloads: ReadonlyMap<string, readonly Layer[]>;
  /** Payload name → its patch layers (patch.ts), in the order they apply; only payloads that have some. */
  readonly patches: ReadonlyMap<string, readonly Layer[]>;
}

/** Every layer of an opened image: parts, then patches. */
export function allLayers(image: OpenedImage): Layer[] {
  return [...image.payloads.values(), ...image.patches.values()].flat();
}

/** Reads a small whole file of the image; null if it is missing. */
function readSmall(store: ImageStore, path: string): Uint8Array | null {
  const r = store.open(path);
  if (r === null) return null;
  try {
    if (r.size > MAX_JSON) throw new ImageError(`${path}: ${r.size} bytes, too big for an image's JSON file`);
    const bytes = new Uint8Array(r.size);
    let at = 0;
    for (let n = 1; at < bytes.length && n > 0; at += n) n = r.read(bytes.subarray(at));
    return bytes.subarray(0, at);
  } finally {
    r.close();
  }
}

/** Why an image directory is missing: a checkpoint interrupted between its two renames leaves the
 *  previous image beside it as DIR.old-<random>. */
function missingMessage(store: ImageStore, dir: string): string {
  const slash = dir.lastIndexOf('/');
  const parent = dir.slice(0, Math.max(1, slash));
  const base = dir.slice(slash + 1);
  const aside = (store.list(parent) ?? []).find((n) => n.startsWith(`${base}.old-`));
  const hint = aside === undefined ? '' : ` (an interrupted checkpoint left the previous image at ${parent}/${aside})`;
  return `${dir}: no such image directory${hint}`;
}

function checkLayoutFile(store: ImageStore, dir: string): void {
  const path = `${dir}/${LAYOUT_FILE}`;
  const bytes = readSmall(store, path);
  if (bytes === null) throw new ImageError(`${dir}: not an image directory (no ${LAYOUT_FILE} file)`);
  const version = JsonAt.parse(path, bytes).get('imageLayoutVersion').string();
  if (!version.startsWith('1.')) {
    throw new ImageError(`${path}: image layout version ${version}; this Amber reads 1.x`);
  }
}

/** The hex of the manifest index.json names. */
function readIndex(store: ImageStore, dir: string): { hex: string; size: number } {
  const path = `${dir}/${INDEX_FILE}`;
  const bytes = readSmall(store, path);
  if (bytes === null) throw new ImageError(`${path}: missing (damaged image)`);
  const index = JsonAt.parse(path, bytes);
  index.get('schemaVersion').equal(2);
  const manifests = index.get('manifests').array();
  const ours = manifests.filter((m) => m.get('annotations').strings()[ANNOTATION_REF_NAME] === REF_NAME);
  const [desc, ...more] = ours.length > 0 ? ours : manifests;
  if (desc === undefined) throw new ImageError(`${path}: lists no manifest`);
  if (more.length > 0) throw new ImageError(`${path}: lists ${more.length + 1} checkpoint manifests, expected one`);
  desc.get('mediaType').equal(MEDIA_MANIFEST);
  const digest = desc.get('digest');
  const hex = hexOf(digest.string());
  if (hex === null) throw digest.error('a digest sha256:<64 hex digits>');
  return { hex, size: desc.get('size').count() };
}

function checkConfig(dir: string, json: JsonAt): CheckpointConfig {
  const format = json.get('format').string();
  const version = json.get('version').count();
  const stats: Record<string, number | null> = {};
  if (json.has('stats')) {
    for (const [k, v] of Object.entries(json.get('stats').object())) {
      if (v !== null && typeof v !== 'number') throw json.get('stats').get(k).error('a number or null');
      stats[k] = v;
    }
  }
  if (format !== FORMAT_NAME) {
    throw new ImageError(
      `${dir}: was written by ${format} format version ${version}; this Amber reads ${FORMAT_NAME} version ${FORMAT_VERSION}`,
    );
  }
  if (version > FORMAT_VERSION || version < 1) {
    throw new ImageError(`${dir}: was written by ${format} format version ${version}; this Amber reads version ${FORMAT_VERSION}`);
  }
  return {
    format,
    version,
    created: json.get('created').string(),
    podId: json.get('podId').string(),
    meta: json.get('meta').object(),
    ...(json.has('stats') ? { stats } : {}),
  };
}

function layerOf(at: JsonAt, hasCodec: (suffix: string) => boolean): { name: string; part: string | null; patch: string | null; layer: Layer } {
  const mediaType = at.get('mediaType');
  const media = parseLayerMediaType(mediaType.string());
  if (media === null) throw mediaType.error('application/vnd.amber.checkpoint.<kind>.v1[+codec]');
  if (media.suffix !== '' && !hasCodec(media.suffix)) {
    throw mediaType.error(`a payload this Amber can decode (it has no codec for ${media.suffix})`);
  }
  const digest = at.get('digest');
  const hex = hexOf(digest.string());
  if (hex === null) throw digest.error('a digest sha256:<64 hex digits>');
  const blobSize = at.get('size').count();
  const annotations = at.get('annotations');
  const notes = annotations.strings();
  const name = notes[ANNOTATION_NAME];
  if (name === undefined || name === '') throw annotations.get(ANNOTATION_NAME).error('a payload name');
  const part = notes[ANNOTATION_PART] ?? null;
  const patch = notes[ANNOTATION_PATCH] ?? null;
  if (patch !== null && (part !== null || media.kind !== PATCH_KIND)) {
    throw annotations.get(ANNOTATION_PATCH).error(`only on a layer of kind ${PATCH_KIND} that is no part`);
  }
  if (patch === null && media.kind === PATCH_KIND) throw annotations.get(ANNOTATION_PATCH).error('"<index>/<count>" on a patch layer');
  let size = blobSize;
  let contentHex: string | null = hex;
  if (media.suffix !== '') {
    contentHex = hexOf(notes[ANNOTATION_CONTENT] ?? '');
    const s = notes[ANNOTATION_SIZE];
    size = s !== undefined && /^(0|[1-9][0-9]{0,15})$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(size)) throw annotations.get(ANNOTATION_SIZE).error('a size in decimal');
  }
  const label = `blob sha256:${hex} (payload "${name}"${part === null ? '' : ` part ${part}`}${patch === null ? '' : ` patch ${patch}`})`;
  const codec = media.suffix === '' ? null : media.suffix.slice(1);
  return { name, part, patch, layer: { hex, blobSize, size, kind: media.kind, codec, contentHex, label, annotations: notes } };
}

interface Group {
  count: number | null;
  layers: (Layer | undefined)[];
  at: JsonAt;
}

/** Puts layer at "<index>/<count>" (null: the one layer) of its group; false if taken or not fitting. */
function placed(groups: Map<string, Group>, name: string, where: string | null, layer: Layer, at: JsonAt, key: string): void {
  let index = 0;
  let count: number | null = null;
  if (where !== null) {
    const m = /^(0|[1-9][0-9]{0,8})\/([1-9][0-9]{0,8})$/.exec(where);
    index = Number(m?.[1]);
    count = Number(m?.[2]);
    if (m === null || index >= count) throw at.get('annotations').get(key).error('"<index>/<count>"');
  }
  const group = groups.get(name) ?? { count, layers: [], at };
  groups.set(name, group);
  if (group.count !== count || group.layers[index] !== undefined) {
    throw at.error(`one layer for each ${key === ANNOTATION_PART ? 'part' : 'patch'} of payload "${name}" (a duplicate, or a count that differs)`);
  }
  group.layers[index] = layer;
}

/** Each group's layers in order, checking there is one for every index. */
function complete(groups: Map<string, Group>, what: string): Map<string, Layer[]> {
  const out = new Map<string, Layer[]>();
  for (const [name, group] of groups) {
    const all = group.layers.filter((l): l is Layer => l !== undefined);
    if (all.length !== (group.count ?? 1)) {
      throw group.at.error(`${group.count} ${what} of payload "${name}", found ${all.length}`);
    }
    out.set(name, all);
  }
  return out;
}

/** Groups layers by payload name, checking parts are 0..count-1, each once, and patches too, over a
 *  payload the image has. */
function groupLayers(layers: JsonAt[], hasCodec: (suffix: string) => boolean): { payloads: Map<string, Layer[]>; patches: Map<string, Layer[]> } {
  const parts = new Map<string, Group>();
  const patches = new Map<string, Group>();
  for (const at of layers) {
    const { name, part, patch, layer } = layerOf(at, hasCodec);
    if (patch !== null) placed(patches, name, patch, layer, at, ANNOTATION_PATCH);
    else placed(parts, name, part, layer, at, ANNOTATION_PART);
  }
  for (const [name, group] of patches) if (!parts.has(name)) throw group.at.error(`a patch of a payload the image has, not of "${name}"`);
  return { payloads: complete(parts, 'parts'), patches: complete(patches, 'patches') };
}

/**
 * Reads and checks everything of image dir but its payload blobs. Reads only; never writes. A layer of a
 * codec the store lacks is refused unless anyCodec (imageCodecs, asking which the image needs).
 */
export function openImage(store: ImageStore, path: string, anyCodec = false): OpenedImage {
  const dir = store.resolve(path);
  const entry = store.stat(dir);
  if (entry === null) throw new ImageError(missingMessage(store, dir));
  if (entry.kind !== 'directory') throw new ImageError(`${dir}: not a directory`);
  checkLayoutFile(store, dir);
  const index = readIndex(store, dir);

  const manifestLabel = `manifest sha256:${index.hex}`;
  if (index.size > MAX_JSON) throw new ImageError(`${dir}: ${manifestLabel}: ${index.size} bytes, too big for a manifest`);
  const manifestBytes = readBlob(store, dir, { ...index, label: manifestLabel });
  const manifest = JsonAt.parse(`${dir}: ${manifestLabel}`, manifestBytes);
  manifest.get('schemaVersion').equal(2);
  const configDesc = manifest.get('config');
  const configType = configDesc.get('mediaType').string();
  if (configType !== MEDIA_IMAGE_CONFIG && configType !== MEDIA_CONFIG) {
    throw new ImageError(`${dir}: not an Amber checkpoint (its manifest's config is ${configType}, expected ${MEDIA_IMAGE_CONFIG})`);
  }
  const configDigest = configDesc.get('digest');
  const configHex = hexOf(configDigest.string());
  if (configHex === null) throw configDigest.error('a digest sha256:<64 hex digits>');
  const configSize = configDesc.get('size').count();
  const configLabel = `config sha256:${configHex}`;
  if (configSize > MAX_JSON) throw new ImageError(`${dir}: ${configLabel}: ${configSize} bytes, too big for a config`);
  const configBytes = readBlob(store, dir, { hex: configHex, size: configSize, label: configLabel });
  const configJson = JsonAt.parse(`${dir}: ${configLabel}`, configBytes);
  // Format 2 on: an OCI image config holding Amber's under CONFIG_KEY; format 1: Amber's itself.
  if (configType === MEDIA_IMAGE_CONFIG && !configJson.has(CONFIG_KEY)) {
    throw new ImageError(`${dir}: not an Amber checkpoint (its image config has no ${CONFIG_KEY})`);
  }
  const config = checkConfig(dir, configType === MEDIA_IMAGE_CONFIG ? configJson.get(CONFIG_KEY) : configJson);

  const hasCodec = (suffix: string): boolean => anyCodec || store.codecs?.has(suffix.slice(1)) === true;
  const { payloads, patches } = groupLayers(manifest.get('layers').array(), hasCodec);
  return { dir, manifestDigest: `sha256:${index.hex}`, config, annotations: manifest.get('annotations').strings(), payloads, patches };
}

/** The codecs image dir's layers are compressed with ("gzip", "zstd"), so a caller can load them first. */
export function imageCodecs(store: ImageStore, path: string): Set<string> {
  const out = new Set<string>();
  for (const l of allLayers(openImage(store, path, true))) if (l.codec !== null) out.add(l.codec);
  return out;
}
