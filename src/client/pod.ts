// A handle on a detached pod in a state root, like runsc's container.Container: it launches a pod's
// sandbox, finds it again by id, and asks it (over its control socket) to exec, checkpoint or stop. It
// returns results and throws typed AmberErrors; it never prints. Records are read from the state root, so
// a pod whose sandbox died shows as stopped and never hangs a caller.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { AmberError, messageOf } from '../base/error.js';
import { callControl, type CallOptions } from '../host/control.js';
import { defaultRoot, StateRoot, type PodRecord } from '../host/stateroot.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { tracksWrites, withTrackWrites } from '../runtime/spec/trackwrites.js';
import type { CheckpointResult, ControlReply, ControlRequest, ExecResult } from '../sandbox/protocol.js';
import { PodNotFoundError, PodStateError, refuseNul, SandboxError } from './errors.js';
import { adoptSandbox, endStartedSandbox, launchSandbox, prestartSandbox, type EarlySandbox, type StartedSandbox } from './launch.js';
import { logLines, logText, type LogLine } from './logs.js';
import { prepareModules } from './prepare.js';
import { loadSpecOverride } from './restorespec.js';
import type { OnProgress } from './progress.js';
import { signalNumber } from './signals.js';

export interface RootOptions {
  /** The state root (default: AMBER_ROOT, else per user), as `amber --root`. */
  root?: string;
}

export interface StartOptions extends RootOptions {
  /** The pod's id (default: the spec's name). */
  name?: string;
  /** Where the spec came from (a manifest or bundle path), kept in the record and every image. */
  source: string;
  /** Told of a module transform under way (client/prepare.ts) and of the sandbox starting. */
  onProgress?: OnProgress;
}

export interface RestoreOptions extends RootOptions {
  /** The restored pod's id (default: the image's). */
  name?: string;
  /** A Pod manifest to restore into (containers and volumes matched by name). */
  spec?: string;
  /** hostPath volume name → the host directory to bind it to instead of the saved one. */
  volumes?: Record<string, string>;
  onProgress?: OnProgress;
  /** Where the image came from, for the pod's record (default: the image directory). */
  source?: string;
  /** Hash every blob, even memory parts this user's Amber wrote or verified before (`restore --verify`). */
  verify?: boolean;
  /** A sandbox started for this restore already (bin/amber starts one beside a detached restore's command):
   *  used if it fits the state root, else ended. */
  sandbox?: StartedSandbox;
}

export interface CheckpointOptions {
  leaveRunning?: boolean;
  /** An earlier image whose unchanged blobs are reused. */
  parentPath?: string;
  /** Compress the image's blobs with this codec ("gzip", "zstd"); none unless given. */
  compress?: string;
  /** Return only once the image is on stable storage, not as soon as it is complete and in place (its
   *  flush to disk then follows in the sandbox): before removing or moving it. */
  durable?: boolean;
  onProgress?: OnProgress;
}

/** How long a checkpoint (of up to GiBs) may take before the client gives up on the sandbox. */
const CHECKPOINT_TIMEOUT_MS = 600_000;
const KILL_TIMEOUT_MS = 5_000;
const EXEC_TIMEOUT_MS = 24 * 3600_000;

// Specs (zod, yaml) and images are loaded only by the operations that read them, so `list` or `kill`
// start fast.
const specFiles = () => import('../host/specfile.js');

function stateRoot(opts: RootOptions): StateRoot {
  return new StateRoot(opts.root ?? defaultRoot());
}

export class Pod {
  readonly id: string;
  readonly #root: StateRoot;

  private constructor(root: StateRoot, id: string) {
    this.#root = root;
    this.id = id;
  }

  /** `amber pod run MANIFEST --detach [--name ID] [--track-writes]`: starts a pod from a Kubernetes Pod manifest. */
  static async run(manifest: string, opts: RootOptions & { name?: string; onProgress?: OnProgress; trackWrites?: boolean } = {}): Promise<Pod> {
    const { loadPodManifest } = await specFiles();
    const { trackWrites, ...rest } = opts;
    const spec = loadPodManifest(manifest);
    return Pod.start(trackWrites === true ? withTrackWrites(spec) : spec, { ...rest, source: resolve(manifest) });
  }

