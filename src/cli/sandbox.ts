// The sandbox of a detached pod, like runsc's sandbox process: started by `amber pod run --detach` or
// `amber restore --detach`, it runs the pod with each container's output in its log file, serves the
// pod's control socket (checkpoint, kill), and keeps the pod's record in the state root up to date.
// Invoked as: node sandbox.js ROOT ID; ROOT/pods/ID/launch.json says whether to start or restore.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { fileProgress, progressFile, serveControl, type ControlProgress, type ControlReply, type ControlRequest } from '../host/control.js';
import { basename } from 'node:path';
import { BufferStream, LogFileStream, NullStream } from '../host/streams.js';
import { StateRoot } from '../host/stateroot.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { prepareCut, takeCut, writeCheckpoint, type CheckpointRequest } from './checkpointwrite.js';
import { AmberError } from '../base/error.js';
import { containerEnds, loadModuleFile, startPod, type RunningPod } from './podrun.js';
import { planRestore } from './restore.js';
import { startRestored } from './restorerun.js';

setFlagsFromString('--no-liftoff');

/** What the CLI asks the sandbox to do. */
export type Launch =
  | { mode: 'run'; spec: PodSpec; source: string }
  | { mode: 'restore'; imagePath: string; specFile?: string; volumes: string[]; source: string };

async function main(rootDir: string, id: string): Promise<void> {
  const root = new StateRoot(rootDir);
  const launch = JSON.parse(readFileSync(join(root.podDir(id), 'launch.json'), 'utf8')) as Launch;
  const stdio = (name: string) => {
    const log = new LogFileStream(root.logPath(id, name));
    return [new NullStream(), log, log] as const;
  };
  let running: RunningPod;
  if (launch.mode === 'run') {
    running = startPod(launch.spec, stdio);
  } else {
    // Where a restore's time goes, in sandbox.log: this process's start-up (Node, Amber's modules), reading
    // and verifying the image, rebuilding the pod (modules, kernel graph, each program's memory).
    const t0 = performance.now();
    const plan = planRestore(launch.imagePath, launch.specFile, launch.volumes, { onProgress: fileProgress(progressFile(root.podDir(id))) });
    const t1 = performance.now();
    running = startRestored(plan, stdio);
    console.log(`restore ${launch.imagePath}: start-up ${t0.toFixed(0)} ms, image read and verified in ${(t1 - t0).toFixed(0)} ms, pod rebuilt in ${(performance.now() - t1).toFixed(0)} ms`);
  }
  let recorded = false;
  /** Writes the stopped record (once); a reply that says the pod stopped is sent only after it. */
  const recordStopped = (status: StopStatus): void => {
    if (recorded) return;
    recorded = true;
    const now = root.read(id);
    if (now === null) return; // deleted while running
    const ends = containerEnds(running);
    const code = (c: number) => (status.checkpointed === true ? null : c >= 0 ? c : 128 + (status.killedBy ?? 9));
    root.write({ ...now, status: 'stopped', sandboxPid: null, containers: ends.map((e) => ({ name: e.name, exitCode: code(e.exitCode) })) });
  };
  const finish = (status: StopStatus): void => {
    recordStopped(status);
    process.exit(0);
  };
  const socket = root.socketPath(id);
  rmSync(socket, { force: true });
  const state: SandboxState = { execs: 0, checkpoint: null };
  await serveControl(socket, (req, progress) => handle(id, launch.source, running, state, req, progress, Object.assign(finish, { record: recordStopped })));
  const record = root.read(id);
  if (record === null) throw new Error(`sandbox: no record for pod ${id}`);
  root.write({ ...record, status: 'running', sandboxPid: process.pid });
  await running.scheduler.run();
  await state.checkpoint; // a pod left running may end while its image is still being written
  finish({});
}

interface SandboxState {
  execs: number;
  /** The image being written, if a checkpoint is under way. */
  checkpoint: Promise<unknown> | null;
}

type StopStatus = { killedBy?: number; checkpointed?: boolean };
/** Ends the sandbox (writing the stopped record first); `record` writes the record alone. */
type Finish = ((s: StopStatus) => void) & { record: (s: StopStatus) => void };

