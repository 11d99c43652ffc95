// Running a pod's containers in this process (a foreground `pod run`, or the sandbox of a detached
// one). Until the scheduler lands (issue 4: Asyncify), containers run one after another, each to its
// end: pods whose containers wait on each other do not work yet.
import { NodeClock, NodeRandom } from '../host/clock.js';
import { openHostDirFs } from '../host/hostdir_mount.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { PodKernel } from '../runtime/pod.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { BadModuleError, runProgram } from '../wasi/run.js';
import { UserError } from './errors.js';
import { loadModule } from './module.js';

export interface ContainerEnd {
  name: string;
  exitCode: number;
  trap?: string;
}

export function runPodContainers(spec: PodSpec, stdio: (name: string) => readonly [HostStream, HostStream, HostStream]): ContainerEnd[] {
  const modules = new Map(spec.containers.map((c) => [c.name, loadModule(c.module)]));
  const pod = PodKernel.build(spec, {
    clock: new NodeClock(),
    random: new NodeRandom(),
    hostDir: (kernel, hostPath, readOnly) => openHostDirFs(kernel, hostPath, readOnly),
    stdio,
  });
  const ends: ContainerEnd[] = [];
  for (const [name, c] of pod.containers) {
    const module = modules.get(name) as WebAssembly.Module;
    let end;
    try {
      end = runProgram(module, c.proc);
    } catch (e) {
      if (e instanceof BadModuleError) throw new UserError(`${c.spec.module}: ${e.message}`);
      throw e;
    }
    ends.push(end.kind === 'exit' ? { name, exitCode: end.code } : { name, exitCode: 134, trap: end.message });
  }
  return ends;
}

/** A pod's exit code: 0 when every container exited 0, else the first failing one's. */
export function podExitCode(ends: readonly ContainerEnd[]): number {
  return ends.find((e) => e.exitCode !== 0)?.exitCode ?? 0;
}
