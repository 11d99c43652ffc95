// A checkpoint of the pod this sandbox runs, like runsc's checkpoint (kernel.SaveTo): the scheduler paused
// for one consistent cut, which becomes payloads (runtime/checkpoint.ts; with --leave-running each
// program's memory is copied into buffers faulted in beforehand, or kept from the last cut, so the pod runs
// again at once; a write-tracked program's is pre-copied instead, left running or not, as live migration
// does: staged into the image from live memory while the pod runs, then only what it wrote meanwhile taken
// at the pause, runtime/precopy.ts); then an OCI-layout image (image/) written from them, beside the target and renamed
// in, with the checkpoint annotations (runtime/annotations.ts) and its stats (pause, cut, write, bytes) in
// its config. A pod checkpointed before with --leave-running is cut incrementally (LastCut).
import { resolve } from 'node:path';
import { CutThread, cutThreadWanted } from '../host/cutthread.js';
import { hostFacts } from '../host/hostfacts.js';
import { imageStoreFor, recoverImageDir, verifiedDir } from '../host/imagestore.js';
import type { Payload, StagedPayload } from '../image/payload.js';
import type { ImageStore } from '../image/store.js';
import { dropStaging, stageBytes, stagedWritten, stageImage, stageLink, writeImage, type Staging, type WriteResult, type WriteStats } from '../image/writer.js';
import { checkpointAnnotations, type HostFacts } from '../runtime/annotations.js';
import { checkpointPayloads } from '../runtime/checkpoint.js';
import { keptAfter, MEMORY_PART, prepareSnapshots, type KeptMemory } from '../runtime/memorycut.js';
import { preCopyBegin, runPreCopy, type PreCopy, type PreCopySink, type PreCopyStats, type TrackedKept } from '../runtime/precopy.js';
import type { Task } from '../wasi/scheduler.js';
import { amberRegistry } from './bindings.js';
import type { CheckpointResult } from './protocol.js';
import type { RunningPod } from './running.js';

/**
 * What a checkpoint that left the pod running keeps for the next one (CRIU's pre-dump and incremental
 * dumps keep the previous pages the same way): the image it wrote, each program's memory as cut with
 * each part's digest, and the identity of every blob it wrote or linked. The next cut compares memory
 * with it (no hashing of what did not change), writes only changed parts, and links the rest from that
 * image, without reading it, as long as those blobs are still the very files it wrote.
 */
export interface LastCut {
  readonly image: string;
  readonly memory: ReadonlyMap<string, KeptMemory>;
  /** Of each tracked program pre-copied: digests and page numbers, no bytes (runtime/precopy.ts). */
  readonly tracked: ReadonlyMap<string, TrackedKept>;
  /** The image's raw blobs (by hex: their size): the next pre-copy links from it without opening it. */
  readonly rawBlobs: ReadonlyMap<string, number>;
  readonly identities: ReadonlyMap<string, string>;
}

export interface CutRequest {
  /** The pod's id and where it came from (a manifest, bundle or image), recorded in the image. */
  id: string;
  source: string;
  imagePath: string;
  leaveRunning: boolean;
  /** An earlier image whose blobs are reused; absent, the last cut's image, if there is one still. */
  parentPath?: string;
  /** What the last checkpoint of this pod that left it running kept, if any. */
  last: LastCut | null;
  /** The sandbox's kept helper thread (CutThread.keep), if it has one; else the cut starts its own. */
  helper?: CutThread;
  /** The codec to compress blobs with ("gzip", "zstd"); none when absent. */
  compress?: string;
  /** The host facts the image records (host/hostfacts.ts), as the sandbox learnt them once; absent, read now. */
  host?: HostFacts;
  /** Told of payload bytes stored so far out of their total. */
  onProgress?: (done: number, total: number) => void;
  /** Why no cut can be taken now (an exec under way), asked once the pod is paused; null if it can. */
  busy(): string | null;
  /** Tests: awaited between two parts of a pre-copy (the guest runs meanwhile), and called at the pause
   *  once the cut is taken. */
  hooks?: { betweenParts?: () => Promise<void>; atCut?: () => void };
}

