// The sandbox of a detached pod, like runsc's sandbox process: started by `amber pod run --detach` or
// `amber restore --detach`, it runs the pod with each container's output in its log file, serves the
// pod's control socket (checkpoint, kill), and keeps the pod's record in the state root up to date.
// Invoked as: node sandbox.js ROOT ID; ROOT/pods/ID/launch.json says whether to start or restore.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { serveControl, type ControlReply, type ControlRequest } from '../host/control.js';
import { basename } from 'node:path';
import { BufferStream, LogFileStream, NullStream } from '../host/streams.js';
import { StateRoot } from '../host/stateroot.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { writeCheckpoint } from './checkpointwrite.js';
import { UserError } from './errors.js';
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
  const running: RunningPod = launch.mode === 'run'
    ? startPod(launch.spec, stdio)
    : startRestored(planRestore(launch.imagePath, launch.specFile, launch.volumes), stdio);
  const finish = (status: { killedBy?: number; checkpointed?: boolean }): void => {
    const now = root.read(id);
    if (now !== null) {
      const ends = containerEnds(running);
      const code = (c: number) => (status.checkpointed === true ? null : c >= 0 ? c : 128 + (status.killedBy ?? 9));
      root.write({ ...now, status: 'stopped', sandboxPid: null, containers: ends.map((e) => ({ name: e.name, exitCode: code(e.exitCode) })) });
    }
    process.exit(0);
  };
  const socket = root.socketPath(id);
  rmSync(socket, { force: true });
  const state = { execs: 0 };
  await serveControl(socket, (req) => handle(id, launch.source, running, state, req, finish));
  const record = root.read(id);
  if (record === null) throw new Error(`sandbox: no record for pod ${id}`);
  root.write({ ...record, status: 'running', sandboxPid: process.pid });
  await running.scheduler.run();
  finish({});
}

async function handle(id: string, source: string, running: RunningPod, state: { execs: number }, req: ControlRequest, finish: (s: { killedBy?: number; checkpointed?: boolean }) => void): Promise<ControlReply> {
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
      setTimeout(() => finish({ killedBy: sig }), 10);
      return { ok: true };
    }
    case 'checkpoint': {
      if (state.execs > 0) return { ok: false, error: `pod ${id} has an exec in progress; checkpoint it when the exec has ended` };
      const imagePath = String(req['imagePath']);
      const leaveRunning = req['leaveRunning'] === true;
      const parentPath = typeof req['parentPath'] === 'string' ? req['parentPath'] : undefined;
      // pauseMs: how long the pod's processes could not run, from asking the scheduler to pause to
      // unpausing it (with --leave-running; without, the pod stays stopped).
      const t0 = performance.now();
      await running.scheduler.pause();
      let result;
      try {
        result = writeCheckpoint(running, { id, source, imagePath, ...(parentPath !== undefined ? { parentPath } : {}) });
      } catch (e) {
        running.scheduler.unpause();
        return { ok: false, error: (e instanceof Error ? e.message.split('\n')[0] : undefined) ?? String(e) };
      }
      if (leaveRunning) running.scheduler.unpause();
      else setTimeout(() => finish({ checkpointed: true }), 10);
      const pauseMs = leaveRunning ? Math.round((performance.now() - t0) * 10) / 10 : null;
      console.log(`checkpoint ${imagePath}: ${result.bytes} bytes in ${result.ms} ms, pause ${pauseMs ?? 'until exit'}${pauseMs === null ? '' : ' ms'}`);
      return { ok: true, bytes: result.bytes, ms: result.ms, pauseMs };
    }
    case 'ping':
      return { ok: true, pid: process.pid };
    default:
      return { ok: false, error: `unknown request ${req.op}` };
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
  if (!(e instanceof UserError)) throw e;
  writeFileSync(join(new StateRoot(rootDir).podDir(id), 'error'), `${e.message}\n`);
  process.exit(1);
}
