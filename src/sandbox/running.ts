// A pod running in this process (the sandbox of a detached pod, or a foreground `pod run` or `restore`),
// like runsc's boot.Loader: each container's module transformed and compiled, its first process on the
// pod's scheduler, run until every container has exited; and how each container ended.
import { prepareModuleFile, type LoadedModule } from '../host/modulecache.js';
import { inModule } from '../host/modulefile.js';
import { PodKernel } from '../runtime/pod.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
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

/** Each container's module, transformed and compiled, by container name. */
export async function loadPodModules(spec: PodSpec): Promise<Map<string, LoadedModule>> {
  const out = new Map<string, LoadedModule>();
  for (const c of spec.containers) out.set(c.name, await prepareModuleFile(c.module));
  return out;
}

/** Builds the pod and starts its containers; `scheduler.run()` drives them. */
export async function startPod(spec: PodSpec, stdio: PodStdio): Promise<RunningPod> {
  const modules = await loadPodModules(spec);
  const pod = PodKernel.build(spec, nodePodHost(stdio));
  const scheduler = new Scheduler(pod.kernel);
  const tasks = new Map<string, Task>();
  for (const [name, c] of pod.containers) {
    const m = modules.get(name) as LoadedModule;
    tasks.set(name, inModule(c.spec.module, () => scheduler.add(c.proc, m.module)));
  }
  return { spec, pod, scheduler, tasks, modules, ended: new Map() };
}

/** How each container of the spec ended (or -1: it has not). */
export function containerEnds(running: RunningPod): ContainerEnd[] {
  return running.spec.containers.map(({ name }) => {
    const end = running.tasks.get(name)?.end ?? running.ended.get(name) ?? null;
    if (end === null) return { name, exitCode: -1 };
    return end.kind === 'exit' ? { name, exitCode: end.code } : { name, exitCode: 134, trap: end.message };
  });
}
