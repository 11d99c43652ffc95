// Amber's TypeScript API: the operations of the `amber` command for programs. A Pod here is a handle
// on a detached pod in a state root, as `amber --root` sees it: its sandbox runs in a process of its
// own, so a handle can be dropped and taken again with Pod.get. Errors are AmberError, one line each.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkpointPod } from './cli/checkpoint.js';
import { AmberError } from './base/error.js';
import { execInPodCaptured } from './cli/exec.js';
import { deletePod, killPod, signalNumber } from './cli/lifecycle.js';
import { launchSandbox, runDetached } from './cli/pod.js';
import { planRestore } from './cli/restore.js';
import { loadBundle, loadPodManifest } from './cli/spec.js';
import { defaultRoot, StateRoot, type PodRecord, type PodStatus } from './host/stateroot.js';

export { AmberError };
export type { PodRecord, PodStatus };

export interface RootOptions {
  /** The state root (default: AMBER_ROOT, else per user), as `amber --root`. */
  root?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

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

  /** `amber pod run MANIFEST --detach [--name ID]`: starts a pod from a Kubernetes Pod manifest. */
  static async run(manifest: string, opts: RootOptions & { name?: string } = {}): Promise<Pod> {
    const root = stateRoot(opts);
    const spec = loadPodManifest(manifest);
    const id = opts.name ?? spec.name;
    await runDetached(root, spec, id, resolve(manifest));
    return new Pod(root, id);
  }

  /** `amber run --bundle DIR --detach ID`: starts an OCI runtime bundle. */
  static async runBundle(bundle: string, id: string, opts: RootOptions = {}): Promise<Pod> {
    const root = stateRoot(opts);
    await runDetached(root, loadBundle(bundle, id), id, resolve(bundle));
    return new Pod(root, id);
  }

  /** `amber restore --image-path DIR --detach`: brings a checkpointed pod back (here or in another root). */
  static async restore(imageDir: string, opts: RootOptions & { name?: string; spec?: string; volumes?: Record<string, string> } = {}): Promise<Pod> {
    const root = stateRoot(opts);
    const volumes = Object.entries(opts.volumes ?? {}).map(([k, v]) => `${k}=${v}`);
    const plan = planRestore(imageDir, opts.spec, volumes);
    const id = opts.name ?? plan.image.config.podId;
    await launchSandbox(root, id, plan.spec.containers.map((c) => c.name), {
      mode: 'restore',
      imagePath: resolve(imageDir),
      ...(opts.spec !== undefined ? { specFile: resolve(opts.spec) } : {}),
      volumes,
      source: resolve(imageDir),
    });
    return new Pod(root, id);
  }

  /** A handle on an existing pod; AmberError if there is none. */
  static get(id: string, opts: RootOptions = {}): Pod {
    const root = stateRoot(opts);
    if (root.read(id) === null) throw new AmberError(`no pod with id ${id} under ${root.dir}`);
    return new Pod(root, id);
  }

  /** `amber list`: every pod's record. */
  static list(opts: RootOptions = {}): PodRecord[] {
    return stateRoot(opts).list();
  }

  /** `amber state`: the pod's record (a pod whose sandbox died shows as stopped). */
  state(): PodRecord {
    const r = this.#root.read(this.id);
    if (r === null) throw new AmberError(`no pod with id ${this.id} under ${this.#root.dir}`);
    return r;
  }

  /** `amber logs`: a container's output so far. */
  logs(container: string): string {
    const path = this.#root.logPath(this.id, container);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** `amber exec`: runs module in container and returns its exit code and output. */
  exec(container: string, module: string, args: string[] = []): Promise<ExecResult> {
    return execInPodCaptured(this.#root, this.id, container, module, args);
  }

  /** `amber checkpoint`: one consistent image of every container; the pod stops unless leaveRunning. */
  checkpoint(imageDir: string, opts: { leaveRunning?: boolean; parentPath?: string } = {}): Promise<void> {
    return checkpointPod(this.#root, this.id, {
      imagePath: imageDir,
      leaveRunning: opts.leaveRunning === true,
      ...(opts.parentPath !== undefined ? { parentPath: opts.parentPath } : {}),
    });
  }

  /** `amber kill`: ends every container with the signal (default TERM). */
  kill(signal?: string): Promise<void> {
    return killPod(this.#root, this.id, signalNumber(signal));
  }

  /** Resolves once the pod has stopped, with its final record. */
  async wait(pollMs = 50): Promise<PodRecord> {
    for (;;) {
      const r = this.state();
      if (r.status === 'stopped') return r;
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }

  /** `amber delete [--force]`. */
  delete(opts: { force?: boolean } = {}): Promise<void> {
    return deletePod(this.#root, this.id, opts.force === true);
  }
}