export interface CutResult extends CheckpointResult {
  /** How long making the snapshot buffers and the pre-copy took, before the pause. */
  prepareMs: number;
  /** How long a pass begun before its request (earlycut.ts) waited for it once done. */
  waitMs: number;
  /** Whether memory was pre-copied (of a tracked program), not copied into snapshot buffers. */
  preCopied: boolean;
  /** What the pre-copy did with the memory parts, if there was one. */
  preCopy: PreCopyStats | null;
  /** Memory parts that changed since the last cut (all non-zero parts without one). */
  changedParts: number;
  /** Whether a helper thread faulted in snapshots and hashed parts beside the sandbox's (host/cutthread.ts). */
  helperThread: boolean;
  /** What to keep for the next checkpoint: null unless the pod was left running. */
  next: LastCut | null;
  /** Settles once the image is on stable storage (and the one it replaced removed), with any warnings. */
  flushed: Promise<string[]>;
}

/** Node's memcmp, for comparing memory parts with the last cut's. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * The cut of a paused pod. With snapshots (prepareSnapshots') each program's memory is copied, so the
 * payloads stay valid once the scheduler is unpaused; without, they are views of live memory. Parts the
 * same as in the last cut carry its digests.
 */
function takeCut(running: RunningPod, snapshots: ReadonlyMap<string, Uint8Array> | undefined, precopied: ReadonlyMap<string, PreCopy>, trackedKept: Map<string, TrackedKept>, req: CutRequest, onChanged: () => void): (Payload | StagedPayload)[] {
  const last = req.last;
  return checkpointPayloads(running.pod, running.scheduler, running.tasks, running.modules, amberRegistry(), {
    ...(snapshots === undefined ? {} : { copyMemory: true, snapshots }),
    precopied,
    trackedKept,
    ...(last !== null ? { kept: last.memory } : {}),
    same,
    onChanged,
    // A parent other than the last cut's image: memory is compared as today (the write maps still cleared).
    ignoreWriteMaps: !mapsTrusted(req),
    checkWriteMaps: checkWanted(),
  });
}

/** Whether a write map may stand in for a compare with the last cut: the new image's parent is its image. */
export function mapsTrusted(req: Pick<CutRequest, 'last' | 'parentPath'>): boolean {
  return req.last !== null && (req.parentPath === undefined || resolve(req.parentPath) === resolve(req.last.image));
}

/** The write maps' debug check (tests): memorycut.ts WriteMap.check, precopy.ts PreCopyOptions.check. */
function checkWanted(): boolean {
  return process.env['AMBER_CHECK_WRITE_MAPS'] === '1';
}

/**
 * Whether a checkpoint pre-copies its tracked programs (runtime/precopy.ts): unless AMBER_PRECOPY=0 (A/B
 * figures), or its blobs are compressed (staged blobs are raw). One that stops the pod does too, as a
 * migration's pre-copy rounds precede its stop-and-copy: the pass hashes on two threads (this one and the
 * helper) while the pod runs on, and the pod stops for good at the pause, with only the pages written
 * meanwhile left to take (stopped first, all of it would be hashed here, on one thread, after the stop).
 */
function preCopyWanted(req: Pick<CutRequest, 'compress'>): boolean {
  return req.compress === undefined && process.env['AMBER_PRECOPY'] !== '0';
}

/** The pre-copy of each tracked program with memory to save, begun now (its write map read and cleared). */
function beginPreCopies(running: RunningPod, req: Pick<CutRequest, 'last' | 'parentPath'>): Map<string, PreCopy> {
  const kept = mapsTrusted(req) ? req.last?.tracked : undefined;
  const out = new Map<string, PreCopy>();
  for (const [name, t] of running.tasks) {
    const pc = preCopyBegin(name, t, kept?.get(name), { check: checkWanted(), same });
    if (pc !== null) out.set(name, pc);
  }
  return out;
}

/**
 * Where a pre-copy stores parts: the staged image, each part hashed and written on this thread (from live
 * memory, within one synchronous step: memory cannot change or grow under it), or copied into one of the
 * helper thread's slots for it to hash and write (never a view of live memory handed to another thread or
 * to an asynchronous write: the guest may write it, and memory.grow detaches its buffer, while either runs).
 */