  /** `amber run --bundle DIR --detach ID`: starts an OCI runtime bundle. */
  static async runBundle(bundle: string, id: string, opts: RootOptions & { onProgress?: OnProgress } = {}): Promise<Pod> {
    const { loadBundle } = await specFiles();
    return Pod.start(loadBundle(bundle, id), { ...opts, name: id, source: resolve(bundle) });
  }

  /**
   * Starts a pod from a checked spec in a sandbox of its own; resolves once it runs. Its modules are
   * transformed here first (into the per-user cache), so the sandbox's start-up limit never counts one.
   */
  static async start(spec: PodSpec, opts: StartOptions): Promise<Pod> {
    const root = stateRoot(opts);
    const id = opts.name ?? spec.name;
    // The sandbox's node starts while the modules are checked (and transformed if need be).
    const early = prestartSandbox(root);
    try {
      await prepareModules(spec.containers.map((c) => c.module), { ...progressOf(opts), trackWrites: tracksWrites(spec) });
      await launchSandbox(root, id, spec.containers.map((c) => c.name), { mode: 'run', spec, source: opts.source }, opts.onProgress, undefined, early);
    } finally {
      early.cancel();
    }
    return new Pod(root, id);
  }

  /**
   * `amber restore --image-path DIR --detach`: brings a checkpointed pod back, here or in another root.
   * The image's layout, manifest and config are checked here; its blobs are read and verified once, by
   * the sandbox (a damaged one comes back as its one-line error, and no pod is left behind).
   */
  static async restore(imageDir: string, opts: RestoreOptions = {}): Promise<Pod> {
    const root = stateRoot(opts);
    // The sandbox's node starts (or started with this command's) while the image is opened here.
    const early = (opts.sandbox !== undefined ? adoptSandbox(root, opts.sandbox) : null) ?? prestartSandbox(root);
    try {
      return await Pod.#restore(root, imageDir, opts, early);
    } finally {
      early.cancel();
    }
  }

