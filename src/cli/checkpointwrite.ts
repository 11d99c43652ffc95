// The sandbox's half of `amber checkpoint`, in two steps: with the scheduler paused, the pod's cut becomes
// payloads (runtime/checkpoint.ts; with --leave-running each program's memory is copied, so the pod can
// run again at once); then an OCI-layout image (image/) is written from them, beside the target and
// renamed in. Only the first step needs the pod stopped.
import { NodeImageStore } from '../host/imagestore.js';
import type { Payload } from '../image/payload.js';
import { writeImage } from '../image/writer.js';
import { checkpointPayloads, prepareSnapshots } from '../runtime/checkpoint.js';
import { amberRegistry } from './registry.js';
import type { RunningPod } from './podrun.js';

export interface CheckpointRequest {
  id: string;
  source: string;
  imagePath: string;
  parentPath?: string;
  /** Told of payload bytes stored so far out of their total. */
  onProgress?: (done: number, total: number) => void;
}

/** What a cut that leaves the pod running copies memory into: made before the pause, while the pod runs. */
export function prepareCut(running: RunningPod): Promise<Map<string, Uint8Array>> {
  return prepareSnapshots(running.tasks);
}

/**
 * The cut of a paused pod. With snapshots (prepareCut's) each program's memory is copied, so the payloads
 * stay valid once the scheduler is unpaused; without, they are views of live memory.
 */
export function takeCut(running: RunningPod, snapshots?: ReadonlyMap<string, Uint8Array>): Payload[] {
  const hashes = new Map([...running.modules].map(([name, m]) => [name, m.hash]));
  return checkpointPayloads(running.pod, running.scheduler, running.tasks, hashes, amberRegistry(), snapshots === undefined ? {} : { copyMemory: true, snapshots });
}

/** Writes the cut as an image; ms is the time the write took. */
export async function writeCheckpoint(running: RunningPod, payloads: Payload[], req: CheckpointRequest): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  const r = await writeImage(new NodeImageStore(), req.imagePath, { podId: req.id, meta: { spec: running.spec, source: req.source }, payloads }, {
    ...(req.parentPath !== undefined ? { parent: req.parentPath } : {}),
    ...(req.onProgress !== undefined ? { onProgress: req.onProgress } : {}),
  });
  return { bytes: r.payloadBytes, ms: Math.round(performance.now() - t0) };
}
