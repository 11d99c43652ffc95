// Starting a pod's sandbox process, like runsc's sandbox.New: the pod's record and launch.json are made
// in the state root, the sandbox (`node sandbox/start.js ROOT ID`, or node started from its snapshot:
// host/entryscript.ts) is started detached with its output in the pod's sandbox.log, and the client
// waits until the pod runs, the sandbox reports why it could not start it (its `error` file, one line),
// or the sandbox dies or hangs; a pod that never ran is removed again. A caller with work to do before
// the pod can be made (reading an image, checking modules) starts the sandbox first (prestartSandbox):
// its node starts meanwhile, and it is told its pod's id once the pod is made (sandbox/idonstdin.ts). A
// detached restore's sandbox may be started even earlier, by bin/amber beside the command's own node
// (adoptSandbox; sandbox/idbeside.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmberError } from '../base/error.js';
import { progressFile, readProgress } from '../host/control.js';
import { changeOrTimeout, watchDir } from '../host/dirwatch.js';
import { sandboxEntry } from '../host/entryscript.js';
import { guestStackFlags } from '../host/gueststack.js';
import { processAlive } from '../host/pidalive.js';
import { startEnv } from '../host/startenv.js';
import { validId, type StateRoot } from '../host/stateroot.js';
import { besideIdFile } from '../sandbox/idbeside.js';
import type { Launch } from '../sandbox/protocol.js';
import { SandboxError } from './errors.js';
import type { OnProgress } from './progress.js';

/** How long a sandbox may take to start its pod. */
const START_TIMEOUT_MS = 30_000;
/** The record is looked at when the pod's folder changes (the sandbox renames a new record in), and at
 *  least this often (a sandbox that died, a progress file). */
const POLL_MS = 20;
/** node's exit code when V8 refuses a startup snapshot (built by another node or with other flags). */
const SNAPSHOT_REFUSED = 14;

/** A started sandbox process, and how it ended once it has (null: ended, its code unknown). */
export interface Sandbox {
  pid: number | undefined;
  snapshot: boolean;
  readonly exit: number | null | undefined;
}

/**
 * Starts a sandbox detached, its output appended to log, with the native stack its guests need
 * (host/gueststack.ts: a sandbox can be given it only at start), from the sandbox's snapshot when one
 * fits unless noSnapshot. args: ID, or `- EARLYLOG` for an id given later on its stdin.
 */
function spawnSandbox(root: StateRoot, log: string, args: readonly string[], noSnapshot = false): Sandbox & { child: ChildProcess } {
  const fd = openSync(log, 'a');
  // libuv's pool runs the sandbox's image I/O and its off-thread hashing: with Node's default 4 threads,
  // blob writes waiting on fsync would hold up the hashes of the next blobs.
  // NODE_EXTRA_CA_CERTS aside while it starts (host/startenv.ts).
  const env = startEnv({ ...process.env, UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] ?? '8' });
  const flags = guestStackFlags();
  const entry = sandboxEntry(flags, !noSnapshot);
  const stdin = args[0] === '-' ? 'pipe' : 'ignore';
  const child = spawn(process.execPath, [...flags, ...entry.args, root.dir, ...args], { detached: true, stdio: [stdin, fd, fd], env });
  closeSync(fd);
  let exit: number | null | undefined;
  child.on('exit', (code) => {
    exit = code;
  });
  child.unref();
  return { child, pid: child.pid, snapshot: entry.snapshot, get exit() { return exit; } };
}

/** Starts the sandbox of pod id, whose folder exists, its output in the pod's sandbox.log. */
function startSandbox(root: StateRoot, id: string, noSnapshot = false): Sandbox {
  return spawnSandbox(root, join(root.podDir(id), 'sandbox.log'), [id], noSnapshot);
}

/** A sandbox started before its pod was made: launchSandbox gives it its pod; cancel ends it otherwise. */
export interface EarlySandbox {
  /** The sandbox, told pod id (its early log moved to the pod's sandbox.log); null if it has ended. */
  claim(id: string): Sandbox | null;
  /** Ends the sandbox if it was not claimed (it removes its early log): its client gives up. */
  cancel(): void;
}

/**
 * Starts a sandbox now, for a pod made later (launchSandbox with it): a restore or run reads its image or
 * modules meanwhile. Its output goes to ROOT/starting/ until it is claimed.
 */