function sinkOf(store: ImageStore, staging: Staging, helper: CutThread | undefined): PreCopySink {
  return {
    link: (hex) => stageLink(store, staging, hex),
    offload: (bytes) => {
      const size = bytes.length;
      return helper?.stage(bytes, staging.blobDir, MEMORY_PART)?.then((hex) => {
        if (!staging.linked.has(hex)) stagedWritten(staging, hex, size);
        return hex;
      }) ?? null;
    },
    put: (bytes) => stageBytes(store, staging, bytes),
  };
}

/** A progress callback that never goes back (the pre-copy's, then the writer's, which counts staged parts at once). */
function forwardOnly(onProgress: (done: number, total: number) => void): (done: number, total: number) => void {
  let share = 0;
  return (done, total) => {
    const now = total === 0 ? 1 : done / total;
    if (now < share) return;
    share = now;
    onProgress(done, total);
  };
}

/**
 * A zero part made when first asked for: a pass that links every part (an incremental cut) needs none, and
 * 4 MiB zeroed is ~1-4 ms of page faults (more on a loaded host), the costliest step such a pass had.
 */
function zeroPartOnce(): () => Uint8Array {
  let zero: Uint8Array | undefined;
  return () => (zero ??= new Uint8Array(MEMORY_PART));
}

/** The memory object of each program the cut is of, taken while the pod is paused: what the next cut's
 *  kept memory is tied to (a write map says nothing about another instance's memory). */
function memoriesOf(running: RunningPod): Map<string, object> {
  const out = new Map<string, object>();
  for (const [name, t] of running.tasks) out.set(name, t.fiber.memory);
  return out;
}


/** How the checkpoint went before the image was written: its start, and the prepare, pause and cut. */
interface CutTiming {
  start: number;
  prepareMs: number;
  /** Between the end of a pass begun early and the request (not in prepareMs, nor in totalMs). */
  waitMs: number;
  /** null: the pod stays stopped. */
  pauseMs: number | null;
  cutMs: number;
}

const ms1 = (ms: number): number => Math.round(ms * 10) / 10;

/** The image config's stats (checkpointctl's dump statistics, in Amber's terms), once the payloads are stored. */
function cutStats(timing: CutTiming, w: WriteStats): Record<string, number | null> {
  return {
    prepareMs: ms1(timing.prepareMs),
    waitMs: timing.waitMs,
    pauseMs: timing.pauseMs,
    cutMs: ms1(timing.cutMs),
    writeMs: ms1(w.ms),
    totalMs: ms1(performance.now() - timing.start - timing.waitMs),
    bytesScanned: w.payloadBytes,
    bytesWritten: w.written,
    bytesReused: w.reused,
    blobs: w.blobs,
  };
}

/** Writes the cut as an image (into staging, where the pre-copy staged its parts); ms is the time the write took. */
async function writeCut(running: RunningPod, payloads: (Payload | StagedPayload)[], req: CutRequest, timing: CutTiming, store: ImageStore, staging: Staging | undefined, onProgress: ((done: number, total: number) => void) | undefined): Promise<{ bytes: number; written: number; reused: number; ms: number; result: WriteResult }> {
  const t0 = performance.now();
  const contents = {
    podId: req.id,
    meta: { spec: running.spec, source: req.source },
    annotations: checkpointAnnotations(req.id, running.spec, req.host ?? hostFacts()),
    stats: (w: WriteStats) => cutStats(timing, w),
    payloads,
  };
  const r = await writeImage(store, req.imagePath, contents, {
    ...parentOf(req),
    ...(req.compress !== undefined ? { compress: req.compress } : {}),
    ...(onProgress !== undefined ? { onProgress } : {}),
    ...(staging !== undefined ? { staging } : {}),
    // The reply goes out once the image is complete and in place; its flush to disk follows (the image it
    // replaces is kept until then), so the disk's write-back is not part of the command.
    deferFlush: true,
  });
  return { bytes: r.payloadBytes, written: r.written, reused: r.reused, ms: Math.round(performance.now() - t0), result: r };
}

/** The parent: the one asked for, else the last cut's image if it can still be read; its blobs are linked
 *  or verified as stored, never decoded (no codec is loaded for them). */
