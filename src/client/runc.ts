// Containers through runc's verbs, as containerd's runc shim drives them (create, start, state, kill,
// delete, pause, resume, ps, exec, checkpoint, restore), like runsc's container package: each container
// is one of a pod's, held by that pod's sandbox, with a relay process of its own (the pid the pid file
// names) holding its stdio and exiting with its status. Pods form from CRI's annotations as runsc forms
// them: the sandbox container starts the pod, a container naming its sandbox id joins it; a container
// without them is a pod of its own. Results are returned and errors thrown, never printed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AmberError, messageOf } from '../base/error.js';
import { callControl } from '../host/control.js';
import { defaultRoot, StateRoot, validId, type ContainerIndex, type ContainerRecord, type PodRecord } from '../host/stateroot.js';
import { resolvePath, underRoot } from '../runtime/spec/paths.js';
import type { ContainerRequest, ControlReply } from '../sandbox/protocol.js';
import { PodStateError, SandboxError } from './errors.js';
import { launchSandbox } from './launch.js';
import { Pod, type RootOptions } from './pod.js';
import type { OnProgress } from './progress.js';
import { startRelay, writePidFile, type Relay, type RelayStdio } from './relaylaunch.js';

/** CRI's annotations (containerd's, then CRI-O's), as runsc reads them. */
const CONTAINER_TYPE = ['io.kubernetes.cri.container-type', 'io.kubernetes.cri-o.ContainerType'];
const SANDBOX_ID = ['io.kubernetes.cri.sandbox-id', 'io.kubernetes.cri-o.SandboxID'];
const CONTAINER_NAME = ['io.kubernetes.cri.container-name', 'io.kubernetes.cri-o.ContainerName'];

// Specs (zod) are loaded only by the verbs that read a bundle, so start, state, kill and delete,
// which the shim calls one process each, start fast.
const specFiles = () => import('../host/bundlefile.js');
type BundleFiles = Awaited<ReturnType<typeof specFiles>>;
type BundleConfig = ReturnType<BundleFiles['readBundleConfig']>;

function annotation(a: Record<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (a[k] !== undefined && a[k] !== '') return a[k];
  return undefined;
}

/** A new container's bundle as CRI annotates it: the pod it makes or joins, and the name it asks for. */
interface NewContainerBundle {
  /** The bundle's folder, absolute. */
  bundle: string;
  config: BundleConfig;
  bundleSpec: BundleFiles['bundleSpec'];
  /** CRI's container type: 'sandbox' for a pod's own (pause) container, 'container' for one joining it. */
  type: string | undefined;
  /** The container joins a running pod (its sandbox-id names another container) instead of making one. */
  joins: boolean;
  podId: string;
  /** CRI's container name, else the id. */
  wanted: string;
}

/** The checks `runc create` and `runc restore` share: a valid, unused id, and the bundle's config read. */
async function newContainerBundle(root: StateRoot, id: string, bundleOpt: string | undefined): Promise<NewContainerBundle> {
  if (!validId(id)) throw new AmberError(`${id}: not a valid container id (letters, digits, '_', '.', '-')`);
  if (root.readContainer(id) !== null || root.exists(id)) throw new AmberError(`container with id exists: ${id}`);
  const bundle = resolve(bundleOpt ?? '.');
  const { bundleSpec, readBundleConfig } = await specFiles();
  const config = readBundleConfig(bundle);
  const a = config.config.annotations;
  const type = annotation(a, CONTAINER_TYPE);
  const sandboxId = annotation(a, SANDBOX_ID);
  const joins = type === 'container' && sandboxId !== undefined && sandboxId !== id;
  return { bundle, config, bundleSpec, type, joins, podId: joins ? sandboxId : id, wanted: annotation(a, CONTAINER_NAME) ?? id };
}

/** A container's state as `runc state` prints it (runtime-spec's state, plus runc's fields). */
export interface ContainerState {
  ociVersion: string;
  id: string;
  pid: number;
  status: 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
}

/** The error runc gives for an id it does not know; containerd's shim looks for "does not exist". */
export class ContainerNotFoundError extends AmberError {
  constructor(id: string) {
    super(`container ${id} does not exist`);
    this.name = 'ContainerNotFoundError';
  }
}

function stateRoot(opts: RootOptions): StateRoot {
  return new StateRoot(opts.root ?? defaultRoot());
}

function indexOf(root: StateRoot, id: string): ContainerIndex {
  const c = root.readContainer(id);
  if (c === null) throw new ContainerNotFoundError(id);
  return c;
}

