// Running a pod's containers in this process (a foreground `pod run`, or the sandbox of a detached
// one): each container's module transformed for Asyncify, its process added to the pod's scheduler,
// and the scheduler run until every container has exited.
import { readFileSync } from 'node:fs';
import { NodeClock, NodeRandom } from '../host/clock.js';
import { openHostDirFs } from '../host/hostdir_mount.js';
import { prepareModule, type LoadedModule } from '../host/modulecache.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { PodKernel } from '../runtime/pod.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { TransformError } from '../wasi/asyncify.js';
import { Scheduler, type Task, type TaskEnd } from '../wasi/scheduler.js';
import { NotTransformedError } from '../wasi/suspend.js';
import { AmberError } from '../base/error.js';

export interface ContainerEnd {
  name: string;
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

/** A guest module from a host file, transformed and compiled; AmberError naming the file otherwise. */
export function loadModuleFile(path: string): LoadedModule {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new AmberError(`${path}: no such file or not readable`);
  }
  try {
    return prepareModule(bytes);
  } catch (e) {
    if (e instanceof TransformError || e instanceof WebAssembly.CompileError) throw new AmberError(`${path}: not a valid WebAssembly module (${e.message.split('\n')[0]})`);
    throw e;
  }
}

export function loadPodModules(spec: PodSpec): Map<string, LoadedModule> {
  return new Map(spec.containers.map((c) => [c.name, loadModuleFile(c.module)]));
}

/** Builds the pod and starts its containers; `scheduler.run()` drives them. */
export function startPod(spec: PodSpec, stdio: (name: string) => readonly [HostStream, HostStream, HostStream]): RunningPod {
  const modules = loadPodModules(spec);
  const pod = PodKernel.build(spec, {
    clock: new NodeClock(),
    random: new NodeRandom(),
    hostDir: (kernel, hostPath, readOnly, key) => openHostDirFs(kernel, hostPath, readOnly, key),
    stdio,
  });
  const scheduler = new Scheduler(pod.kernel);
  const tasks = new Map<string, Task>();
  for (const [name, c] of pod.containers) {
    const m = modules.get(name) as LoadedModule;
    try {
      tasks.set(name, scheduler.add(c.proc, m.module));
    } catch (e) {
      if (e instanceof NotTransformedError || e instanceof WebAssembly.LinkError) throw new AmberError(`${c.spec.module}: ${e.message}`);
      throw e;
    }
  }
  return { spec, pod, scheduler, tasks, modules, ended: new Map() };
}

export function containerEnds(running: RunningPod): ContainerEnd[] {
  return running.spec.containers.map(({ name }) => {
    const end = running.tasks.get(name)?.end ?? running.ended.get(name) ?? null;
    if (end === null) return { name, exitCode: -1 };
    return end.kind === 'exit' ? { name, exitCode: end.code } : { name, exitCode: 134, trap: end.message };
  });
}

/** A pod's exit code: 0 when every container exited 0, else the first failing one's. */
export function podExitCode(ends: readonly ContainerEnd[]): number {
  return ends.find((e) => e.exitCode !== 0)?.exitCode ?? 0;
}
