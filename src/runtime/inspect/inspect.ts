// inspectImage: a checkpoint image summarized as checkpointctl summarizes a CRIU or Podman checkpoint, its
// identity, spec, each container's program state, volumes and payloads, and on request the pod view
// (podview.ts) of its kernel graph. Pure: the caller opens the image and measures its size on disk; the
// kernel graph is read as records (state/view.ts) and nothing outside the image is touched.
import type { CheckpointImage } from '../../image/reader.js';
import { GraphReadError, viewGraph, type GraphView, type Registry } from '../../state/index.js';
import { readPrograms, type ProgramRecord } from '../programs.js';
import type { PodSpec } from '../spec/podspec.js';
import { savedSpecOf } from '../spec/saved.js';
import { InspectError, type ContainerInfo, type InspectOptions, type Inspection, type PayloadInfo, type VolumeInfo } from './inspection.js';
import { PodView } from './podview.js';
import { programState } from './progstate.js';
import { messageOf } from '../../base/error.js';

function containerInfo(spec: PodSpec | undefined, r: ProgramRecord, monotonicNs: string): ContainerInfo {
  const c = spec?.containers.find((s) => s.name === r.container);
  return { name: r.container, module: c?.module ?? '', moduleHash: r.moduleHash, args: c?.argv ?? [], env: c?.env ?? [], ...programState(r, monotonicNs) };
}

function volumeInfo(v: PodSpec['volumes'][number]): VolumeInfo {
  if (v.kind === 'hostPath') return { name: v.name, kind: 'hostPath', hostPath: v.hostPath };
  return { name: v.name, kind: 'emptyDir', ...(v.medium !== undefined ? { medium: v.medium } : {}), ...(v.sizeBytes !== undefined ? { sizeBytes: v.sizeBytes } : {}) };
}

/** Everything inspect shows; `onDisk` is the image's bytes on disk (the caller stats the files). */
export function inspectImage(image: CheckpointImage, onDisk: number, registry: Registry, opts: InspectOptions): Inspection {
  const spec = savedSpecOf(image.config.meta, image.dir);
  const source = image.config.meta['source'];
  const programs = readPrograms(image);
  const payloads = image.names().map((name): PayloadInfo => ({ name, kind: image.kind(name), bytes: image.size(name), parts: image.parts(name).length, patches: image.patches(name) }));
  const out: Inspection = {
    image: image.dir,
    podId: image.config.podId,
    created: image.config.created,
    format: { name: image.config.format, version: image.config.version, programs: programs.version },
    manifestDigest: image.manifestDigest,
    size: { onDisk, payloads: payloads.reduce((n, p) => n + p.bytes, 0) },
    specFile: typeof source === 'string' ? source : (spec?.file ?? null),
    specFormat: spec?.format ?? null,
    userns: spec?.userns === true,
    containers: programs.programs.map((r) => containerInfo(spec, r, programs.monotonicNs)),
    volumes: (spec?.volumes ?? []).map(volumeInfo),
    payloads,
    metadata: spec?.metadata ?? null,
    annotations: { ...image.annotations },
    stats: image.config.stats ?? null,
  };
  if (!opts.psTree && !opts.mounts && !opts.files) return out;

  const { pod, kernelVersion } = openPodView(image, registry);
  out.format.kernel = kernelVersion;
  readingKernel(image, () => {
    if (opts.psTree) out.processes = pod.processes();
    if (opts.mounts) out.mounts = pod.mountTrees();
    if (opts.files) out.files = pod.files();
  });
  return out;
}

/** fn(), a damaged kernel graph it meets reported as one line naming the image's "kernel" payload. */
export function readingKernel<T>(image: CheckpointImage, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GraphReadError) throw new InspectError(`${image.dir}: payload "kernel": ${e.message}`);
    throw e;
  }
}

/** The pod in the image's kernel graph, read as records (nothing restored), and the graph's version. */
export function openPodView(image: CheckpointImage, registry: Registry): { pod: PodView; kernelVersion: number } {
  let view: GraphView;
  try {
    view = viewGraph(registry, image.payload('kernel'));
  } catch (e) {
    throw new InspectError(`${image.dir}: payload "kernel": ${messageOf(e)}`);
  }
  const spec = image.config.meta['spec'] as PodSpec | undefined;
  return { pod: readingKernel(image, () => new PodView(view, spec, readPrograms(image))), kernelVersion: view.graph.header.version };
}
