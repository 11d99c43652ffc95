// A pod of several containers restored through runc's verbs, like runsc's restorer: the `runc restore` of
// the pod's own container starts the sandbox on the whole-pod image, and each other container of the
// image (runsc counts them all: one that had ended comes back ended, its relay exiting as it did) comes
// back through a `runc restore` of its own (containerd's shim makes one per container), which claims it
// by name with its new bundle and attaches its relay. Nothing is rebuilt or
// runs until the last claim; then the whole pod is rebuilt at once and that claim is answered with how
// it went. Meanwhile a signal to any container ends the sandbox, as a kill of a half-restored runsc does.
import type { Socket } from 'node:net';
import type { AttachRequest } from '../host/relayframes.js';
import type { ContainerRecord } from '../host/stateroot.js';
import type { ContainerSpec } from '../runtime/spec/podspec.js';
import type { ContainerRequest, ControlReply, ControlRequest } from './protocol.js';
import type { RelayBindings } from './runc.js';

export class RestoreGate {
  /** Every container of the image: a relay may attach to any of them before the pod is rebuilt. */
  readonly #names: readonly string[];
  /** Containers whose own restore has yet to claim them. */
  readonly #waiting: Set<string>;
  readonly #claims: ContainerSpec[] = [];
  /** The relays attached meanwhile, for the pod's server to wait on once it runs. */
  readonly sockets: Socket[] = [];
  readonly #bindings: RelayBindings;
  readonly #end: (signal: number) => void;
  readonly #changed: () => void;
  #open: (claims: ContainerSpec[]) => void = () => {};
  /** Resolved with the claims' specs once none is waited for. */
  readonly ready: Promise<ContainerSpec[]>;
  #settle: (error: string | null) => void = () => {};
  /** How the rebuild went (null: it runs), which the last claim's reply carries. */
  readonly #outcome: Promise<string | null>;

  /**
   * names: the image's containers; waitFor: those still to be claimed. end(signal) stops the sandbox;
   * changed() rewrites the pod's record (records() changed).
   */
  constructor(names: readonly string[], waitFor: readonly string[], bindings: RelayBindings, end: (signal: number) => void, changed: () => void) {
    this.#names = names;
    this.#waiting = new Set(waitFor);
    this.#bindings = bindings;
    this.#end = end;
    this.#changed = changed;
    this.ready = new Promise((res) => {
      this.#open = res;
    });
    this.#outcome = new Promise((res) => {
      this.#settle = res;
    });
    if (this.#waiting.size === 0) this.#open([]);
  }

  /** The containers still waited for. */
  get waiting(): string[] {
    return [...this.#waiting];
  }

  /** Told how the rebuild went once the last claim opened the gate (null: the pod runs). */
  settle(error: string | null): void {
    this.#settle(error);
  }

  /** A relay attaching before the pod is rebuilt: to a container's first process only. */
  attach(sock: Socket, req: AttachRequest, rest: Buffer, accept: () => void): string | null {
    if (!this.#names.includes(req.container)) return `container ${req.container} does not exist`;
    if (req.exec !== undefined) return `cannot exec in a container that is being restored (waiting for ${this.waiting.join(', ')})`;
    const binding = this.#bindings.get(req.container);
    if (binding.attached) return `container ${req.container} has a relay already`;
    binding.onSignal = (sig) => this.#end(sig);
    binding.onDetach = () => this.#end(9);
    // The record names the relay before the relay hears yes: its launcher reads the record next.
    binding.relayPid = req.pid;
    this.#changed();
    accept();
    binding.attach(sock, req.pid, rest);
    this.sockets.push(sock);
    return null;
  }

  /** A control request while the pod waits: claims, and signals (which end it); the rest must wait. */
  async handle(req: ControlRequest): Promise<ControlReply<ControlRequest['op']>> {
    switch (req.op) {
      case 'ping':
        return { ok: true, pid: process.pid };
      case 'claim':
        return this.#claim(req);
      case 'kill':
        this.#end(req.signal);
        return { ok: true };
      case 'signal':
        this.#end(req.signal);
        return { ok: true };
      case 'remove':
        this.#end(9);
        return { ok: true };
      default:
        return { ok: false, error: `the pod is being restored: waiting for the restore of ${this.waiting.join(', ')}` };
    }
  }

  async #claim(req: Extract<ContainerRequest, { op: 'claim' }>): Promise<ControlReply<'claim'>> {
    const name = req.container.name;
    if (!this.#waiting.has(name)) {
      return { ok: false, error: this.#names.includes(name) ? `container ${name} is restored already` : `the image holds no container ${name} (it holds ${this.#names.join(', ')})` };
    }
    this.#waiting.delete(name);
    this.#claims.push(req.container);
    this.#changed();
    if (this.#waiting.size > 0) return { ok: true };
    this.#open(this.#claims);
    const error = await this.#outcome;
    return error === null ? { ok: true } : { ok: false, error };
  }

  /** Each container as the pod's record keeps it meanwhile: created, with its relay's pid once attached. */
  records(): ContainerRecord[] {
    return this.#names.map((name) => ({ name, exitCode: null, status: 'created', pid: this.#bindings.get(name).relayPid }));
  }
}