/** The container's entry in its pod's record; stopped when the pod's sandbox is gone. */
function recordOf(root: StateRoot, c: ContainerIndex): { pod: PodRecord | null; rec: ContainerRecord | undefined } {
  const pod = root.read(c.pod);
  const rec = pod?.containers.find((x) => x.name === c.name);
  if (pod === null || pod.status === 'stopped') return { pod, rec: { name: c.name, exitCode: rec?.exitCode ?? null, status: 'stopped', pid: rec?.pid ?? null } };
  return { pod, rec };
}

/** One of runc's verbs on a container, sent to its pod's sandbox. */
async function ask(root: StateRoot, podId: string, req: ContainerRequest, what: string, timeoutMs = 30_000): Promise<void> {
  let reply: ControlReply<ContainerRequest['op']>;
  try {
    reply = (await callControl(root.socketPath(podId), req, timeoutMs)) as ControlReply<ContainerRequest['op']>;
  } catch (e) {
    throw new SandboxError(`${what}: the sandbox did not answer (${messageOf(e)})`, { answered: false });
  }
  if (!reply.ok) throw new SandboxError(`${what}: ${reply.error}`);
}

export interface CreateOptions extends RootOptions {
  /** The bundle directory (runc's default: the current directory). */
  bundle?: string;
  pidFile?: string;
  /** The relay's stdin, stdout and stderr (default: this process's, as the shim hands them to runc). */
  stdio?: RelayStdio;
  /** Told of each phase: the bundle read, the sandbox running, the relay attached. */
  onProgress?: OnProgress;
}

/**
 * `runc create`: the container made in its pod's sandbox (a new one for a pod's first container), not
 * yet running, and its relay started on this process's stdio; returns the relay, whose pid is also
 * written to the pid file.
 */
export async function createContainer(id: string, opts: CreateOptions = {}): Promise<Relay> {
  const root = stateRoot(opts);
  const { bundle, config, bundleSpec, type, joins, podId, wanted } = await newContainerBundle(root, id, opts.bundle);
  const a = config.config.annotations;
  let name = wanted;
  let podRecord: PodRecord | null = null;
  if (joins) {
    podRecord = root.read(podId);
    if (podRecord === null || podRecord.status !== 'running') throw new AmberError(`config.json: annotations: the pod sandbox ${podId} is not running`);
    if (podRecord.containers.some((c) => c.name === name)) name = id;
  }
  const spec = bundleSpec(config, podId, { containerName: name, infrastructure: type === 'sandbox' });
  const container = spec.containers[0];
  if (container === undefined) throw new Error('kernel bug: a bundle made no container');
  opts.onProgress?.({ phase: 'the bundle read' });
  const relay = await withRelay(root, podId, name, opts, !joins, (spawned) => joins
    ? ask(root, podId, { op: 'add', container }, `create ${id}`)
    : launchSandbox(root, podId, [name], { mode: 'create', spec, source: bundle }, undefined, spawned));
  root.createContainer({ id, pod: podId, name, bundle, rootfs: config.config.root.path, createdAt: new Date().toISOString(), annotations: a });
  if (opts.pidFile !== undefined) writePidFile(opts.pidFile, relay.pid);
  return relay;
}

/**
 * The container's relay, started as soon as its pod's new sandbox is (start calls spawned) so the two
 * processes start up side by side, or once start is done (a container joining a running pod). A relay
 * whose sandbox failed to start is killed; a container whose relay failed to attach is undone.
 */
async function withRelay(root: StateRoot, podId: string, name: string, opts: { stdio?: RelayStdio; onProgress?: OnProgress }, ownsPod: boolean, start: (spawned: () => void) => Promise<void>): Promise<Relay> {
  const abort = new AbortController();
  let relay: Promise<Relay> | undefined;
  const spawn = (): Promise<Relay> => {
    if (relay === undefined) {
      relay = startRelay(root.attachPath(podId), { container: name }, { detached: true, signal: abort.signal, ...(opts.stdio !== undefined ? { stdio: opts.stdio } : {}) });
      relay.catch(() => {}); // heard below, or moot once start failed
    }
    return relay;
  };
  try {
    await start(() => void spawn());
  } catch (e) {
    abort.abort();
    throw e;
  }
  opts.onProgress?.({ phase: ownsPod ? 'the sandbox runs' : 'the sandbox took the container' });
  try {
    const r = await spawn();
    opts.onProgress?.({ phase: 'the relay attached' });
    return r;
  } catch (e) {
    await forget(root, podId, name, ownsPod);
    throw e;
  }
}

/** Undoes a container: out of its pod, or the whole pod when it was the pod's own. */
async function forget(root: StateRoot, podId: string, name: string, ownsPod: boolean): Promise<void> {
  if (ownsPod) {
    try {
      await Pod.get(podId, { root: root.dir }).delete({ force: true });
    } catch {
      root.remove(podId);
    }
    return;
  }
  try {
    await ask(root, podId, { op: 'remove', container: name }, 'remove');
  } catch {
    // the sandbox is gone; its record says so
  }
}

