// Checkpoint of a running pod, like runsc's checkpoint (the Sentry's kernel.SaveTo) with CRIU's
// per-process memory images: with the scheduler paused every process is stopped at a syscall boundary
// or preemption point, so the kernel graph, each program's Asyncify state and its linear memory are
// one consistent cut. This module turns that cut into image payloads (memory: memorycut.ts, or for a
// tracked program pre-copied while the pod ran, precopy.ts), with the transformed module of each program
// that will run again (modules.ts); image/ writes them.
import { chunked, type Payload, type StagedPayload } from '../image/payload.js';
import { encodeGraph, serialize, type Registry } from '../state/index.js';
import type { Scheduler, Task, Wait } from '../wasi/scheduler.js';
import { memoryParts, MEMORY_PART, type KeptMemory } from './memorycut.js';
import { modulePayloads, type ImageModule } from './modules.js';
import { preCopyPayloads, type PreCopy, type TrackedKept } from './precopy.js';
import type { PodKernel } from './pod.js';
import { PROGRAMS_VERSION, programsPayload, toJson, type JsonValue, type ProgramRecord, type ProgramsFile } from './programs.js';

function waitJson(w: Wait | null): NonNullable<ProgramRecord["wait"]> | null {
  if (w === null) return null;
  return { untilNs: w.untilNs === null ? null : w.untilNs.toString(), polling: w.polling, bases: w.bases.map(([c, b]) => [c, b.toString()]) };
}

export interface PayloadOptions {
  /**
   * Copy each program's linear memory, so the pod may run again while the image is written (a
   * checkpoint with --leave-running). Otherwise memory payloads are views of live memory, valid only
   * while the scheduler stays paused.
   */
  copyMemory?: boolean;
  /** Where to copy it: prepareSnapshots' buffers, by container; one that no longer fits is not used. */
  snapshots?: ReadonlyMap<string, Uint8Array>;
  /** What the last cut kept (memorycut.ts), by container: unchanged parts carry its digests. */
  kept?: ReadonlyMap<string, KeptMemory>;
  /** A faster comparison of two parts than memorycut's own (memcmp). */
  same?: (a: Uint8Array, b: Uint8Array) => boolean;
  /** Told of each memory part new since the kept cut. */
  onChanged?: () => void;
  /** Compare a tracked program's memory with kept as an untracked one's: the cut's parent is not the
   *  kept cut's image. Its write map is cleared all the same. */
  ignoreWriteMaps?: boolean;
  /** The debug check of each tracked program's write map (memorycut.ts WriteMap.check): tests. */
  checkWriteMaps?: boolean;
  /** Tracked programs pre-copied while the pod ran (precopy.ts), by container: their memory is the pass's
   *  parts and a patch of what the write map marks now; one whose pre-copy cannot be used (its memory
   *  grew, or another instance's) is copied as an untracked program's. */
  precopied?: ReadonlyMap<string, PreCopy>;
  /** Given what each pre-copied program's cut keeps for the next (precopy.ts TrackedKept), by container. */
  trackedKept?: Map<string, TrackedKept>;
}

/** A program's memory as payloads: pre-copied (precopy.ts), else memorycut.ts's. */
function memoryPayloads(name: string, memory: string, t: Task, options: PayloadOptions, zeroPart: () => Uint8Array): (Payload | StagedPayload)[] {
  const pc = options.precopied?.get(name);
  const pre = pc === undefined ? null : preCopyPayloads(pc, t, zeroPart, { check: options.checkWriteMaps === true, ...(options.same !== undefined ? { same: options.same } : {}) });
  if (pre !== null) {
    options.trackedKept?.set(name, pre.kept);
    return pre.payloads;
  }
  return memoryParts(memory, new Uint8Array(t.fiber.memory.buffer), {
    copy: options.copyMemory === true || pc !== undefined,
    snapshot: options.snapshots?.get(name),
    kept: options.kept?.get(name),
    zeroPart,
    ...(options.same !== undefined ? { same: options.same } : {}),
    ...(options.onChanged !== undefined ? { onChanged: options.onChanged } : {}),
    track: { base: t.fiber.trackBase, source: t.fiber.memory, use: options.ignoreWriteMaps !== true, check: options.checkWriteMaps === true },
  });
}

function programOf(name: string, t: Task, moduleHash: string, options: PayloadOptions, zeroPart: () => Uint8Array): { record: ProgramRecord; payloads: (Payload | StagedPayload)[] } {
  if (t.state === 'exited' || t.end !== null) return { record: { container: name, moduleHash, state: 'exited', ...(t.end !== null ? { exit: t.end } : {}) }, payloads: [] };
  if (t.fiber.status === 'ready') return { record: { container: name, moduleHash, state: 'ready' }, payloads: [] };
  const saved = t.fiber.save();
  const globals: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(saved.globals)) globals[k] = toJson(v);
  const p = saved.pending;
  const memory = `memory/${name}`;
  const stack = `stack/${name}`;
  return {
    record: {
      container: name,
      moduleHash,
      state: 'suspended',
      globals,
      pending: { module: p.module, name: p.name, args: p.args.map(toJson), cause: p.cause, result: p.result === undefined ? null : toJson(p.result) },
      wait: waitJson(t.wait),
      memory,
      stack,
    },
    payloads: [
      ...memoryPayloads(name, memory, t, options, zeroPart),
      { name: stack, kind: 'stack', bytes: saved.stack },
    ],
  };
}

/**
 * The payloads of one consistent cut. The scheduler must be paused (every fiber suspended, ready or
 * exited), and stay paused until the payloads are written unless options.copyMemory: without it memory
 * payloads are views of live memory. Everything else is a copy made here.
 */
export function checkpointPayloads(pod: PodKernel, scheduler: Scheduler, tasks: ReadonlyMap<string, Task>, modules: ReadonlyMap<string, ImageModule>, registry: Registry, options: PayloadOptions = {}): (Payload | StagedPayload)[] {
  if (!scheduler.paused) throw new Error('kernel bug: checkpoint of a pod whose scheduler is running');
  const payloads: (Payload | StagedPayload)[] = [];
  const programs: ProgramRecord[] = [];
  let zero: Uint8Array | null = null;
  const zeroPart = (): Uint8Array => (zero ??= new Uint8Array(MEMORY_PART));
  const needed: ImageModule[] = [];
  for (const [name, t] of tasks) {
    const m = modules.get(name);
    const p = programOf(name, t, m?.hash ?? '', options, zeroPart);
    programs.push(p.record);
    payloads.push(...p.payloads);
    // A program that will run again needs its module; an exited one does not.
    if (p.record.state !== 'exited' && m !== undefined) needed.push(m);
  }
  payloads.push(...modulePayloads(needed));
  const file: ProgramsFile = { version: PROGRAMS_VERSION, monotonicNs: pod.kernel.monotonicNs().toString(), programs };
  payloads.unshift(...chunked('kernel', serialize(encodeGraph(registry, pod)), { kind: 'kernel' }));
  payloads.unshift(programsPayload(file));
  return payloads;
}
