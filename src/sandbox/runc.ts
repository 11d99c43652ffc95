// The containers of a pod driven through runc's verbs (`amber create`, `start`, `kill`, `exec`, ...), like
// runsc's per-container state inside one sandbox: each is created, then started, then stopped; each
// process's stdio and exit status go through the relay that holds the host's side of them
// (relaybinding.ts), so the shim that waits on a relay's pid learns how the process ended. A container
// may join later (CRI's containers joining their pod's sandbox) and leave again once stopped.
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import type { ContainerRecord } from '../host/stateroot.js';
import { prepareModuleFile } from '../host/modulecache.js';
import { inModule } from '../host/modulefile.js';
import type { AttachRequest } from '../host/relayframes.js';
import type { ContainerSpec } from '../runtime/spec/podspec.js';
import type { Task } from '../wasi/scheduler.js';
import { nodePodHost, type PodStdio } from './bindings.js';
import { RelayBinding } from './relaybinding.js';
import { startContainer, type RunningPod } from './running.js';

export type RuncStatus = 'created' | 'running' | 'stopped';

interface Member {
  binding: RelayBinding;
  status: RuncStatus;
  /** Its first process's exit status once stopped (in the record before its relay is told). */
  exitCode: number | null;
  /** Processes run in it by `exec`, each with a relay of its own. */
  execs: Set<{ task: Task; binding: RelayBinding }>;
}

const SIGKILL = 9;
/** Signals whose default action is to do nothing (signal(7)), and the stops Amber does not model. */
const HARMLESS = new Set([0, 17, 18, 19, 20, 21, 22, 23, 28]);

/** Each container's relay binding by name, made when the container's streams are first asked for. */
export class RelayBindings {
  readonly #byName = new Map<string, RelayBinding>();

  get(name: string): RelayBinding {
    let b = this.#byName.get(name);
    if (b === undefined) {
      b = new RelayBinding();
      this.#byName.set(name, b);
    }
    return b;
  }

  /** The PodStdio that binds every container to its relay. */
  readonly stdio: PodStdio = (name) => this.get(name).streams;

  delete(name: string): void {
    this.#byName.delete(name);
  }
}

export class RuncContainers {
  readonly #running: RunningPod;
  readonly #bindings: RelayBindings;
  readonly #members = new Map<string, Member>();
  readonly #changed: () => void;
  #paused = false;

  /** changed is called whenever a container's status changes (the pod's record is rewritten). */
  constructor(running: RunningPod, bindings: RelayBindings, changed: () => void) {
    this.#running = running;
    this.#bindings = bindings;
    this.#changed = changed;
    for (const name of running.pod.containers.keys()) {
      const task = running.tasks.get(name);
      const ended = running.ended.get(name);
      const m = this.#member(name, task !== undefined ? 'running' : ended !== undefined ? 'stopped' : 'created');
      if (task !== undefined) this.#watch(name, task);
      if (ended !== undefined) m.binding.exit(ended.kind === 'exit' ? ended.code : 134);
    }
  }

