// The sandbox's half of `amber checkpoint`: with the scheduler paused, the pod's cut becomes payloads
// (runtime/checkpoint.ts) and an OCI-layout image (image/), written beside the target and renamed in.
import { NodeImageStore } from '../host/imagestore.js';
import { ImageError } from '../image/error.js';
import { writeImage } from '../image/writer.js';
import { checkpointPayloads } from '../runtime/checkpoint.js';
import { amberRegistry } from './registry.js';
import type { RunningPod } from './podrun.js';

export interface CheckpointRequest {
  id: string;
  source: string;
  imagePath: string;
  parentPath?: string;
}

export function writeCheckpoint(running: RunningPod, req: CheckpointRequest): { bytes: number; ms: number } {
  const t0 = performance.now();
  const hashes = new Map([...running.modules].map(([name, m]) => [name, m.hash]));
  const payloads = checkpointPayloads(running.pod, running.scheduler, running.tasks, hashes, amberRegistry());
  try {
    const r = writeImage(new NodeImageStore(), req.imagePath, { podId: req.id, meta: { spec: running.spec, source: req.source }, payloads }, req.parentPath !== undefined ? { parent: req.parentPath } : {});
    return { bytes: r.payloadBytes, ms: Math.round(performance.now() - t0) };
  } catch (e) {
    if (e instanceof ImageError) throw new Error(e.message);
    throw e;
  }
}