function parentOf(req: Pick<CutRequest, 'last' | 'parentPath'>): { parent?: string; parentOptional?: boolean; parentIdentities?: ReadonlyMap<string, string> } {
  const parent = req.parentPath ?? req.last?.image;
  return {
    ...(parent !== undefined ? { parent, parentOptional: req.parentPath === undefined } : {}),
    ...(req.last !== null ? { parentIdentities: req.last.identities } : {}),
  };
}

/** What this cut keeps for the next: each program's snapshot as written, with its parts' digests and the
 *  pages patched over them; each pre-copied program's digests and patched pages (no bytes). */
function nextCut(snapshots: ReadonlyMap<string, Uint8Array>, tracked: ReadonlyMap<string, TrackedKept>, payloads: readonly (Payload | StagedPayload)[], result: WriteResult, last: LastCut | null, sources: ReadonlyMap<string, object>): LastCut {
  const memory = new Map<string, KeptMemory>();
  for (const [name, snapshot] of snapshots) memory.set(name, keptAfter(`memory/${name}`, snapshot, payloads, result.contentHexes, last?.memory.get(name), sources.get(name)));
  return { image: result.dir, memory, tracked, rawBlobs: result.rawBlobs, identities: result.identities };
}

/** The tasks whose memory goes to snapshot buffers: all but the pre-copied. */
function snapshotTasks(running: RunningPod, precopied: ReadonlyMap<string, PreCopy>): Map<string, Task> {
  const out = new Map<string, Task>();
  for (const [name, t] of running.tasks) if (!precopied.has(name)) out.set(name, t);
  return out;
}

/**
 * A cut begun: what it does before its pause (each tracked program's pre-copy pass, snapshot buffers for
 * the rest), done, with what the pause and the write go on with. It may have been begun before its request
 * arrived (sandbox/earlycut.ts): progress goes to whoever asks for it from then on.
 */
export interface BegunCut {
  /** When it was begun, and when its pass ended (performance.now()). */
  readonly begunAt: number;
  readonly passedAt: number;
  readonly store: ImageStore;
  readonly helper: CutThread | undefined;
  /** The image the pre-copy staged its parts into; undefined once dropped or finished, or without one. */
  staging: Staging | undefined;
  readonly precopied: ReadonlyMap<string, PreCopy>;
  readonly snapshots: ReadonlyMap<string, Uint8Array> | undefined;
  readonly preCopy: PreCopyStats | null;
  /** The progress callback the write goes on with (forward only, to the sink progressTo set). */
  readonly onProgress: (done: number, total: number) => void;
  /** Where progress goes from now on. */
  progressTo(sink: ((done: number, total: number) => void) | undefined): void;
}

/** What of a request the part of a cut before its pause depends on (beginCut). */
export type CutPlan = Pick<CutRequest, 'imagePath' | 'leaveRunning' | 'parentPath' | 'last' | 'helper' | 'compress' | 'onProgress' | 'hooks'>;

/**
 * The part of a checkpoint before its pause: an image left beside imagePath by a sandbox that died
 * recovered, the pre-copy of each tracked program (a checkpoint left running), snapshot buffers for the
 * others. A failure removes what it staged.
 */
