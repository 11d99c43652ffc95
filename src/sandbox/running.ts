// A pod running in this process (the sandbox of a detached pod, or a foreground `pod run` or `restore`),
// like runsc's boot.Loader: each container's module transformed and compiled, its first process on the
// pod's scheduler, run until every container has exited; and how each container ended.
import { guestFileBudget } from '../host/fdbudget.js';
import { prepareModuleFile, type LoadedModule, type PreparedKey } from '../host/modulecache.js';
import { inModule } from '../host/modulefile.js';
import { PodKernel } from '../runtime/pod.js';
import { applyMemoryAccounts, withMemoryLimit } from './memorylimit.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { tracksWrites } from '../runtime/spec/trackwrites.js';
import { Scheduler, type Task, type TaskEnd } from '../wasi/scheduler.js';
import { nodePodHost, type PodStdio } from './bindings.js';

export interface ContainerEnd {
  name: string;
  /** -1 while it runs; 134 after a trap. */
  exitCode: number;
  trap?: string;
}

export interface RunningPod {
  spec: PodSpec;
  pod: PodKernel;
  scheduler: Scheduler;
  tasks: Map<string, Task>;
  modules: Map<string, LoadedModule>;
  /** Containers that had exited before a checkpoint this pod was restored from. */
  ended: Map<string, TaskEnd>;
}

/**
 * Each container's module, transformed and compiled, by container name (a pause container has none);
 * prepared: where this process's ensureTransformed left module files (host/modulecache.ts), by path.
 */
export async function loadPodModules(spec: PodSpec, prepared?: ReadonlyMap<string, PreparedKey>): Promise<Map<string, LoadedModule>> {
  const out = new Map<string, LoadedModule>();
  const track = tracksWrites(spec);
  for (const c of spec.containers) if (c.pause !== true) out.set(c.name, await withMemoryLimit(await prepareModuleFile(c.module, prepared?.get(c.module), track), spec, c));
  return out;
}

/** Builds the pod with its containers created but none running yet (runc's create). */
export async function createPod(spec: PodSpec, stdio: PodStdio, prepared?: ReadonlyMap<string, PreparedKey>): Promise<RunningPod> {
  const modules = await loadPodModules(spec, prepared);
  const pod = PodKernel.build(spec, nodePodHost(stdio));
  pod.kernel.files.max = guestFileBudget();
  const running: RunningPod = { spec, pod, scheduler: new Scheduler(pod.kernel), tasks: new Map(), modules, ended: new Map() };
  applyMemoryAccounts(running, (line) => console.error(`amber: ${line}`));
  return running;
}

/** Schedules a created container's first process; null for a pause container, which runs nothing. */
export function startContainer(running: RunningPod, name: string): Task | null {
  const c = running.pod.containers.get(name);
  if (c === undefined) throw new Error(`no container ${name}`);
  const m = running.modules.get(name);
  if (m === undefined) return null;
  const task = inModule(c.spec.module, () => running.scheduler.add(c.proc, m.module));
  running.tasks.set(name, task);
  return task;
}

/** Builds the pod and starts its containers; `scheduler.run()` drives them. */
export async function startPod(spec: PodSpec, stdio: PodStdio, prepared?: ReadonlyMap<string, PreparedKey>): Promise<RunningPod> {
  const running = await createPod(spec, stdio, prepared);
  for (const c of spec.containers) startContainer(running, c.name);
  return running;
}

/**
 * Calls report(container, message) when a container's first process ends in a trap, as it happens (a
 * detached pod's sandbox writes it to the container's log and its own: `amber state` alone would show
 * only exit code 134 until the pod ends).
 */
export function onContainerTrap(running: RunningPod, report: (container: string, message: string) => void): void {
  for (const [name, task] of running.tasks) {
    void task.done.then((end) => {
      if (end.kind === 'trap') report(name, end.message);
    });
  }
}

/** How each container of the spec ended (or -1: it has not). */
export function containerEnds(running: RunningPod): ContainerEnd[] {
  return running.spec.containers.map(({ name }) => {
    const end = running.tasks.get(name)?.end ?? running.ended.get(name) ?? null;
    if (end === null) return { name, exitCode: -1 };
    return end.kind === 'exit' ? { name, exitCode: end.code } : { name, exitCode: 134, trap: end.message };
  });
}
