// Pods run in this process, attached to the caller's streams, like `runc run` without --detach: a pod
// from a spec, or one restored from an image. Each resolves when every container has ended, with how each
// ended; nothing is written to a state root. (One program without a pod: client/do.ts.)
import type { PodStdio } from '../sandbox/bindings.js';
import { planRestore } from '../sandbox/restoreplan.js';
import { startRestored } from '../sandbox/restorerun.js';
import { containerEnds, startPod, type ContainerEnd, type RunningPod } from '../sandbox/running.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import type { OnProgress } from './progress.js';
import type { RestoreOptions } from './pod.js';

export type { ContainerEnd, PodStdio };

async function runToEnd(running: RunningPod): Promise<ContainerEnd[]> {
  await running.scheduler.run();
  return containerEnds(running);
}

/** Runs the pod's containers here until every one has exited. */
export async function runPodAttached(spec: PodSpec, stdio: PodStdio): Promise<ContainerEnd[]> {
  return runToEnd(await startPod(spec, stdio));
}

/**
 * Restores the image here (every blob read and verified first, reported to onProgress) and runs it to its
 * end; stdio is given the spec restored into, to choose the containers' streams.
 */
export async function restorePodAttached(imagePath: string, opts: Omit<RestoreOptions, 'root' | 'name'>, stdio: (spec: PodSpec) => PodStdio): Promise<ContainerEnd[]> {
  const plan = planRestore(imagePath, {
    lazy: true, // read as the pod is rebuilt; every blob verified before it runs
    ...(opts.spec !== undefined ? { specFile: opts.spec } : {}),
    ...(opts.volumes !== undefined ? { volumes: opts.volumes } : {}),
    ...(opts.onProgress !== undefined ? { onProgress: bytes(opts.onProgress) } : {}),
  });
  return runToEnd(await startRestored(plan, stdio(plan.spec)));
}

function bytes(onProgress: OnProgress): (done: number, total: number) => void {
  return (done, total) => onProgress({ done, total });
}
