// Bringing a pod back from an image in this process (a foreground restore, or a detached restore's
// sandbox): modules re-transformed and checked against the image's hashes, everything outside the pod
// bound anew by its key (runtime/restore.ts), and the scheduler ready to run.
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { restorePod } from '../runtime/restore.js';
import { loadPodModules, type RunningPod } from './podrun.js';
import { amberRegistry, restoreResolver } from './registry.js';
import type { RestorePlan } from './restore.js';

export function startRestored(plan: RestorePlan, stdio: (name: string) => readonly [HostStream, HostStream, HostStream]): RunningPod {
  const modules = loadPodModules(plan.spec);
  const bound = restoreResolver(plan, stdio);
  try {
    const r = restorePod({ image: plan.image, registry: amberRegistry(), externals: bound.resolver, modules });
    return { spec: plan.spec, pod: r.pod, scheduler: r.scheduler, tasks: r.tasks, modules, ended: r.ended };
  } catch (e) {
    bound.abandon();
    throw e;
  }
}
