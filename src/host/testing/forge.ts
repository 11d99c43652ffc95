// Forging a checkpoint image as an attacker who knows the format would (issue 12, "images that lie"):
// a payload's bytes or the config replaced, and every digest that names them recomputed (the new blob,
// its layer, the config's diff_ids, the manifest, index.json), so nothing but the content is wrong and
// only the decoders stand between the forgery and a running pod. Node is used freely (tests only).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { applyPatch, decodePatch } from '../../image/patch.js';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

const NAME = 'org.amber.name';
const PATCH = 'org.amber.patch';

const hexOf = (d: string): string => d.slice('sha256:'.length);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** An image opened for forging: JSON documents as plain objects, payloads as bytes. */
export class Forgery {
  readonly dir: string;
  readonly index: { manifests: Descriptor[]; [k: string]: unknown };
  readonly manifest: { config: Descriptor; layers: Descriptor[]; [k: string]: unknown };
  /** The config blob (an OCI image config holding Amber's checkpoint config). */
  config: Record<string, unknown>;

  constructor(dir: string) {
    this.dir = dir;
    this.index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Forgery['index'];
    const desc = this.index.manifests[0];
    if (desc === undefined) throw new Error(`${dir}: index.json lists no manifest`);
    this.manifest = JSON.parse(new TextDecoder().decode(this.#blob(desc.digest))) as Forgery['manifest'];
    this.config = JSON.parse(new TextDecoder().decode(this.#blob(this.manifest.config.digest))) as Record<string, unknown>;
  }

  #blob(digest: string): Uint8Array {
    return readFileSync(join(this.dir, 'blobs', 'sha256', hexOf(digest)));
  }

  #put(bytes: Uint8Array): { digest: string; size: number } {
    const hex = sha(bytes);
    writeFileSync(join(this.dir, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  }

  /** Payload names in manifest order. */
  names(): string[] {
    return [...new Set(this.manifest.layers.map((l) => l.annotations?.[NAME] ?? ''))];
  }

  /** A payload's bytes, parts joined, decompressed, its patches (image/patch.ts) laid over them. */
  payload(name: string): Uint8Array {
    const layers = this.manifest.layers.filter((l) => l.annotations?.[NAME] === name);
    const bytes = (l: Descriptor): Uint8Array => {
      const b = this.#blob(l.digest);
      return l.mediaType.endsWith('+br') ? new Uint8Array(brotliDecompressSync(b)) : b;
    };
    const whole = new Uint8Array(Buffer.concat(layers.filter((l) => l.annotations?.[PATCH] === undefined).map(bytes)));
    for (const l of layers) if (l.annotations?.[PATCH] !== undefined) applyPatch(whole, decodePatch(bytes(l), whole.length, l.digest));
    return whole;
  }

  /** Replaces a payload by bytes, as one uncompressed layer where its first part was (keeping its other annotations). */
  setPayload(name: string, bytes: Uint8Array): void {
    const at = this.manifest.layers.findIndex((l) => l.annotations?.[NAME] === name);
    if (at < 0) throw new Error(`no payload ${name}`);
    const first = this.manifest.layers[at] as Descriptor;
    const annotations = { ...first.annotations };
    delete annotations['org.amber.part'];
    delete annotations['org.amber.size'];
    delete annotations['org.amber.content'];
    const layer: Descriptor = { ...first, mediaType: first.mediaType.replace(/\+[a-z0-9]+$/, ''), ...this.#put(bytes), annotations };
    this.manifest.layers = this.manifest.layers.filter((l) => l.annotations?.[NAME] !== name);
    this.manifest.layers.splice(at, 0, layer);
  }

  /** Amber's checkpoint config inside the OCI config. */
  get checkpoint(): Record<string, unknown> {
    return (this.config['org.amber.checkpoint'] ?? {}) as Record<string, unknown>;
  }

  /** Writes the config, the manifest and index.json again, every digest recomputed. */
  write(): void {
    const rootfs = this.config['rootfs'] as { diff_ids?: unknown } | undefined;
    if (rootfs !== undefined && typeof rootfs === 'object' && rootfs !== null && Array.isArray(rootfs.diff_ids)) {
      rootfs.diff_ids = this.manifest.layers.map((l) => `sha256:${sha(this.#uncompressed(l))}`);
    }
    Object.assign(this.manifest.config, this.#put(new TextEncoder().encode(JSON.stringify(this.config))));
    const desc = this.index.manifests[0] as Descriptor;
    Object.assign(desc, this.#put(new TextEncoder().encode(JSON.stringify(this.manifest))));
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify(this.index));
  }

  /** A layer's uncompressed bytes, for its diff_id; a layer forged past reading keeps no diff_id of its own. */
  #uncompressed(l: Descriptor): Uint8Array {
    if (typeof l.digest !== 'string') return new Uint8Array(0);
    const b = this.#blob(l.digest);
    return typeof l.mediaType === 'string' && l.mediaType.endsWith('+br') ? new Uint8Array(brotliDecompressSync(b)) : b;
  }
}