/** `runc start`: the created container's process runs; returns at once. */
export async function startContainer(id: string, opts: RootOptions = {}): Promise<void> {
  const root = stateRoot(opts);
  const c = indexOf(root, id);
  const { rec } = recordOf(root, c);
  if (rec?.status !== 'created') throw new PodStateError(`cannot start a container that is ${rec?.status ?? 'gone'}`);
  await ask(root, c.pod, { op: 'start', container: c.name }, `start ${id}`);
}

/** `runc state`. */
export function containerState(id: string, opts: RootOptions = {}): ContainerState {
  const root = stateRoot(opts);
  const c = indexOf(root, id);
  const { rec } = recordOf(root, c);
  const status = rec?.status ?? 'stopped';
  return {
    ociVersion: '1.0.2',
    id,
    pid: status === 'stopped' ? 0 : rec?.pid ?? 0,
    status,
    bundle: c.bundle,
    rootfs: c.rootfs,
    created: c.createdAt,
    owner: '',
    annotations: c.annotations,
  };
}

/** `runc list`: every container's state. */
export function listContainers(opts: RootOptions = {}): ContainerState[] {
  return stateRoot(opts).listContainers().map((c) => containerState(c.id, opts));
}

/** Whether id names a container made by runc's verbs (rather than a pod run whole). */
export function isContainer(id: string, opts: RootOptions = {}): boolean {
  return stateRoot(opts).readContainer(id) !== null;
}

/** `runc kill [--all] ID SIGNAL`. */
export async function killContainer(id: string, signal: number, opts: RootOptions & { all?: boolean } = {}): Promise<void> {
  const root = stateRoot(opts);
  const c = indexOf(root, id);
  const { rec } = recordOf(root, c);
  if (rec?.status === 'stopped') throw new PodStateError('container not running');
  await ask(root, c.pod, { op: 'signal', container: c.name, signal, all: opts.all === true }, `kill ${id}`);
}

/** `runc delete [--force]`: a stopped container goes (with force, a running one is killed first). */
export async function deleteContainer(id: string, opts: RootOptions & { force?: boolean } = {}): Promise<void> {
  const root = stateRoot(opts);
  const c = indexOf(root, id);
  const { rec } = recordOf(root, c);
  const status = rec?.status ?? 'stopped';
  if (status !== 'stopped' && status !== 'created' && opts.force !== true) throw new PodStateError(`cannot delete container ${id} that is not stopped: ${status}`);
  await forget(root, c.pod, c.name, c.pod === id);
  root.removeContainer(id);
}

/** `runc pause` / `runc resume`: the container's whole pod stops running, or runs again. */
export async function pauseContainer(id: string, pause: boolean, opts: RootOptions = {}): Promise<void> {
  const root = stateRoot(opts);
  const c = indexOf(root, id);
  const { rec } = recordOf(root, c);
  if (rec?.status === 'stopped') throw new PodStateError('container not running');
  await ask(root, c.pod, { op: pause ? 'pause' : 'resume' }, `${pause ? 'pause' : 'resume'} ${id}`);
}

/** `runc ps --format json`: the host pids of the container's processes (its relay). */
export function containerPids(id: string, opts: RootOptions = {}): number[] {
  const s = containerState(id, opts);
  return s.pid > 0 ? [s.pid] : [];
}

/** The pod that holds the container, for whole-pod operations (checkpoint). */
export function podOf(id: string, opts: RootOptions = {}): string {
  return indexOf(stateRoot(opts), id).pod;
}

export interface ExecProcess {
  args: string[];
  env: string[];
  cwd: string;
}

/** A runtime-spec process (runc exec --process FILE). */
export function readProcessFile(file: string): ExecProcess {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AmberError(`${file}: ${messageOf(e)}`);
  }
  const p = v as { args?: unknown; env?: unknown; cwd?: unknown; terminal?: unknown };
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((s) => typeof s === 'string');
  if (!strings(p.args) || p.args.length === 0) throw new AmberError(`${file}: args: expected a list of strings, the first the .wasm program`);
  if (p.terminal === true) throw new AmberError(`${file}: terminal: a terminal is not supported`);
  return { args: p.args, env: strings(p.env) ? p.env : [], cwd: typeof p.cwd === 'string' && p.cwd.startsWith('/') ? p.cwd : '/' };
}

/**
 * `runc exec`: one more process in the running container, its relay on this process's stdio. Detached,
 * returns the relay's pid (also written to the pid file); else waits and returns the process's status.
 */