export async function beginCut(running: RunningPod, req: CutPlan): Promise<BegunCut> {
  // A checkpoint of this path whose sandbox died may have left its image set aside (image/recover.ts).
  for (const line of await recoverImageDir(req.imagePath)) console.log(`checkpoint ${req.imagePath}: ${line}`);
  const begunAt = performance.now();
  const precopied = preCopyWanted(req) ? beginPreCopies(running, req) : new Map<string, PreCopy>();
  // A helper thread faults in the snapshots and hashes their parts beside this one, or hashes and writes
  // pre-copied parts copied into its slots.
  const helper = (req.leaveRunning || precopied.size > 0) && cutThreadWanted() ? (req.helper ?? new CutThread()) : undefined;
  // The blobs it writes are recorded as verified once flushed (host/blobrecords.ts): a restore reads them unhashed.
  const store = await imageStoreFor(req.compress, [], { verified: verifiedDir(), ...(helper !== undefined ? { cutThread: helper } : {}) });
  let sink = req.onProgress;
  const onProgress = forwardOnly((done, total) => sink?.(done, total));
  let staging: Staging | undefined;
  try {
    // Snapshot buffers first, then the pre-copy: the pause follows the pass at once (less to patch).
    const snapshots = req.leaveRunning ? await prepareSnapshots(snapshotTasks(running, precopied), req.last?.memory, helper) : undefined;
    let preCopy: PreCopyStats | null = null;
    if (precopied.size > 0) {
      staging = stageImage(store, req.imagePath, { ...parentOf(req), ...(req.last !== null ? { known: { dir: req.last.image, rawBlobs: req.last.rawBlobs } } : {}) });
      const pcs = [...precopied.values()];
      const total = pcs.reduce((n, pc) => n + pc.size, 0);
      let done = 0;
      preCopy = await runPreCopy(pcs, running.tasks, sinkOf(store, staging, helper), zeroPartOnce(), {
        onBytes: (n: number) => onProgress((done += n), total),
        ...(req.hooks?.betweenParts !== undefined ? { betweenParts: req.hooks.betweenParts } : {}),
        same,
      });
    }
    return { begunAt, passedAt: performance.now(), store, helper, staging, precopied, snapshots, preCopy, onProgress, progressTo: (s) => void (sink = s) };
  } catch (e) {
    if (staging !== undefined) dropStaging(store, staging);
    throw e;
  }
}

/** Drops a begun cut that will not be finished: what it staged is removed. */
export function dropCut(begun: BegunCut): void {
  if (begun.staging !== undefined) dropStaging(begun.store, begun.staging);
  begun.staging = undefined;
}

/**
 * One checkpoint: the scheduler paused for the cut alone when the pod is left running (its memory copied
 * into buffers made beforehand, or kept from the last cut, or a tracked program's pre-copied, then
 * unpaused before the image is written), else paused for good. pauseMs is how long the pod's processes
 * could not run, from asking the scheduler to pause to unpausing it; null when it stays stopped. A failure
 * leaves the pod running and any earlier image at imagePath whole (a staged image is removed).
 */
export async function checkpointRunning(running: RunningPod, req: CutRequest): Promise<CutResult> {
  return finishCut(running, await beginCut(running, req), req);
}

/**
 * The rest of a checkpoint once begun (beginCut, with the same plan as req's): the pause, the cut and
 * the image written. Time between the end of the pass and this call (a cut begun before its request
 * came: earlycut.ts) is waitMs, not counted in prepareMs.
 */
export async function finishCut(running: RunningPod, begun: BegunCut, req: CutRequest): Promise<CutResult> {
  const { store, helper, precopied, snapshots, preCopy } = begun;
  begun.progressTo(req.onProgress);
  const waitMs = ms1(Math.max(0, performance.now() - begun.passedAt));
  let paused = false;
  let pauseMs: number | null = null;
  try {
    const t0 = performance.now();
    const prepareMs = Math.round(t0 - begun.begunAt - waitMs);
    await running.scheduler.pause();
    paused = true;
    // A pre-copied program's parts written whole (its pages patched are not counted).
    let changedParts = preCopy === null ? 0 : preCopy.here + preCopy.offloaded;
    const why = req.busy();
    if (why !== null) throw new Error(why);
    const trackedKept = new Map<string, TrackedKept>();
    const payloads = takeCut(running, snapshots, precopied, trackedKept, req, () => changedParts++);
    req.hooks?.atCut?.();
    const sources = memoriesOf(running);
    const cutMs = performance.now() - t0;
    if (req.leaveRunning) {
      running.scheduler.unpause();
      paused = false;
      pauseMs = ms1(performance.now() - t0);
    }
    const { result, ...written } = await writeCut(running, payloads, req, { start: begun.begunAt, prepareMs, waitMs, pauseMs, cutMs }, store, begun.staging, begun.onProgress);
    begun.staging = undefined; // writeImage removed it, or renamed it into place
    const next = snapshots === undefined ? null : nextCut(snapshots, trackedKept, payloads, result, req.last, sources);
    return { ...written, pauseMs, prepareMs, waitMs, preCopied: precopied.size > 0, preCopy, changedParts, helperThread: helper !== undefined, next, flushed: result.flushed };
  } catch (e) {
    dropCut(begun);
    if (paused) running.scheduler.unpause();
    throw e;
  }
}
