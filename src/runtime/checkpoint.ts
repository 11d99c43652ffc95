// Checkpoint of a running pod, like runsc's checkpoint (the Sentry's kernel.SaveTo) with CRIU's
// per-process memory images: with the scheduler paused every process is stopped at a syscall boundary
// or preemption point, so the kernel graph, each program's Asyncify state and its linear memory are
// one consistent cut. This module turns that cut into image payloads, with the transformed module of
// each program that will run again (modules.ts); image/ writes them.
import { chunked, DEFAULT_CHUNK_SIZE, type Payload } from '../image/payload.js';
import { nextTurn } from '../image/turn.js';
import { encodeGraph, serialize, type Registry } from '../state/index.js';
import type { Scheduler, Task, Wait } from '../wasi/scheduler.js';
import { modulePayloads, type ImageModule } from './modules.js';
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
}

/** A snapshot buffer is faulted in by touching one byte in every page of this size (or smaller). */
const PAGE_STRIDE = 4096;
/** Bytes of snapshot faulted in per turn of the event loop (~5-10 ms). */
const PREPARE_SLICE = 8 << 20;

/**
 * Buffers for a checkpoint that leaves the pod running, made while the pod still runs: one per program
 * with memory to save, the size of its memory now, every page faulted in, in slices with a turn of the
 * event loop between them (the pod runs in between). The cut then copies memory into pages that are
 * there, several times faster than into fresh ones (256 MiB here: ~40 ms against ~200 ms), and that copy
 * is most of the time the pod is paused.
 */
export async function prepareSnapshots(tasks: ReadonlyMap<string, Task>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const [name, t] of tasks) {
    if (t.state === 'exited' || t.end !== null || t.fiber.status === 'ready') continue;
    const size = t.fiber.memory.buffer.byteLength;
    const buf = new Uint8Array(size);
    for (let from = 0; from < size; from += PREPARE_SLICE) {
      const to = Math.min(size, from + PREPARE_SLICE);
      for (let i = from; i < to; i += PAGE_STRIDE) buf[i] = 0;
      await nextTurn();
    }
    out.set(name, buf);
  }
  return out;
}

/** Whether a whole part (a multiple of 32 bytes, 4-aligned, as memory parts are) is all zeros. */
function isZero(b: Uint8Array): boolean {
  const w = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  if (w.length === 0) return true;
  // Most parts that are not zero show it in their first or last word: no scan.
  if (w[0] !== 0 || w[w.length - 1] !== 0) return false;
  for (let i = 0; i < w.length; i += 8) {
    if (((w[i] as number) | (w[i + 1] as number) | (w[i + 2] as number) | (w[i + 3] as number) |
      (w[i + 4] as number) | (w[i + 5] as number) | (w[i + 6] as number) | (w[i + 7] as number)) !== 0) return false;
  }
  return true;
}

/**
 * A program's linear memory as payload parts of DEFAULT_CHUNK_SIZE bytes. An all-zero part (untouched
 * heap: most of a fresh program's memory) is the one shared zero array, so it is neither copied nor hashed
 * again (the writer knows an array it has seen); any other part is a view of live memory or, with
 * copyMemory, of one snapshot of it (only its non-zero parts written, so the rest is never faulted in).
 */
export function memoryParts(name: string, memory: Uint8Array, copy: boolean, prepared: Uint8Array | undefined, zeroPart: () => Uint8Array): Payload[] {
  const size = DEFAULT_CHUNK_SIZE;
  const count = Math.max(1, Math.ceil(memory.length / size));
  const snapshot = !copy ? null : prepared?.length === memory.length ? prepared : new Uint8Array(memory.length);
  const parts: Payload[] = [];
  for (let index = 0; index < count; index++) {
    const from = index * size;
    const view = memory.subarray(from, Math.min(memory.length, from + size));
    let bytes: Uint8Array;
    if (view.length === size && isZero(view)) {
      bytes = zeroPart();
    } else if (snapshot !== null) {
      bytes = snapshot.subarray(from, from + view.length);
      bytes.set(view);
    } else {
      bytes = view;
    }
    parts.push({ name, kind: 'memory', bytes, part: { index, count } });
  }
  return parts;
}

function programOf(name: string, t: Task, moduleHash: string, options: PayloadOptions, zeroPart: () => Uint8Array): { record: ProgramRecord; payloads: Payload[] } {
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
      ...memoryParts(memory, new Uint8Array(t.fiber.memory.buffer), options.copyMemory === true, options.snapshots?.get(name), zeroPart),
      { name: stack, kind: 'stack', bytes: saved.stack },
    ],
  };
}

/**
 * The payloads of one consistent cut. The scheduler must be paused (every fiber suspended, ready or
 * exited), and stay paused until the payloads are written unless options.copyMemory: without it memory
 * payloads are views of live memory. Everything else is a copy made here.
 */
export function checkpointPayloads(pod: PodKernel, scheduler: Scheduler, tasks: ReadonlyMap<string, Task>, modules: ReadonlyMap<string, ImageModule>, registry: Registry, options: PayloadOptions = {}): Payload[] {
  if (!scheduler.paused) throw new Error('kernel bug: checkpoint of a pod whose scheduler is running');
  const payloads: Payload[] = [];
  const programs: ProgramRecord[] = [];
  let zero: Uint8Array | null = null;
  const zeroPart = (): Uint8Array => (zero ??= new Uint8Array(DEFAULT_CHUNK_SIZE));
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
