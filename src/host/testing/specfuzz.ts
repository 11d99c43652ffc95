// One hostile spec taken the whole way a `pod run` or `run --bundle` takes it, in this process: the file
// read and parsed (host/specfile), the host paths checked, the pod's kernel objects built over real host
// directories, and its kernel graph saved as a checkpoint would save it. The outcome is what issue 12
// asks of every bad spec: accepted (and then sound), or refused with one line naming the file; anything
// else (a stack trace, a spec accepted wrongly) is reported with what happened.
import { mkdirSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AmberError, messageOf } from '../../base/error.js';
import { hostdirSavables } from '../../fsimpl/hostdir/checkpoint.js';
import { PodKernel, type PodHost } from '../../runtime/pod.js';
import { podRegistry } from '../../runtime/registry.js';
import type { PodSpec } from '../../runtime/spec/podspec.js';
import type { GeneratedSpec, HostLayout } from '../../runtime/spec/testing/specgen.js';
import { MAX_SIZE_BYTES } from '../../runtime/spec/units.js';
import { encodeGraph, serialize } from '../../state/index.js';
import type { Filesystem } from '../../vfs/filesystem.js';
import { NodeClock, NodeRandom } from '../clock.js';
import { openHostDirFs } from '../hostdir_mount.js';
import { loadBundle, loadPodManifest } from '../specfile.js';
import { NullStream } from '../streams.js';

export type Outcome =
  | { kind: 'accepted' }
  | { kind: 'refused'; line: string }
  | { kind: 'other'; what: string };

/** A scratch folder laid out for the generators: a directory, a file, a FIFO, a module, a bundle. */
export interface FuzzPlace {
  layout: HostLayout;
  /** Where a manifest is written (its directory holds m.wasm, which `image: m.wasm` names). */
  manifest: string;
  /** A bundle whose rootfs holds m.wasm, dev/ and proc/; config.json is written for each spec. */
  bundle: string;
}

/** Lays the folder out; module is a guest .wasm to copy in. */
export function makeFuzzPlace(dir: string, module: string): FuzzPlace {
  const layout: HostLayout = {
    dir: join(dir, 'hostdir'),
    file: join(dir, 'afile'),
    fifo: join(dir, 'afifo'),
    missing: join(dir, 'missing'),
    module: join(dir, 'm.wasm'),
  };
  mkdirSync(join(layout.dir, 'sub'), { recursive: true });
  writeFileSync(layout.file, 'a file\n');
  if (!existsSync(layout.fifo)) execFileSync('mkfifo', [layout.fifo]);
  copyFileSync(module, layout.module);
  const bundle = join(dir, 'bundle');
  for (const d of ['dev', 'proc', 'tmp']) mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
  copyFileSync(module, join(bundle, 'rootfs', 'm.wasm'));
  return { layout, manifest: join(dir, 'pod.yaml'), bundle };
}

/** What is wrong with a spec that was accepted, or null: what every accepted spec must hold. */
export function unsound(spec: PodSpec, text: string): string | null {
  if (JSON.stringify(spec).includes('\\u0000')) return 'a NUL reached the spec';
  for (const v of spec.volumes) if (v.kind === 'emptyDir' && (v.sizeBytes ?? 0) > MAX_SIZE_BYTES) return `volume ${v.name}: size ${v.sizeBytes}`;
  for (const c of spec.containers) {
    for (const m of c.mounts) if (m.source.kind === 'tmpfs' && (m.source.sizeBytes ?? 0) > MAX_SIZE_BYTES) return `${m.destination}: size ${m.source.sizeBytes}`;
  }
  for (const m of [...spec.idMappings.uid, ...spec.idMappings.gid]) {
    if (m.size < 1 || m.containerID + m.size > 2 ** 32 || m.hostID + m.size > 2 ** 32) return `id mapping ${JSON.stringify(m)}`;
  }
  if (hasProtoKey(text)) return 'a __proto__ key was accepted';
  return null;
}

function hasProtoKey(text: string): boolean {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch {
    return false;
  }
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || typeof v !== 'object' || seen.has(v) || depth > 200) return false;
    seen.add(v);
    if (!Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
    return Object.values(v).some((x) => walk(x, depth + 1));
  };
  return walk(doc, 0);
}

/**
 * Builds the spec's pod over real host directories (throwing what the build throws), saves its kernel
 * graph (a failure is returned: an accepted spec whose checkpoints would all fail), and releases what it
 * opened.
 */
function buildAndSave(spec: PodSpec): string | null {
  const opened: Filesystem[] = [];
  const host: PodHost = {
    clock: new NodeClock(),
    random: new NodeRandom(),
    hostDir: (kernel, hostPath, readOnly, key) => {
      const fs = openHostDirFs(kernel, hostPath, readOnly, key);
      opened.push(fs);
      return fs;
    },
    stdio: () => [new NullStream(), new NullStream(), new NullStream()],
  };
  try {
    const pod = PodKernel.build(spec, host);
    try {
      serialize(encodeGraph(podRegistry(hostdirSavables()), pod));
    } catch (e) {
      return `its checkpoint fails: ${messageOf(e)}`;
    }
    return null;
  } finally {
    for (const fs of opened) fs.release();
  }
}

/** Takes g the whole way; never throws. */
export function trySpec(place: FuzzPlace, g: GeneratedSpec): Outcome {
  let spec: PodSpec;
  let saved: string | null;
  try {
    if (g.kind === 'pod') {
      writeFileSync(place.manifest, g.text);
      spec = loadPodManifest(place.manifest);
    } else {
      writeFileSync(join(place.bundle, 'config.json'), g.text);
      spec = loadBundle(place.bundle, 'fuzz');
    }
    saved = buildAndSave(spec);
  } catch (e) {
    if (e instanceof AmberError && !e.message.includes('\n') && e.message !== '') return { kind: 'refused', line: e.message };
    const stack = e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 3).join(' | ') : String(e);
    return { kind: 'other', what: `threw ${stack}` };
  }
  const bad = saved ?? unsound(spec, g.text);
  return bad === null ? { kind: 'accepted' } : { kind: 'other', what: `accepted wrongly: ${bad}` };
}

/** Removes what trySpec may have made in the place (DirectoryOrCreate folders) besides the layout. */
export function resetFuzzPlace(place: FuzzPlace): void {
  rmSync(place.layout.missing, { recursive: true, force: true });
}
