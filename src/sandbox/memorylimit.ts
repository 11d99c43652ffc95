// Memory limits in a running pod: a container's on the modules it runs (runtime/memorymax.ts), the
// smaller of its own resources.limits.memory and the pod's as the maximum of each program's linear
// memory (a module compiled again with it); and the accounts its tmpfs pages are charged to. Both count
// real bytes: a module that tracks its writes (wasi/transformed.ts) holds its write map (B = 1 MiB) in the
// same memory, below the guest's, and that is memory the host holds too, so such a guest can grow to its
// limit less B (memory.grow answers -1 there), and the OOM check charges the map.
import type { LoadedModule } from '../host/modulecache.js';
import { podAccounts } from '../runtime/memaccounts.js';
import { pagesWithin, withMemoryMax } from '../runtime/memorymax.js';
import type { ContainerSpec, PodSpec } from '../runtime/spec/podspec.js';
import type { Task } from '../wasi/scheduler.js';
import type { RunningPod } from './running.js';

/** The bytes container's programs may hold, or undefined for no limit. */
export function memoryLimitOf(spec: PodSpec, container: ContainerSpec): number | undefined {
  const limits = [container.memoryBytes, spec.memoryBytes].filter((n): n is number => n !== undefined);
  return limits.length === 0 ? undefined : Math.min(...limits);
}

/** loaded, compiled with container's memory limit as its memory's maximum (the same hash: the image's). */
export async function withMemoryLimit(loaded: LoadedModule, spec: PodSpec, container: ContainerSpec): Promise<LoadedModule> {
  const limit = memoryLimitOf(spec, container);
  if (limit === undefined) return loaded;
  const bytes = withMemoryMax(loaded.bytes, pagesWithin(limit), `container ${container.name}: its memory limit`);
  return bytes === loaded.bytes ? loaded : { ...loaded, module: await WebAssembly.compile(bytes) };
}

/** How often the pod's total is compared with its limit (the OOM killer's look). */
const OOM_CHECK_MS = 50;

/**
 * Charges the running pod's tmpfs pages to its accounts (runtime/memaccounts.ts) and reports each
 * container's linear memory to its own. Past the pod's total, which no memory.grow can be refused for
 * (each container's maximum is its own limit), the memory cgroup's OOM killer's choice is made: the
 * program holding the most memory is ended (137) and the reason logged. Stops with the pod.
 */
export function applyMemoryAccounts(running: RunningPod, log: (line: string) => void): void {
  const accounts = podAccounts(running.pod);
  const tasksOf = (ns: unknown): Task[] => running.scheduler.tasks.filter((t) => t.state !== 'exited' && t.proc.mounts === ns);
  const bytesOf = (t: Task): number => t.fiber.memory.buffer.byteLength;
  for (const [name, account] of accounts.containers) {
    const ns = running.pod.containers.get(name)?.ns;
    account.linear = () => tasksOf(ns).reduce((n, t) => n + bytesOf(t), 0);
  }
  const pod = accounts.pod;
  if (pod.limit === Infinity) return;
  const timer = setInterval(() => {
    const live = running.scheduler.tasks.filter((t) => t.state !== 'exited');
    if (live.length === 0) {
      clearInterval(timer);
      return;
    }
    if (pod.used() > pod.limit) pod.reclaim(); // spare tmpfs pages first, as memcg reclaims before it kills
    if (pod.used() <= pod.limit) return;
    const victim = live.reduce((a, b) => (bytesOf(b) > bytesOf(a) ? b : a));
    const name = [...running.pod.containers].find(([, c]) => c.ns === victim.proc.mounts)?.[0] ?? '?';
    log(`container ${name}: pid ${victim.proc.pid} ended (137): the pod's memory limit of ${pod.limit} bytes is reached (${pod.used()} bytes)`);
    running.scheduler.kill(victim, 137);
  }, OOM_CHECK_MS);
  timer.unref();
}