  #member(name: string, status: RuncStatus): Member {
    const binding = this.#bindings.get(name);
    const m: Member = { binding, status, exitCode: null, execs: new Set() };
    binding.onSignal = (sig) => this.signal(name, sig, false);
    binding.onDetach = () => this.signal(name, SIGKILL, true);
    binding.onReady = () => this.#running.scheduler.pollSoon();
    this.#members.set(name, m);
    return m;
  }

  #get(name: string): Member {
    const m = this.#members.get(name);
    if (m === undefined) throw new Error(`container ${name} does not exist`);
    return m;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** A container joining the pod (its module compiled first, so a bad one leaves the pod as it was). */
  async add(spec: ContainerSpec): Promise<void> {
    if (this.#members.has(spec.name)) throw new Error(`container ${spec.name} exists already`);
    const loaded = spec.pause === true ? undefined : await prepareModuleFile(spec.module);
    if (this.#members.has(spec.name)) throw new Error(`container ${spec.name} exists already`);
    this.#running.pod.addContainer(spec, nodePodHost(this.#bindings.stdio));
    if (loaded !== undefined) this.#running.modules.set(spec.name, loaded);
    this.#member(spec.name, 'created');
    this.#changed();
  }

  /** runc start: the container's first process runs (a pause container just counts as running). */
  start(name: string): void {
    const m = this.#get(name);
    if (m.status !== 'created') throw new Error(`cannot start a container that is ${m.status}`);
    const task = startContainer(this.#running, name);
    m.status = 'running';
    if (task !== null) this.#watch(name, task);
    this.#changed();
  }

  #watch(name: string, task: Task): void {
    void task.done.then((end) => this.#ended(name, end.kind === 'exit' ? end.code : 134));
  }

  /** The container's first process ended: so does every process run in it, as in a pid namespace. */
  #ended(name: string, status: number): void {
    const m = this.#members.get(name);
    if (m === undefined || m.status === 'stopped') return;
    m.status = 'stopped';
    m.exitCode = status;
    for (const e of m.execs) this.#running.scheduler.kill(e.task, 128 + SIGKILL);
    // The record says stopped before the relay exits with the status: whoever waits on it reads the record next.
    this.#changed();
    m.binding.exit(status);
  }

  /** runc kill: the signal to the container's first process (with all, to its other processes too). */
  signal(name: string, signal: number, all: boolean): void {
    const m = this.#get(name);
    if (HARMLESS.has(signal)) return;
    const status = 128 + signal;
    if (all) for (const e of m.execs) this.#running.scheduler.kill(e.task, status);
    if (m.status === 'stopped') return;
    const task = this.#running.tasks.get(name);
    if (task !== undefined) this.#running.scheduler.kill(task, status);
    this.#ended(name, status);
  }

  /**
   * A relay attaching: to a container's first process, or to a new process it runs (runc exec). accept
   * answers the relay yes, just before its process is bound; a string says why not.
   */
  async attach(sock: Socket, req: AttachRequest, rest: Buffer, accept: () => void): Promise<string | null> {
    const m = this.#members.get(req.container);
    if (m === undefined) return `container ${req.container} does not exist`;
    if (req.exec === undefined) {
      if (m.binding.attached) return `container ${req.container} has a relay already`;
      // The record names the relay before the relay hears yes: its launcher reads the record next.
      m.binding.relayPid = req.pid;
      this.#changed();
      accept();
      m.binding.attach(sock, req.pid, rest);
      return null;
    }
    if (m.status !== 'running') return `cannot exec in a container that is ${m.status}`;
    const exec = req.exec;
    let loaded;
    try {
      loaded = await prepareModuleFile(exec.module);
    } catch (e) {
      return e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
    }
    if (m.status !== 'running') return `cannot exec in a container that is ${m.status}`;
    const binding = new RelayBinding();
    const argv = exec.argv.length > 0 ? exec.argv : [basename(exec.module)];
    const proc = this.#running.pod.exec(req.container, argv, exec.env, binding.streams);
    const task = inModule(exec.module, () => this.#running.scheduler.add(proc, loaded.module));
    const entry = { task, binding };
    m.execs.add(entry);
    binding.onSignal = (sig) => {
      if (!HARMLESS.has(sig)) this.#running.scheduler.kill(task, 128 + sig);
    };
    binding.onDetach = () => this.#running.scheduler.kill(task, 128 + SIGKILL);
    binding.onReady = () => this.#running.scheduler.pollSoon();
    accept();
    binding.attach(sock, req.pid, rest);
    void task.done.then((end) => {
      m.execs.delete(entry);
      binding.exit(end.kind === 'exit' ? end.code : 134);
    });
    return null;
  }

  /** runc pause: no process of the pod runs until resume. */
  async pause(): Promise<void> {
    if (this.#paused) return;
    await this.#running.scheduler.pause();
    this.#paused = true;
    this.#changed();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#running.scheduler.unpause();
    this.#changed();
  }

  /** runc delete: a stopped container leaves the pod. */
  remove(name: string): void {
    const m = this.#get(name);
    if (m.status !== 'stopped') this.signal(name, SIGKILL, true);
    this.#running.pod.removeContainer(name);
    this.#running.tasks.delete(name);
    this.#running.modules.delete(name);
    this.#bindings.delete(name);
    this.#members.delete(name);
    this.#changed();
  }

  /** Whether any container has yet to stop (the sandbox lives while one has). */
  get live(): boolean {
    return [...this.#members.values()].some((m) => m.status !== 'stopped');
  }

  /** Each container as the pod's record keeps it. */
  records(): ContainerRecord[] {
    return [...this.#members].map(([name, m]) => ({
      name,
      exitCode: m.status === 'stopped' ? m.exitCode ?? m.binding.exitStatus : null,
      status: m.status === 'running' && this.#paused ? 'paused' : m.status,
      pid: m.binding.relayPid,
    }));
  }
}
