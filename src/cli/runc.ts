// runc's verbs as containerd's runc shim calls them (create, start, state, kill, delete, pause, resume, ps,
// exec --process, checkpoint, restore, events, features, spec), rendered as runc renders them: state as
// runtime-spec JSON, ps as a JSON list of pids, nothing on success otherwise. The work is the client's
// (client/runc.ts); a container a verb names is one of a pod's.
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AmberError } from '../base/error.js';
import {
  checkpointContainer, containerPids, containerState, createContainer, deleteContainer, execInContainer, isContainer,
  killContainer, listContainers, pauseContainer, readProcessFile, restoreContainer, startContainer, ContainerNotFoundError,
} from '../client/runc.js';
import { PodNotFoundError } from '../client/errors.js';
import { Pod } from '../client/pod.js';
import type { OnProgress } from '../client/progress.js';
import { signalNumber } from '../client/signals.js';
import { defaultSpec, FEATURES } from './runcspec.js';

export { isContainer };

/**
 * Why --console-socket (and exec --tty) is refused: runc sends a pseudo-terminal's master over the socket,
 * and Node can neither open one (no openpty) nor pass a descriptor over a socket (no SCM_RIGHTS); a pair
 * of pipes would not be a terminal (no line discipline, no window size, no job control).
 */
const NO_TERMINAL = 'a terminal is not supported (Amber cannot make a pseudo-terminal to send); run the container without one (ctr run without -t)';

function print(v: unknown): void {
  process.stdout.write(JSON.stringify(v) + '\n');
}

/** runc create; onProgress hears each phase (the command's --debug log shows where its time went). */
export async function createVerb(root: string, id: string, o: { bundle?: string; pidFile?: string; consoleSocket?: string }, onProgress?: OnProgress): Promise<void> {
  if (o.consoleSocket !== undefined) throw new AmberError(`--console-socket: ${NO_TERMINAL}`);
  await createContainer(id, { root, ...(o.bundle !== undefined ? { bundle: o.bundle } : {}), ...(o.pidFile !== undefined ? { pidFile: o.pidFile } : {}), ...(onProgress !== undefined ? { onProgress } : {}) });
}

export async function startVerb(root: string, id: string): Promise<void> {
  await startContainer(id, { root });
}

export function containerStateVerb(root: string, id: string): void {
  process.stdout.write(JSON.stringify(containerState(id, { root }), null, 2) + '\n');
}

export async function containerKillVerb(root: string, id: string, signal: string | undefined, all: boolean): Promise<void> {
  await killContainer(id, signalNumber(signal), { root, all });
}

/** runc delete ID...: each in turn; with --force, an id that names nothing is no error. */
export async function deleteVerb(root: string, ids: string[], force: boolean): Promise<void> {
  for (const id of ids) {
    if (isContainer(id, { root })) {
      await deleteContainer(id, { root, force });
      continue;
    }
    try {
      await Pod.get(id, { root }).delete({ force });
    } catch (e) {
      if (force) continue;
      // runc's words: containerd's shim takes "does not exist" to mean the container is gone already.
      throw e instanceof PodNotFoundError ? new ContainerNotFoundError(id) : e;
    }
  }
}

export async function pauseVerb(root: string, id: string, pause: boolean): Promise<void> {
  await pauseContainer(id, pause, { root });
}

export function psVerb(root: string, id: string, format: string): void {
  const pids = containerPids(id, { root });
  if (format === 'json') print(pids);
  else process.stdout.write(['PID', ...pids.map(String)].join('\n') + '\n');
}

/** runc events: with --stats one stats event; else nothing until the container stops. */
export async function eventsVerb(root: string, id: string, stats: boolean): Promise<void> {
  if (stats) {
    containerState(id, { root });
    print({ type: 'stats', id, data: {} });
    return;
  }
  while (containerState(id, { root }).status !== 'stopped') await new Promise((res) => setTimeout(res, 500));
}

/** runc exec: --process FILE, or the program and its arguments on the command line. */
export async function containerExecVerb(root: string, id: string, argv: string[], o: { process?: string; detach?: boolean; pidFile?: string; env: string[]; cwd?: string; consoleSocket?: string; tty?: boolean }): Promise<number> {
  if (o.consoleSocket !== undefined || o.tty === true) throw new AmberError(`exec ${o.tty === true ? '--tty' : '--console-socket'}: ${NO_TERMINAL}`);
  const proc = o.process !== undefined ? readProcessFile(o.process) : { args: argv, env: o.env, cwd: o.cwd ?? '/' };
  if (proc.args.length === 0) throw new AmberError('exec: expected --process FILE or a program to run');
  const r = await execInContainer(id, proc, { root, detach: o.detach === true, ...(o.pidFile !== undefined ? { pidFile: o.pidFile } : {}) });
  return r.status ?? 0;
}

export async function containerCheckpointVerb(root: string, id: string, o: { imagePath?: string; leaveRunning?: boolean }): Promise<void> {
  if (o.imagePath === undefined) throw new AmberError('checkpoint: --image-path is required');
  await checkpointContainer(id, o.imagePath, { root, leaveRunning: o.leaveRunning === true });
}

export async function containerRestoreVerb(root: string, id: string, o: { imagePath: string; bundle?: string; pidFile?: string; consoleSocket?: string }, onProgress?: OnProgress): Promise<void> {
  if (o.consoleSocket !== undefined) throw new AmberError(`--console-socket: ${NO_TERMINAL}`);
  await restoreContainer(id, { root, imagePath: o.imagePath, ...(o.bundle !== undefined ? { bundle: o.bundle } : {}), ...(o.pidFile !== undefined ? { pidFile: o.pidFile } : {}), ...(onProgress !== undefined ? { onProgress } : {}) });
}

export function listContainersVerb(root: string, quiet: boolean): void {
  const all = listContainers({ root });
  if (quiet) process.stdout.write(all.map((c) => `${c.id}\n`).join(''));
  else print(all);
}

export function featuresVerb(): void {
  process.stdout.write(JSON.stringify(FEATURES, null, 2) + '\n');
}

/** runc spec: a default config.json in the bundle (never over one that is there). */
export function specVerb(bundle: string | undefined): void {
  const file = join(resolve(bundle ?? '.'), 'config.json');
  if (existsSync(file)) throw new AmberError(`${file}: exists already; remove it first`);
  writeFileSync(file, JSON.stringify(defaultSpec(), null, '\t') + '\n');
}

export { ContainerNotFoundError };
