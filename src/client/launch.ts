// Starting a pod's sandbox process, like runsc's sandbox.New: the pod's record and launch.json are made
// in the state root, `node sandbox/main.js ROOT ID` is started detached with its output in the pod's
// sandbox.log, and the client waits until the pod runs, the sandbox reports why it could not start it
// (its `error` file, one line), or the sandbox dies or hangs; a pod that never ran is removed again.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmberError } from '../base/error.js';
import { progressFile, readProgress } from '../host/control.js';
import { entryScript } from '../host/entryscript.js';
import { guestStackFlags } from '../host/gueststack.js';
import { validId, type StateRoot } from '../host/stateroot.js';
import type { Launch } from '../sandbox/protocol.js';
import { SandboxError } from './errors.js';
import type { OnProgress } from './progress.js';

/** How long a sandbox may take to start its pod. */
const START_TIMEOUT_MS = 30_000;
const POLL_MS = 20;

/** The one-line error a sandbox left in its pod folder when it could not start the pod. */
function sandboxFailure(root: StateRoot, id: string): string | undefined {
  try {
    return readFileSync(join(root.podDir(id), 'error'), 'utf8').split('\n')[0];
  } catch {
    return undefined;
  }
}

/**
 * Creates the pod's record, starts its sandbox with launch, and resolves once the pod runs (or has
 * already ended). A restoring sandbox's progress reading the image reaches onProgress; onSpawned is
 * called once the sandbox process is started (a relay may start beside it).
 */
export async function launchSandbox(root: StateRoot, id: string, containers: readonly string[], launch: Launch, onProgress?: OnProgress, onSpawned?: () => void): Promise<void> {
  if (!validId(id)) throw new AmberError(`${id}: not a valid pod id (letters, digits, '_', '.', '-')`);
  const created = root.create({
    id, status: 'creating', sandboxPid: null, source: launch.source, createdAt: new Date().toISOString(),
    containers: containers.map((name) => ({ name, exitCode: null })), annotations: {},
  });
  if (!created) throw new AmberError(`a pod named ${id} already exists under ${root.dir}`);
  writeFileSync(join(root.podDir(id), 'launch.json'), JSON.stringify(launch));
  const log = openSync(join(root.podDir(id), 'sandbox.log'), 'a');
  // libuv's pool runs the sandbox's image I/O and its off-thread hashing: with Node's default 4 threads,
  // blob writes waiting on fsync would hold up the hashes of the next blobs.
  const env = { ...process.env, UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] ?? '8' };
  // With the native stack its guests need (host/gueststack.ts): a sandbox can be given it only at start.
  const child = spawn(process.execPath, [...guestStackFlags(), entryScript('sandbox'), root.dir, id], { detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.unref();
  onSpawned?.();
  onProgress?.({ phase: 'starting the sandbox' });
  const progress = progressFile(root.podDir(id));
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      const r = root.read(id);
      if (r !== null && r.status !== 'creating') return;
      if (exited || Date.now() > deadline) {
        // The sandbox ended (or hangs) before running the pod: its one-line reason, and no pod left behind.
        if (!exited && child.pid !== undefined) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
        // Its own one line, or its log, kept where the message says: the pod's folder goes.
        const why = sandboxFailure(root, id) ?? `${exited ? 'the sandbox exited before the pod started' : `the sandbox did not start the pod within ${START_TIMEOUT_MS / 1000} s`} (its log: ${root.keepFailedLog(id)})`;
        root.remove(id);
        throw new SandboxError(why);
      }
      if (onProgress !== undefined) {
        const p = readProgress(progress);
        if (p !== null) onProgress(p);
      }
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
  } finally {
    rmSync(progress, { force: true });
  }
}
