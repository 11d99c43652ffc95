// Pods run in this process, attached to the caller's streams, like `runc run` without --detach: a pod
// from a spec, or one restored from an image. Each resolves when every container has ended, with how each
// ended. A foreground pod is registered in a state root like a detached one, so other commands reach it.
// (One program without a pod: client/do.ts.)
import { AmberError } from '../base/error.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { serveControl } from '../host/control.js';
import { defaultRoot, StateRoot, validId } from '../host/stateroot.js';
import { LogFileStream, TeeStream } from '../host/streams.js';
import type { PodStdio } from '../sandbox/bindings.js';
import { planRestore } from '../sandbox/restoreplan.js';
import { modulesToTransform } from '../sandbox/restoremodules.js';
import { startRestored } from '../sandbox/restorerun.js';
import { containerEnds, startPod, type ContainerEnd, type RunningPod } from '../sandbox/running.js';
import { PodServer } from '../sandbox/server.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { tracksWrites } from '../runtime/spec/trackwrites.js';
import { prepareModules, type PreparedModule } from './prepare.js';
import { loadSpecOverride } from './restorespec.js';
import type { OnProgress } from './progress.js';
import type { RestoreOptions, StartOptions } from './pod.js';

export type { ContainerEnd, PodStdio };

async function runToEnd(running: RunningPod): Promise<ContainerEnd[]> {
  await running.scheduler.run();
  return containerEnds(running);
}

/**
 * Runs the pod's containers here until every one has exited. A module the per-user cache lacks is
 * transformed on this thread; prepareModules first transforms them on a worker, telling of progress.
 */
export async function runPodAttached(spec: PodSpec, stdio: PodStdio): Promise<ContainerEnd[]> {
  return runToEnd(await startPod(spec, stdio));
}

/**
 * Restores the image here (every blob read and verified first, reported to onProgress) and runs it to its
 * end; stdio is given the spec restored into, to choose the containers' streams.
 */
export async function restorePodAttached(imagePath: string, opts: Omit<RestoreOptions, 'root' | 'name'>, stdio: (spec: PodSpec) => PodStdio): Promise<ContainerEnd[]> {
  const spec = await loadSpecOverride(opts.spec);
  const plan = await planRestore(imagePath, {
    lazy: true, // read as the pod is rebuilt; every blob verified before it runs
    ...(opts.verify === true ? { verify: true } : {}),
    ...(spec !== undefined ? { spec } : {}),
    ...(opts.volumes !== undefined ? { volumes: opts.volumes } : {}),
    ...(opts.onProgress !== undefined ? { onProgress: bytes(opts.onProgress) } : {}),
  });
  await prepareModules(modulesToTransform(plan.image, plan.spec), { ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}), trackWrites: tracksWrites(plan.spec) });
  const ended = runToEnd(await startRestored(plan, stdio(plan.spec)));
  void plan.image.remember(); // the blobs it hashed, recorded as verified while the pod runs
  return ended;
}

function bytes(onProgress: OnProgress): (done: number, total: number) => void {
  return (done, total) => onProgress({ done, total });
}

/** A pod running in this process and registered in a state root (`amber pod run` in the foreground). */
export interface ForegroundPod {
  id: string;
  /** Resolves when every container has ended, or a kill or checkpoint stopped the pod. */
  done: Promise<ContainerEnd[]>;
  /** Ends every container with the signal (Ctrl-C: 2), as `amber kill` from another terminal does. */
  kill(signal: number): Promise<void>;
}

/**
 * Runs the pod here, attached to stdio, as `runc run` does: registered in the state root like a detached
 * pod (its record, its control socket, its output also in its log files), so `list`, `state`, `logs`,
 * `exec` and `checkpoint` reach it from elsewhere; the record goes when the run ends.
 */
export async function runPodForeground(spec: PodSpec, opts: StartOptions & { prepared?: readonly PreparedModule[] }, stdio: PodStdio): Promise<ForegroundPod> {
  const root = new StateRoot(opts.root ?? defaultRoot());
  const id = opts.name ?? spec.name;
  if (!validId(id)) throw new AmberError(`${id}: not a valid pod id (letters, digits, '_', '.', '-')`);
  const created = root.create({
    id, status: 'creating', sandboxPid: process.pid, source: opts.source, createdAt: new Date().toISOString(),
    containers: spec.containers.map((c) => ({ name: c.name, exitCode: null })), annotations: {},
  });
  if (!created) throw new AmberError(`a pod named ${id} already exists under ${root.dir}`);
  const logs: HostStream[] = [];
  const tee: PodStdio = (name) => {
    const [i, o, e] = stdio(name);
    const log = new LogFileStream(root.logPath(id, name));
    logs.push(log);
    return [i, new TeeStream(o, log), new TeeStream(e, log)];
  };
  let running: RunningPod;
  try {
    running = await startPod(spec, tee, new Map((opts.prepared ?? []).map((p) => [p.module, p])));
  } catch (e) {
    root.remove(id);
    throw e;
  }
  let stopped!: () => void;
  const stop = new Promise<void>((res) => {
    stopped = res;
  });
  const server = new PodServer(root, id, opts.source, running, undefined, stopped);
  const socket = await serveControl(root.socketPath(id), (req, progress, channel) => server.handle(req, progress, channel));
  server.recordRunning();
  const done = (async (): Promise<ContainerEnd[]> => {
    try {
      await Promise.race([server.run(), stop]);
      server.recordStopped({});
      const codes = new Map((root.read(id)?.containers ?? []).map((c) => [c.name, c.exitCode]));
      return containerEnds(running).map((e) => (e.exitCode >= 0 ? e : { ...e, exitCode: codes.get(e.name) ?? 0 }));
    } finally {
      socket.close();
      for (const l of logs) l.close();
      root.remove(id);
    }
  })();
  return { id, done, kill: async (signal) => void (await server.handle({ op: 'kill', signal }, () => {})) };
}