export async function execInContainer(id: string, proc: ExecProcess, opts: RootOptions & { detach?: boolean; pidFile?: string } = {}): Promise<{ pid: number; status?: number }> {
  const root = stateRoot(opts);
  const c = indexOf(root, id);
  const { rec } = recordOf(root, c);
  if (rec?.status !== 'running') throw new PodStateError(`cannot exec in a container that is ${rec?.status ?? 'gone'}`);
  const arg0 = proc.args[0] ?? '';
  const module = underRoot(c.rootfs, resolvePath(proc.cwd, arg0));
  const detached = opts.detach === true;
  const relay = await startRelay(root.attachPath(c.pod), { container: c.name, exec: { module, argv: proc.args, env: proc.env, cwd: proc.cwd } }, { detached });
  if (opts.pidFile !== undefined) writePidFile(opts.pidFile, relay.pid);
  if (detached) return { pid: relay.pid };
  return { pid: relay.pid, status: await relay.exited };
}

/** `runc checkpoint`: an image of the container's whole pod (one consistent cut of every container). */
export async function checkpointContainer(id: string, imagePath: string, opts: RootOptions & { leaveRunning?: boolean } = {}): Promise<void> {
  const root = stateRoot(opts);
  const c = indexOf(root, id);
  await Pod.get(c.pod, { root: root.dir }).checkpoint(imagePath, { leaveRunning: opts.leaveRunning === true });
}

export interface RestoreContainerOptions extends RootOptions {
  imagePath: string;
  bundle?: string;
  pidFile?: string;
  /** The relay's stdin, stdout and stderr (default: this process's, as the shim hands them to runc). */
  stdio?: RelayStdio;
  /** Told of each phase: the image opened, the sandbox running (or the container claimed), the relay attached. */
  onProgress?: OnProgress;
}

/** How long the last container's restore may wait for the whole pod to be rebuilt. */
const CLAIM_TIMEOUT_MS = 5 * 60_000;

/**
 * `runc restore --detach`, as runsc maps one whole-pod image to a restore per container: the pod's own
 * container (a container without CRI annotations, or CRI's sandbox container) brings the image's pod
 * back in a sandbox named id, its container bound to a relay on this process's stdio (its root and
 * mounts the new bundle's). Each other container of the image (one that had ended too, as runsc counts
 * them all) is restored by a restore of its own whose bundle names that sandbox (CRI's sandbox-id) and the container (CRI's
 * container-name, else its id); it claims the container (the image it is given must hold it, but the pod
 * comes back from the sandbox container's image: one cut of every container). The pod is rebuilt and runs
 * when the last container has been claimed. Returns the relay (its pid also written to the pid file).
 */
export async function restoreContainer(id: string, opts: RestoreContainerOptions): Promise<Relay> {
  const root = stateRoot(opts);
  const { bundle, config, bundleSpec, joins, podId, wanted } = await newContainerBundle(root, id, opts.bundle);
  const a = config.config.annotations;
  const { planRestore } = await import('../sandbox/restoreplan.js');
  const saved = (await planRestore(opts.imagePath, { lazy: true })).spec;
  const names = saved.containers.map((c) => c.name);
  // The pod's own container is the image's first (the one whose create made the pod) unless it is named.
  const name = names.length === 1 ? names[0] : names.find((n) => n === wanted) ?? (joins ? undefined : names[0]);
  if (name === undefined) throw new AmberError(`${opts.imagePath}: the image holds containers ${names.join(', ')}; none is ${wanted}`);
  const container = bundleSpec(config, podId, { containerName: name, infrastructure: saved.containers.find((c) => c.name === name)?.pause === true }).containers[0];
  if (container === undefined) throw new Error('kernel bug: a bundle made no container');
  if (joins) {
    const pod = root.read(podId);
    if (pod === null || pod.status !== 'running') throw new AmberError(`config.json: annotations: the pod sandbox ${podId} is not running; restore its sandbox container first`);
  }
  opts.onProgress?.({ phase: 'the bundle and the image read' });
  const relay = await withRelay(root, podId, name, opts, !joins, (spawned) => joins
    ? ask(root, podId, { op: 'claim', container }, `restore ${id}`, CLAIM_TIMEOUT_MS)
    : launchSandbox(root, id, names, { mode: 'restore', imagePath: resolve(opts.imagePath), volumes: {}, source: bundle, relay: true, replace: [container], awaitClaims: true }, undefined, spawned));
  root.createContainer({ id, pod: podId, name, bundle, rootfs: config.config.root.path, createdAt: new Date().toISOString(), annotations: a });
  if (opts.pidFile !== undefined) writePidFile(opts.pidFile, relay.pid);
  return relay;
}