export function prestartSandbox(root: StateRoot): EarlySandbox {
  mkdirSync(join(root.dir, 'starting'), { recursive: true });
  const log = join(root.dir, 'starting', `${process.pid}-${Date.now().toString(36)}.sandbox.log`);
  const sandbox = spawnSandbox(root, log, ['-', log]);
  // A sandbox that ended already (V8 refused its snapshot) is seen by its exit: not by this pipe's EPIPE.
  sandbox.child.stdin?.on('error', () => {});
  let open = true;
  const close = (line: string): void => {
    open = false;
    sandbox.child.stdin?.end(line);
  };
  return {
    claim(id) {
      if (!open) return null;
      if (sandbox.exit !== undefined) {
        open = false;
        rmSync(log, { force: true });
        return null;
      }
      renameSync(log, join(root.podDir(id), 'sandbox.log'));
      close(`${id}\n`);
      return sandbox;
    },
    cancel() {
      if (open) close('');
    },
  };
}

/** A sandbox bin/amber started beside this command (its pid, and its early log: ROOT/starting/PID.sandbox.log). */
export interface StartedSandbox {
  pid: number;
  log: string;
}

/** Ends a sandbox started beside this command that nothing claimed, and removes its early log. */
export function endStartedSandbox(started: StartedSandbox): void {
  try {
    // Its parent is this process (bin/amber exec'd into it): its pid stays its own until this one ends.
    process.kill(started.pid, 'SIGKILL');
  } catch {
    // ended already
  }
  rmSync(started.log, { force: true });
  rmSync(besideIdFile(started.log), { force: true });
}

/**
 * The sandbox bin/amber started beside this command, as an EarlySandbox of root, when it fits: its early
 * log is this process's in root's starting/ (bin/amber found the same state root) and it was started
 * from the snapshot a sandbox started here would be. Otherwise it is ended, and null.
 */
export function adoptSandbox(root: StateRoot, started: StartedSandbox): EarlySandbox | null {
  if (started.log !== join(root.dir, 'starting', `${process.pid}.sandbox.log`) || !sandboxEntry(guestStackFlags()).snapshot) {
    endStartedSandbox(started);
    return null;
  }
  let open = true;
  return {
    claim(id) {
      if (!open) return null;
      open = false;
      // Ended already (V8 refused its snapshot): a zombie until this process ends, so not running.
      if (!processAlive(started.pid)) {
        endStartedSandbox(started);
        return null;
      }
      renameSync(started.log, join(root.podDir(id), 'sandbox.log'));
      const file = besideIdFile(started.log);
      writeFileSync(`${file}.tmp`, `${id}\n`);
      renameSync(`${file}.tmp`, file);
      return { pid: started.pid, snapshot: true, get exit() { return processAlive(started.pid) ? undefined : null; } };
    },
    cancel() {
      if (open) endStartedSandbox(started);
      open = false;
    },
  };
}

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
export async function launchSandbox(root: StateRoot, id: string, containers: readonly string[], launch: Launch, onProgress?: OnProgress, onSpawned?: () => void, early?: EarlySandbox): Promise<void> {
  if (!validId(id)) throw new AmberError(`${id}: not a valid pod id (letters, digits, '_', '.', '-')`);
  const created = root.create({
    id, status: 'creating', sandboxPid: null, source: launch.source, createdAt: new Date().toISOString(),
    containers: containers.map((name) => ({ name, exitCode: null })), annotations: {},
  });
  if (!created) throw new AmberError(`a pod named ${id} already exists under ${root.dir}`);
  writeFileSync(join(root.podDir(id), 'launch.json'), JSON.stringify(launch));
  let sandbox = early?.claim(id) ?? startSandbox(root, id);
  onSpawned?.();
  onProgress?.({ phase: 'starting the sandbox' });
  const progress = progressFile(root.podDir(id));
  const deadline = Date.now() + START_TIMEOUT_MS;
  const watcher = watchDir(root.podDir(id));
  try {
    for (;;) {
      const r = root.read(id);
      if (r !== null && r.status !== 'creating') return;
      // A snapshot V8 refused (a node or flags it was not built for, a damaged file): the script instead.
      if (sandbox.exit === SNAPSHOT_REFUSED && sandbox.snapshot) sandbox = startSandbox(root, id, true);
      const exited = sandbox.exit !== undefined;
      if (exited || Date.now() > deadline) {
        // The sandbox ended (or hangs) before running the pod: its one-line reason, and no pod left behind.
        if (!exited && sandbox.pid !== undefined) {
          try {
            process.kill(sandbox.pid, 'SIGKILL');
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
      await changeOrTimeout(watcher, POLL_MS);
    }
  } finally {
    watcher?.close();
    rmSync(progress, { force: true });
  }
}