async function handle(id: string, source: string, running: RunningPod, state: SandboxState, req: ControlRequest, progress: ControlProgress, finish: Finish): Promise<ControlReply> {
  switch (req.op) {
    case 'exec': {
      const ctr = String(req['container']);
      const module = String(req['module']);
      const args = Array.isArray(req['args']) ? req['args'].map(String) : [];
      if (!running.pod.containers.has(ctr)) return { ok: false, error: `pod ${id} has no container ${ctr}` };
      let loaded;
      try {
        loaded = loadModuleFile(module);
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      const out = new BufferStream();
      const err = new BufferStream();
      const proc = running.pod.exec(ctr, [basename(module), ...args], undefined, [new NullStream(), out, err]);
      state.execs++;
      try {
        const end = await running.scheduler.add(proc, loaded.module).done;
        return { ok: true, exitCode: end.kind === 'exit' ? end.code : 134, trap: end.kind === 'trap' ? end.message : null, stdout: out.text(), stderr: err.text() };
      } finally {
        state.execs--;
      }
    }
    case 'kill': {
      const sig = typeof req['signal'] === 'number' ? req['signal'] : 15;
      // No guest runs after this point: the record says stopped before the CLI hears back.
      await running.scheduler.pause();
      finish.record({ killedBy: sig });
      setTimeout(() => finish({ killedBy: sig }), 10);
      return { ok: true };
    }
    case 'checkpoint': {
      if (state.execs > 0) return { ok: false, error: `pod ${id} has an exec in progress; checkpoint it when the exec has ended` };
      if (state.checkpoint !== null) return { ok: false, error: `pod ${id} is being checkpointed already` };
      const imagePath = String(req['imagePath']);
      const leaveRunning = req['leaveRunning'] === true;
      const parentPath = typeof req['parentPath'] === 'string' ? req['parentPath'] : undefined;
      // An exec that started while the snapshot buffers were made, or while a slice ran, is refused at the cut.
      const busy = (): string | null => (state.execs > 0 ? `pod ${id} has an exec in progress; checkpoint it when the exec has ended` : null);
      const checkpoint = checkpointPod(running, { id, source, imagePath, ...(parentPath !== undefined ? { parentPath } : {}), onProgress: progress }, leaveRunning, busy);
      state.checkpoint = checkpoint.catch(() => {});
      let result;
      try {
        result = await checkpoint;
      } catch (e) {
        return { ok: false, error: (e instanceof Error ? e.message.split('\n')[0] : undefined) ?? String(e) };
      } finally {
        state.checkpoint = null;
      }
      if (!leaveRunning) {
        finish.record({ checkpointed: true });
        setTimeout(() => finish({ checkpointed: true }), 10);
      }
      console.log(`checkpoint ${imagePath}: ${result.bytes} bytes, snapshot buffers made in ${result.prepareMs} ms, pause ${result.pauseMs === null ? 'until exit' : `${result.pauseMs} ms`}, written in ${result.ms} ms`);
      return { ok: true, bytes: result.bytes, ms: result.ms, pauseMs: result.pauseMs };
    }
    case 'ping':
      return { ok: true, pid: process.pid };
    default:
      return { ok: false, error: `unknown request ${req.op}` };
  }
}

/**
 * One checkpoint: the scheduler paused for the cut alone when the pod is left running (its memory copied
 * into buffers made beforehand, then unpaused before the image is written), else paused for good.
 * pauseMs is how long the pod's processes could not run, from asking the scheduler to pause to unpausing
 * it; null when it stays stopped. busy() says why no cut can be taken now (an exec under way).
 */
async function checkpointPod(running: RunningPod, req: CheckpointRequest, leaveRunning: boolean, busy: () => string | null): Promise<{ bytes: number; ms: number; pauseMs: number | null; prepareMs: number }> {
  const tp = performance.now();
  const snapshots = leaveRunning ? await prepareCut(running) : undefined;
  const t0 = performance.now();
  const prepareMs = Math.round(t0 - tp);
  await running.scheduler.pause();
  let pauseMs: number | null = null;
  try {
    const why = busy();
    if (why !== null) throw new Error(why);
    const payloads = takeCut(running, snapshots);
    if (leaveRunning) {
      running.scheduler.unpause();
      pauseMs = Math.round((performance.now() - t0) * 10) / 10;
    }
    return { ...await writeCheckpoint(running, payloads, req), pauseMs, prepareMs };
  } catch (e) {
    if (pauseMs === null) running.scheduler.unpause();
    throw e;
  }
}

const [rootDir, id] = process.argv.slice(2);
if (rootDir === undefined || id === undefined) {
  process.stderr.write('usage: sandbox ROOT ID\n');
  process.exit(2);
}
try {
  await main(rootDir, id);
} catch (e) {
  // A user error (a module that changed, a host file that changed since the checkpoint) goes back to
  // the CLI that launched this sandbox as one line; anything else is a bug and keeps its stack here.
  if (!(e instanceof AmberError)) throw e;
  writeFileSync(join(new StateRoot(rootDir).podDir(id), 'error'), `${e.line}\n`);
  process.exit(1);
}
