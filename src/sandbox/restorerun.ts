// Bringing a pod back from an image in this process (a foreground restore, or a detached restore's
// sandbox), like runsc's restore of a kernel: modules loaded (restoremodules.ts) and checked against the
// image's hashes, everything outside the pod bound anew by its key (runtime/restore.ts), each program's
// memory read from the image straight into its instance, every blob verified, the scheduler ready to run.
import { guestFileBudget } from '../host/fdbudget.js';
import { restorePod } from '../runtime/restore.js';
import { amberRegistry, restoreResolver, type PodStdio } from './bindings.js';
import type { EarlyRestore } from './restoreearly.js';
import type { RestorePlan } from './restoreplan.js';
import { applyMemoryAccounts } from './memorylimit.js';
import { loadRestoreModules } from './restoremodules.js';
import type { RunningPod } from './running.js';

/** The pod of plan brought back; with early, the restore its sandbox began on plan's very image (usableFor) carried on. */
export async function startRestored(plan: RestorePlan, stdio: PodStdio, early?: EarlyRestore): Promise<RunningPod> {
  if (early !== undefined && early.image !== plan.image) early = undefined; // begun on another opening
  const modules = early?.modules ?? await loadRestoreModules(plan.image, plan.spec);
  const bound = restoreResolver(plan, stdio);
  try {
    const r = await restorePod({ image: plan.image, registry: amberRegistry(), externals: bound.resolver, modules, ...(early !== undefined ? { early: early.fibers } : {}) });
    await r.verified;
    r.pod.kernel.files.max = guestFileBudget();
    const running = { spec: plan.spec, pod: r.pod, scheduler: r.scheduler, tasks: r.tasks, modules, ended: r.ended };
    applyMemoryAccounts(running, (line) => console.error(`amber: ${line}`));
    return running;
  } catch (e) {
    bound.abandon();
    throw e;
  }
}
