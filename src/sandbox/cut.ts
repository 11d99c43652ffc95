// A checkpoint of the pod this sandbox runs, like runsc's checkpoint (kernel.SaveTo): the scheduler paused
// for one consistent cut, which becomes payloads (runtime/checkpoint.ts; with --leave-running each
// program's memory is copied into buffers faulted in beforehand, so the pod runs again at once); then an
// OCI-layout image (image/) written from them, beside the target and renamed in, with the checkpoint
// annotations (runtime/annotations.ts) and its stats (pause, cut, write, bytes) in its config.
import { hostFacts } from '../host/hostfacts.js';
import { NodeImageStore } from '../host/imagestore.js';
import type { Payload } from '../image/payload.js';
import { writeImage, type WriteStats } from '../image/writer.js';
import { checkpointAnnotations } from '../runtime/annotations.js';
import { checkpointPayloads, prepareSnapshots } from '../runtime/checkpoint.js';
import { amberRegistry } from './bindings.js';
import type { CheckpointResult } from './protocol.js';
import type { RunningPod } from './running.js';

export interface CutRequest {
  /** The pod's id and where it came from (a manifest, bundle or image), recorded in the image. */
  id: string;
  source: string;
  imagePath: string;
  leaveRunning: boolean;
  parentPath?: string;
  /** Told of payload bytes stored so far out of their total. */
  onProgress?: (done: number, total: number) => void;
  /** Why no cut can be taken now (an exec under way), asked once the pod is paused; null if it can. */
  busy(): string | null;
}

export interface CutResult extends CheckpointResult {
  /** How long making the snapshot buffers took, before the pause. */
  prepareMs: number;
}

/**
 * The cut of a paused pod. With snapshots (prepareSnapshots') each program's memory is copied, so the
 * payloads stay valid once the scheduler is unpaused; without, they are views of live memory.
 */
function takeCut(running: RunningPod, snapshots?: ReadonlyMap<string, Uint8Array>): Payload[] {
  return checkpointPayloads(running.pod, running.scheduler, running.tasks, running.modules, amberRegistry(), snapshots === undefined ? {} : { copyMemory: true, snapshots });
}

/** How the checkpoint went before the image was written: its start, and the prepare, pause and cut. */
interface CutTiming {
  start: number;
  prepareMs: number;
  /** null: the pod stays stopped. */
  pauseMs: number | null;
  cutMs: number;
}

const ms1 = (ms: number): number => Math.round(ms * 10) / 10;

/** The image config's stats (checkpointctl's dump statistics, in Amber's terms), once the payloads are stored. */
function cutStats(timing: CutTiming, w: WriteStats): Record<string, number | null> {
  return {
    prepareMs: ms1(timing.prepareMs),
    pauseMs: timing.pauseMs,
    cutMs: ms1(timing.cutMs),
    writeMs: ms1(w.ms),
    totalMs: ms1(performance.now() - timing.start),
    bytesScanned: w.payloadBytes,
    bytesWritten: w.written,
    bytesReused: w.reused,
    blobs: w.blobs,
  };
}

/** Writes the cut as an image; ms is the time the write took. */
async function writeCut(running: RunningPod, payloads: Payload[], req: CutRequest, timing: CutTiming): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  const contents = {
    podId: req.id,
    meta: { spec: running.spec, source: req.source },
    annotations: checkpointAnnotations(req.id, running.spec, hostFacts()),
    stats: (w: WriteStats) => cutStats(timing, w),
    payloads,
  };
  const r = await writeImage(new NodeImageStore(), req.imagePath, contents, {
    ...(req.parentPath !== undefined ? { parent: req.parentPath } : {}),
    ...(req.onProgress !== undefined ? { onProgress: req.onProgress } : {}),
  });
  return { bytes: r.payloadBytes, ms: Math.round(performance.now() - t0) };
}

/**
 * One checkpoint: the scheduler paused for the cut alone when the pod is left running (its memory copied
 * into buffers made beforehand, then unpaused before the image is written), else paused for good.
 * pauseMs is how long the pod's processes could not run, from asking the scheduler to pause to unpausing
 * it; null when it stays stopped. A failure leaves the pod running and any earlier image at imagePath whole.
 */
export async function checkpointRunning(running: RunningPod, req: CutRequest): Promise<CutResult> {
  const tp = performance.now();
  const snapshots = req.leaveRunning ? await prepareSnapshots(running.tasks) : undefined;
  const t0 = performance.now();
  const prepareMs = Math.round(t0 - tp);
  await running.scheduler.pause();
  let pauseMs: number | null = null;
  try {
    const why = req.busy();
    if (why !== null) throw new Error(why);
    const payloads = takeCut(running, snapshots);
    const cutMs = performance.now() - t0;
    if (req.leaveRunning) {
      running.scheduler.unpause();
      pauseMs = ms1(performance.now() - t0);
    }
    return { ...await writeCut(running, payloads, req, { start: tp, prepareMs, pauseMs, cutMs }), pauseMs, prepareMs };
  } catch (e) {
    if (pauseMs === null) running.scheduler.unpause();
    throw e;
  }
}
