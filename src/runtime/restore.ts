// Restore of a checkpointed pod, like runsc's restore: the kernel graph is decoded with everything
// outside the pod bound anew by its stable key (host directories by volume, streams by role, clocks),
// each program is re-instantiated from the same transformed module and rewound to the call it stopped
// in, and the scheduler carries on. Each syscall runs exactly once.
import { AmberError } from '../base/error.js';
import { FiberImageError } from '../wasi/fibercheck.js';
import type { CheckpointImage } from '../image/reader.js';
import { decodeGraph, type Registry, type Resolver } from '../state/index.js';
import { Scheduler, type Task, type TaskEnd, type Wait } from '../wasi/scheduler.js';
import { Fiber, type FiberImage } from '../wasi/suspend.js';
import { PodKernel } from './pod.js';
import { fromJson, readPrograms, type ProgramRecord } from './programs.js';

/** The image does not fit what the restore was given (another module, another set of containers). */
export class RestoreMismatchError extends AmberError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestoreMismatchError';
  }
}

export interface RestoreInputs {
  image: CheckpointImage;
  registry: Registry;
  externals: Resolver;
  /** Each container's transformed module and its hash, by container name (those that exited need none). */
  modules: ReadonlyMap<string, { module: WebAssembly.Module; hash: string }>;
  /** Programs whose fiber restoreEarly() began already, from this image and these very modules, by container. */
  early?: ReadonlyMap<string, EarlyFiber>;
}

/** A program's fiber restored before its pod existed (restoreEarly): its module, and the fiber once its memory is in. */
export interface EarlyFiber {
  module: WebAssembly.Module;
  fiber: Promise<Fiber>;
}

export interface RestoredPod {
  pod: PodKernel;
  scheduler: Scheduler;
  tasks: Map<string, Task>;
  /** Containers that had already exited at the checkpoint. */
  ended: Map<string, TaskEnd>;
  /** Resolves once every blob of the image is verified (memory was hashed as it landed, its reads off
   *  this thread); no guest may run before. Rejects with an ImageError naming a damaged blob. */
  verified: Promise<void>;
}

function fiberImage(image: CheckpointImage, r: ProgramRecord): FiberImage {
  if (r.globals === undefined || r.pending === undefined || r.memory === undefined || r.stack === undefined) {
    throw new RestoreMismatchError(`${image.dir}: payload "programs": program of container ${r.container} is incomplete`);
  }
  const globals: Record<string, number | bigint> = {};
  for (const [k, v] of Object.entries(r.globals)) globals[k] = fromJson(v);
  const p = r.pending;
  // No copies: Fiber.restoreAsync has the image read memory straight into the instance (its source's
  // fill; verified before the pod runs: RestoredPod.verified) and copies the stack into the fiber.
  return {
    memory: image.source(r.memory),
    stack: image.payload(r.stack),
    globals,
    pending: { module: p.module, name: p.name, args: p.args.map(fromJson), cause: p.cause, ...(p.result !== null ? { result: fromJson(p.result) } : {}) },
  };
}

function waitOf(r: ProgramRecord): Wait | null {
  const w = r.wait;
  if (w === undefined || w === null) return null;
  return { untilNs: w.untilNs === null ? null : BigInt(w.untilNs), polling: w.polling, bases: w.bases.map(([c, b]) => [c, BigInt(b)]) };
}

/** The kernel graph decoded; what it refuses (a StateError, a saved spec that lies) names the payload. */
function inKernel<T>(image: CheckpointImage, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof AmberError && !e.message.startsWith(image.dir)) throw new RestoreMismatchError(`${image.dir}: payload "kernel": ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * A program put back in its instance; a saved fiber that does not fit its module names the container,
 * unless a blob of the image is damaged: that is the reason given (its bytes may be what the rewind
 * that proves the stack tripped on).
 */
async function inProgram<T>(image: CheckpointImage, container: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    await image.verified();
    if (e instanceof FiberImageError) throw new RestoreMismatchError(`${image.dir}: container ${container}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Each suspended program's fiber restored from image into its module before the pod is rebuilt
 * (Fiber.restoreUnbound: instantiated, memory read and its stack proved; imports given by restorePod),
 * so a sandbox reads memory while it waits for its pod. A program of a container not in modules is left
 * to restorePod. A fiber's failure is restorePod's to report: here it is only kept from going unhandled.
 */
export function restoreEarly(image: CheckpointImage, modules: ReadonlyMap<string, { module: WebAssembly.Module; hash: string }>): Map<string, EarlyFiber> {
  const out = new Map<string, EarlyFiber>();
  for (const r of readPrograms(image).programs) {
    const m = modules.get(r.container);
    if (r.state !== 'suspended' || m === undefined || m.hash !== r.moduleHash) continue;
    let saved: FiberImage;
    try {
      saved = fiberImage(image, r);
    } catch {
      continue; // restorePod says what is wrong with it
    }
    const fiber = Fiber.restoreUnbound(m.module, saved);
    fiber.catch(() => {});
    out.set(r.container, { module: m.module, fiber });
  }
  return out;
}

/** The pod rebuilt: each program's memory read into its instance (off this thread where the image's
 *  store can, hashed here meanwhile) before its saved stack is proved; resolves once all are. */
export async function restorePod(inp: RestoreInputs): Promise<RestoredPod> {
  const programs = readPrograms(inp.image);
  for (const r of programs.programs) {
    if (r.state === 'exited') continue; // it will not run again: no module needed
    const m = inp.modules.get(r.container);
    if (m === undefined) throw new RestoreMismatchError(`${inp.image.dir}: the image has container ${r.container}, which the restore was not given a module for`);
    if (m.hash !== r.moduleHash) {
      throw new RestoreMismatchError(`${inp.image.dir}: container ${r.container}: its module is not the one checkpointed (transformed sha256 ${m.hash.slice(0, 12)}…, the image needs ${r.moduleHash.slice(0, 12)}…)`);
    }
  }
  const pod = inKernel(inp.image, () => decodeGraph(inp.registry, inp.image.payload('kernel'), { externals: inp.externals, root: PodKernel }));
  pod.kernel.resumeMonotonic(BigInt(programs.monotonicNs));
  const scheduler = new Scheduler(pod.kernel);
  const tasks = new Map<string, Task>();
  const ended = new Map<string, TaskEnd>();
  for (const r of programs.programs) {
    const c = pod.containers.get(r.container);
    if (c === undefined) throw new RestoreMismatchError(`${inp.image.dir}: the image's kernel has no container ${r.container}`);
    if (r.state === 'exited') {
      ended.set(r.container, r.exit ?? { kind: 'exit', code: 0 });
      continue;
    }
    const m = inp.modules.get(r.container) as { module: WebAssembly.Module }; // checked above
    const early = inp.early?.get(r.container);
    if (r.state === 'ready') tasks.set(r.container, scheduler.add(c.proc, m.module));
    else if (early !== undefined && early.module === m.module) tasks.set(r.container, await inProgram(inp.image, r.container, () => scheduler.adoptRestored(c.proc, early.fiber, waitOf(r))));
    else tasks.set(r.container, await inProgram(inp.image, r.container, () => scheduler.addRestored(c.proc, m.module, fiberImage(inp.image, r), waitOf(r))));
  }
  return { pod, scheduler, tasks, ended, verified: inp.image.verified() };
}