  static async #restore(root: StateRoot, imageDir: string, opts: RestoreOptions, early: EarlySandbox): Promise<Pod> {
    const { planRestore } = await import('../sandbox/restoreplan.js');
    const { modulesToTransform } = await import('../sandbox/restoremodules.js');
    const spec = await loadSpecOverride(opts.spec);
    const plan = await planRestore(imageDir, { lazy: true, ...(spec !== undefined ? { spec } : {}), ...(opts.volumes !== undefined ? { volumes: opts.volumes } : {}) });
    const id = opts.name ?? plan.image.config.podId;
    await prepareModules(modulesToTransform(plan.image, plan.spec), { ...progressOf(opts), trackWrites: tracksWrites(plan.spec) });
    await launchSandbox(root, id, plan.spec.containers.map((c) => c.name), {
      mode: 'restore',
      imagePath: resolve(imageDir),
      manifestDigest: plan.image.manifestDigest,
      ...(spec !== undefined ? { spec } : {}),
      volumes: opts.volumes ?? {},
      source: opts.source ?? resolve(imageDir),
      ...(opts.verify === true ? { verify: true } : {}),
    }, opts.onProgress, undefined, early);
    return new Pod(root, id);
  }

  /**
   * `amber restore --import FILE --detach`: restore() of the image in archive file (client/archive.ts),
   * unpacked into a temporary directory that is removed once the sandbox has read it.
   */
  static async restoreArchive(file: string, opts: RestoreOptions = {}): Promise<Pod> {
    const { withImportedImage } = await import('./archive.js');
    opts.onProgress?.({ phase: 'unpacking the archive' });
    let handed = false;
    try {
      return await withImportedImage(file, (dir) => {
        handed = true;
        return Pod.restore(dir, { ...opts, source: resolve(file) });
      });
    } finally {
      // An archive that could not be unpacked: the sandbox started for it is not needed.
      if (!handed && opts.sandbox !== undefined) endStartedSandbox(opts.sandbox);
    }
  }

  /** A handle on an existing pod; PodNotFoundError if there is none. */
  static get(id: string, opts: RootOptions = {}): Pod {
    const pod = new Pod(stateRoot(opts), id);
    pod.state();
    return pod;
  }

  /** `amber list`: every pod's record. */
  static list(opts: RootOptions = {}): PodRecord[] {
    return stateRoot(opts).list();
  }

  /** `amber state`: the pod's record (a pod whose sandbox died shows as stopped). */
  state(): PodRecord {
    const r = this.#root.read(this.id);
    if (r === null) throw new PodNotFoundError(this.id, this.#root.dir);
    return r;
  }

  /** `amber logs`: a container's output so far. */
  logs(container: string): string {
    return logText(this.#root, this.id, container);
  }

  /** `amber logs [CTR] [--follow]`: the lines of one container or all, following them until the pod stops. */
  logLines(container?: string, opts: { follow?: boolean } = {}): AsyncGenerator<LogLine> {
    const names = this.state().containers.map((c) => c.name);
    if (container !== undefined && !names.includes(container)) throw new PodStateError(`pod ${this.id} has no container ${container}`);
    return logLines(this.#root, this.id, container === undefined ? names : [container], opts.follow === true);
  }

  /**
   * `amber exec`: runs module in container to its end; its exit code (134 after a trap) and output. With
   * onOutput, the output is handed on as it is written (the result's stdout and stderr are then empty),
   * and the program waits while a promise onOutput returned is pending; a client that goes away ends it.
   */
  async exec(container: string, module: string, args: string[] = [], opts: { onOutput?: (fd: 1 | 2, bytes: Uint8Array) => void | Promise<unknown> } = {}): Promise<ExecResult> {
    this.#running('exec needs a running pod');
    refuseNul('exec: module', [module]);
    refuseNul('exec: args', args);
    await prepareModules([module]);
    const onOutput = opts.onOutput;
    if (onOutput === undefined) return this.#call({ op: 'exec', container, module: resolve(module), args }, `exec in ${this.id}`, EXEC_TIMEOUT_MS);
    const onMessage = (m: Record<string, unknown>): void | Promise<unknown> => {
      if ((m['fd'] === 1 || m['fd'] === 2) && typeof m['data'] === 'string') return onOutput(m['fd'], Buffer.from(m['data'], 'base64'));
    };
    return this.#call({ op: 'exec', container, module: resolve(module), args, stream: true }, `exec in ${this.id}`, EXEC_TIMEOUT_MS, { onMessage });
  }

  /** `amber checkpoint`: one consistent image of every container; the pod stops unless leaveRunning. */
  async checkpoint(imageDir: string, opts: CheckpointOptions = {}): Promise<CheckpointResult> {
    this.#running('only a running pod can be checkpointed');
    const leaveRunning = opts.leaveRunning === true;
    opts.onProgress?.({ phase: leaveRunning ? 'pausing the pod for the cut' : 'stopping the pod' });
    const req: ControlRequest = {
      op: 'checkpoint',
      imagePath: resolve(imageDir),
      leaveRunning,
      ...(opts.parentPath !== undefined ? { parentPath: resolve(opts.parentPath) } : {}),
      ...(opts.compress !== undefined ? { compress: opts.compress } : {}),
      ...(opts.durable === true ? { durable: true } : {}),
      pid: process.pid, // bin/amber announced the cut under this pid (sandbox/cutintent.ts)
    };
    const progress = opts.onProgress;
    return this.#call(req, `checkpoint ${this.id}`, CHECKPOINT_TIMEOUT_MS, progress === undefined ? {} : { onProgress: (done, total) => progress({ done, total }) });
  }

  /**
   * `amber checkpoint --export FILE`: checkpoint() written as an archive (tar, .tar.gz or .tar.zst by its
   * name; client/archive.ts), through imageDir when given (it stays) or a temporary one beside the file. A
   * name that says no archive is refused before the pod is touched; if the archive cannot be written, the
   * image is kept and the error says where. The archive is on stable storage when this returns; a
   * temporary image is removed only once the sandbox has flushed it (it would fail to, and say so).
   */
  async checkpointArchive(file: string, opts: CheckpointOptions & { imageDir?: string } = {}): Promise<CheckpointResult> {
    const { archiveCompression, exportImage } = await import('./archive.js');
    archiveCompression(file);
    const dir = opts.imageDir ?? `${resolve(file)}.image-${process.pid}`;
    const r = await this.checkpoint(dir, { ...opts, ...(opts.imageDir === undefined ? { durable: true } : {}) });
    opts.onProgress?.({ phase: 'writing the archive' });
    try {
      await exportImage(dir, file);
    } catch (e) {
      if (e instanceof AmberError && opts.imageDir === undefined) throw new AmberError(`${e.line}; the image is kept at ${dir}`, { cause: e });
      throw e;
    }
    if (opts.imageDir === undefined) rmSync(dir, { recursive: true, force: true });
    return r;
  }

  /** `amber kill`: ends every container with the signal (a name or number; default TERM). */
  async kill(signal?: string | number): Promise<void> {
    const sig = typeof signal === 'number' ? signal : signalNumber(signal);
    const r = this.state();
    if (r.status === 'stopped') throw new PodStateError(`pod ${this.id} is not running`);
    await this.#stop(r, sig);
  }

  /** Resolves once the pod has stopped, with its final record. */
  async wait(pollMs = 50): Promise<PodRecord> {
    for (;;) {
      const r = this.state();
      if (r.status === 'stopped') return r;
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }

  /** `amber delete [--force]`: removes a stopped pod; with force, stops it first. */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    const r = this.state();
    if (r.status !== 'stopped') {
      if (opts.force !== true) throw new PodStateError(`pod ${this.id} is ${r.status}; stop it first or use delete --force`);
      await this.#stop(r, 9);
      const deadline = Date.now() + KILL_TIMEOUT_MS;
      while (this.#root.read(this.id)?.status !== 'stopped' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      const again = this.#root.read(this.id);
      if (again !== null && again.status !== 'stopped' && again.sandboxPid !== null) killHost(again.sandboxPid);
    }
    this.#root.remove(this.id);
  }

  /** The record of a running pod; PodStateError (`pod x is stopped; <why>`) otherwise. */
  #running(why: string): PodRecord {
    const r = this.state();
    if (r.status !== 'running') throw new PodStateError(`pod ${this.id} is ${r.status}; ${why}`);
    return r;
  }

  /** One request to the sandbox; what it answers on success, else a SandboxError prefixed by what. */
  async #call<Op extends ControlRequest['op']>(req: ControlRequest & { op: Op }, what: string, timeoutMs: number, opts: CallOptions = {}): Promise<Omit<Extract<ControlReply<Op>, { ok: true }>, 'ok'>> {
    let reply: ControlReply<Op>;
    try {
      reply = (await callControl(this.#root.socketPath(this.id), req, timeoutMs, opts)) as ControlReply<Op>;
    } catch (e) {
      throw new SandboxError(`${what}: the sandbox did not answer (${messageOf(e)})`, { answered: false });
    }
    if (!reply.ok) throw new SandboxError(`${what}: ${reply.error}`);
    const { ok: _ok, ...result } = reply as Extract<ControlReply<Op>, { ok: true }>;
    return result;
  }

  /** Asks the sandbox to end every container with the signal; one that does not answer is killed. */
  async #stop(r: PodRecord, signal: number): Promise<void> {
    try {
      await this.#call({ op: 'kill', signal }, `kill ${this.id}`, KILL_TIMEOUT_MS);
    } catch (e) {
      if (!(e instanceof SandboxError) || e.answered) throw e;
      if (r.sandboxPid !== null) killHost(r.sandboxPid);
    }
  }
}

function progressOf(opts: { onProgress?: OnProgress }): { onProgress?: OnProgress } {
  return opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {};
}

/** SIGKILLs a host process that may be gone already. */
function killHost(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
