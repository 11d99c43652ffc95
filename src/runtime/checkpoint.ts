// Checkpoint of a running pod, like runsc's checkpoint (the Sentry's kernel.SaveTo) with CRIU's
// per-process memory images: with the scheduler paused every process is stopped at a syscall boundary
// or preemption point, so the kernel graph, each program's Asyncify state and its linear memory are
// one consistent cut. This module turns that cut into image payloads; image/ writes them.
import { chunked, type Payload } from '../image/payload.js';
import { encodeGraph, serialize, type Registry } from '../state/index.js';
import type { Scheduler, Task, Wait } from '../wasi/scheduler.js';
import type { PendingCall } from '../wasi/suspend.js';
import type { PodKernel } from './pod.js';

/** The image's format for programs; restore.ts reads it. */
export const PROGRAMS_VERSION = 1;

type Value = number | bigint;
/** A number or bigint as JSON: bigints as {"n": "123"}. */
type JsonValue = number | { n: string };

function toJson(v: Value): JsonValue {
  return typeof v === 'bigint' ? { n: v.toString() } : v;
}

export function fromJson(v: JsonValue): Value {
  return typeof v === 'number' ? v : BigInt(v.n);
}

export interface SavedPending {
  module: string;
  name: string;
  args: JsonValue[];
  cause: PendingCall['cause'];
  result: JsonValue | null;
}

/** One container's program in the image. */
export interface ProgramRecord {
  container: string;
  /** sha256 of the transformed module: a snapshot fits only that exact module. */
  moduleHash: string;
  state: 'ready' | 'suspended' | 'exited';
  exit?: { kind: 'exit'; code: number } | { kind: 'trap'; message: string };
  globals?: Record<string, JsonValue>;
  pending?: SavedPending;
  wait?: { untilNs: string | null; polling: boolean; bases: Array<[number, string]> } | null;
  /** Payload names of its linear memory and Asyncify stack. */
  memory?: string;
  stack?: string;
}

export interface ProgramsFile {
  version: number;
  /** The kernel's monotonic clock at the cut: restored time continues from here. */
  monotonicNs: string;
  programs: ProgramRecord[];
}

function waitJson(w: Wait | null): NonNullable<ProgramRecord["wait"]> | null {
  if (w === null) return null;
  return { untilNs: w.untilNs === null ? null : w.untilNs.toString(), polling: w.polling, bases: w.bases.map(([c, b]) => [c, b.toString()]) };
}

function programOf(name: string, t: Task, moduleHash: string): { record: ProgramRecord; payloads: Payload[] } {
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
    payloads: [...chunked(memory, new Uint8Array(t.fiber.memory.buffer), { kind: 'memory' }), { name: stack, kind: 'stack', bytes: saved.stack }],
  };
}

/**
 * The payloads of one consistent cut. The scheduler must be paused (every fiber suspended, ready or
 * exited) and stay paused until the payloads are written: memory payloads are views of live memory.
 */
export function checkpointPayloads(pod: PodKernel, scheduler: Scheduler, tasks: ReadonlyMap<string, Task>, hashes: ReadonlyMap<string, string>, registry: Registry): Payload[] {
  if (!scheduler.paused) throw new Error('kernel bug: checkpoint of a pod whose scheduler is running');
  const payloads: Payload[] = [];
  const programs: ProgramRecord[] = [];
  for (const [name, t] of tasks) {
    const p = programOf(name, t, hashes.get(name) ?? '');
    programs.push(p.record);
    payloads.push(...p.payloads);
  }
  const file: ProgramsFile = { version: PROGRAMS_VERSION, monotonicNs: pod.kernel.monotonicNs().toString(), programs };
  payloads.unshift(...chunked('kernel', serialize(encodeGraph(registry, pod)), { kind: 'kernel' }));
  payloads.unshift({ name: 'programs', kind: 'programs', bytes: new TextEncoder().encode(JSON.stringify(file)) });
  return payloads;
}
