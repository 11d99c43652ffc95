// What a restore starts from, like runsc restore's checks before it boots: the image opened (its layout,
// manifest and config checked; its blobs verified as they are read), the spec it restores into (the one
// it holds, or a manifest whose containers and volumes match it by name), and the host directory each
// hostPath volume is bound to now (the old one unless overridden). The image is only read, never written.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { readImage, type CheckpointImage } from '../image/reader.js';
import { fullImageStore, NodeImageStore, recoverImageDir, verifiedDir } from '../host/imagestore.js';
import { allLayers, openImage as openLayout } from '../image/manifest.js';
import type { ContainerSpec, PodSpec } from '../runtime/spec/podspec.js';
import { savedSpecOf } from '../runtime/spec/saved.js';
import { AmberError } from '../base/error.js';

export interface RestorePlan {
  image: CheckpointImage;
  spec: PodSpec;
  /** hostPath volume name → the host directory it is bound to now. */
  volumes: Record<string, string>;
  /** What was cleaned beside the image path first (leftovers of checkpoints whose process died), one line each. */
  recovered: string[];
}

export interface OpenOptions {
  /** Check the layout, index, manifest and config only; each blob is read and verified when first used
   *  (a detached restore: its sandbox reads every blob, and reports a damaged one back as one line). */
  lazy?: boolean;
  /** Told of blob bytes read and verified so far. */
  onProgress?: (done: number, total: number) => void;
  /** Hash every blob, even a memory part the records of verified blobs vouch for (`restore --verify`). */
  verify?: boolean;
}

export async function openImage(dir: string, options: OpenOptions = {}): Promise<CheckpointImage> {
  const abs = resolve(dir);
  if (!existsSync(abs)) {
    // The image layer's words, which name an image an interrupted checkpoint set aside, for the path as given.
    try {
      openLayout(new NodeImageStore(), abs);
    } catch (e) {
      if (e instanceof AmberError) throw new AmberError(e.line.replace(abs, dir), { cause: e });
      throw e;
    }
  }
  // Opened once (its layout, index, manifest and config read and checked), by a store with no codec but
  // gzip: zstd's WebAssembly is loaded only for an image whose layers need it. An image with a codec no
  // store has is opened again by readImage, which refuses it naming the codec.
  // Memory parts whose files this user's Amber wrote or hashed before, unmodified since, are read unhashed
  // (host/blobrecords.ts), unless verify.
  const records = options.verify === true ? {} : { verified: verifiedDir() };
  const plain = new NodeImageStore(records);
  const opened = openLayout(plain, abs, true);
  const codecs = new Set(allLayers(opened).flatMap((l) => (l.codec === null ? [] : [l.codec])));
  const store = codecs.has('zstd') ? await fullImageStore(records) : plain;
  const known = [...codecs].every((c) => store.codecs.has(c));
  return readImage(store, abs, known ? { ...options, opened } : options);
}

function sameNames(what: string, a: readonly string[], b: readonly string[], specFile: string): void {
  const missing = a.filter((n) => !b.includes(n));
  const extra = b.filter((n) => !a.includes(n));
  if (missing.length > 0) throw new AmberError(`${specFile}: the image has ${what} ${missing.join(', ')}, which the spec does not`);
  if (extra.length > 0) throw new AmberError(`${specFile}: the spec has ${what} ${extra.join(', ')}, which the image does not`);
}

/** A spec to restore into instead of the image's (`restore --spec FILE`): loaded from file by the client. */
export interface SpecOverride {
  file: string;
  spec: PodSpec;
}

export interface PlanOptions extends OpenOptions {
  /** A pod spec to restore into instead of the image's; its containers and volumes match the image's by name. */
  spec?: SpecOverride;
  /** hostPath volume name → another host directory to bind it to (`restore --volume NAME=HOSTDIR`). */
  volumes?: Readonly<Record<string, string>>;
  /** Containers (matched by name) to restore as these specs say: runc restore's new bundle. */
  replace?: readonly ContainerSpec[];
  /** The image at imagePath, opened already (sandbox/restoreearly.ts): used unless cleaning leftovers
   *  beside it changed the path (then it is opened anew). */
  image?: CheckpointImage;
}

/** The image, the spec it restores into, and where each hostPath volume now lives. */
export async function planRestore(imagePath: string, options: PlanOptions = {}): Promise<RestorePlan> {
  // A checkpoint of this path whose sandbox died may have left its image set aside (image/recover.ts).
  const recovered = await recoverImageDir(imagePath);
  const image = options.image !== undefined && recovered.length === 0 ? options.image : await openImage(imagePath, options);
  const saved = savedSpecOf(image.config.meta, image.dir);
  if (saved === undefined) throw new AmberError(`${imagePath}: the image holds no pod spec`);
  let spec = saved;
  if (options.spec !== undefined) {
    // Parsed by the client (client/restorespec.ts): spec parsing (zod, yaml) is no part of a sandbox.
    const { file } = options.spec;
    spec = options.spec.spec;
    sameNames('container', saved.containers.map((c) => c.name), spec.containers.map((c) => c.name), file);
    sameNames('volume', saved.volumes.map((v) => v.name), spec.volumes.map((v) => v.name), file);
  }
  if (options.replace !== undefined) spec = replaceContainers(spec, options.replace);
  const volumes: Record<string, string> = {};
  for (const v of spec.volumes) if (v.kind === 'hostPath') volumes[v.name] = v.hostPath;
  for (const [name, dir] of Object.entries(options.volumes ?? {})) {
    if (!(name in volumes)) throw new AmberError(`--volume ${name}=${dir}: the pod has no hostPath volume named ${name}`);
    volumes[name] = resolve(dir);
  }
  for (const [name, dir] of Object.entries(volumes)) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new AmberError(`volume ${name}: host directory ${dir} does not exist`);
  }
  return { image, spec, volumes, recovered };
}

function replaceContainers(spec: PodSpec, replace: readonly ContainerSpec[]): PodSpec {
  const by = new Map(replace.map((c) => [c.name, c]));
  return { ...spec, containers: spec.containers.map((c) => by.get(c.name) ?? c) };
}

/** The plan with containers (matched by name) restored as these specs say: runc restore's later bundles. */
export function withContainers(plan: RestorePlan, replace: readonly ContainerSpec[]): RestorePlan {
  return { ...plan, spec: replaceContainers(plan.spec, replace) };
}
