// The control side of a pod's sandbox, like runsc's controller: answers exec, kill, checkpoint and ping on
// the pod's socket, and keeps the pod's record in the state root true (running; stopped, with each
// container's exit code, before any reply that says the pod stopped).
import { basename } from 'node:path';
import type { ControlProgress } from '../host/control.js';
import type { StateRoot } from '../host/stateroot.js';
import { BufferStream, NullStream } from '../host/streams.js';
import { prepareModuleFile } from '../host/modulecache.js';
import { checkpointRunning } from './cut.js';
import { parseRequest, type CheckpointRequest, type ControlReply, type ControlRequest, type ExecRequest } from './protocol.js';
import { containerEnds, type RunningPod } from './running.js';

/** How the pod stopped, for its record: by a signal, or by a checkpoint that did not leave it running. */
export interface StopStatus {
  killedBy?: number;
  checkpointed?: boolean;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message.split('\n')[0] : undefined) ?? String(e);
}

export class PodServer {
  readonly #root: StateRoot;
  readonly #id: string;
  readonly #source: string;
  readonly #running: RunningPod;
  /** Execs under way: a checkpoint refuses to cut while there are any. */
  #execs = 0;
  /** The image being written, if a checkpoint is under way. */
  #checkpoint: Promise<unknown> | null = null;
  #recorded = false;

  constructor(root: StateRoot, id: string, source: string, running: RunningPod) {
    this.#root = root;
    this.#id = id;
    this.#source = source;
    this.#running = running;
  }

  /** Records the pod running in this process. */
  recordRunning(): void {
    const record = this.#root.read(this.#id);
    if (record === null) throw new Error(`sandbox: no record for pod ${this.#id}`);
    this.#root.write({ ...record, status: 'running', sandboxPid: process.pid });
  }

  /** Runs the pod until every container has ended and any image being written is done. */
  async run(): Promise<void> {
    await this.#running.scheduler.run();
    await this.#checkpoint; // a pod left running may end while its image is still being written
  }

  /** Writes the stopped record (once). */
  recordStopped(status: StopStatus): void {
    if (this.#recorded) return;
    this.#recorded = true;
    const now = this.#root.read(this.#id);
    if (now === null) return; // deleted while running
    const code = (c: number) => (status.checkpointed === true ? null : c >= 0 ? c : 128 + (status.killedBy ?? 9));
    const containers = containerEnds(this.#running).map((e) => ({ name: e.name, exitCode: code(e.exitCode) }));
    this.#root.write({ ...now, status: 'stopped', sandboxPid: null, containers });
  }

  /** Stops the sandbox: the record first, then the process (after the reply has gone out). */
  #exitSoon(status: StopStatus): void {
    this.recordStopped(status);
    setTimeout(() => process.exit(0), 10);
  }

  /** One request off the control socket. */
  async handle(raw: unknown, progress: ControlProgress): Promise<ControlReply<ControlRequest['op']>> {
    const req = parseRequest(raw);
    if (typeof req === 'string') return { ok: false, error: req };
    switch (req.op) {
      case 'exec':
        return this.#exec(req);
      case 'kill':
        // No guest runs after this point: the record says stopped before the client hears back.
        await this.#running.scheduler.pause();
        this.#exitSoon({ killedBy: req.signal });
        return { ok: true };
      case 'checkpoint':
        return this.#checkpointNow(req, progress);
      case 'ping':
        return { ok: true, pid: process.pid };
    }
  }

  async #exec(req: ExecRequest): Promise<ControlReply<'exec'>> {
    const running = this.#running;
    if (!running.pod.containers.has(req.container)) return { ok: false, error: `pod ${this.#id} has no container ${req.container}` };
    let loaded;
    try {
      loaded = await prepareModuleFile(req.module);
    } catch (e) {
      return { ok: false, error: firstLine(e) };
    }
    const out = new BufferStream();
    const err = new BufferStream();
    const proc = running.pod.exec(req.container, [basename(req.module), ...req.args], undefined, [new NullStream(), out, err]);
    this.#execs++;
    try {
      const end = await running.scheduler.add(proc, loaded.module).done;
      return { ok: true, exitCode: end.kind === 'exit' ? end.code : 134, trap: end.kind === 'trap' ? end.message : null, stdout: out.text(), stderr: err.text() };
    } finally {
      this.#execs--;
    }
  }

  #busy(): string | null {
    return this.#execs > 0 ? `pod ${this.#id} has an exec in progress; checkpoint it when the exec has ended` : null;
  }

  async #checkpointNow(req: CheckpointRequest, progress: ControlProgress): Promise<ControlReply<'checkpoint'>> {
    const busy = this.#busy();
    if (busy !== null) return { ok: false, error: busy };
    if (this.#checkpoint !== null) return { ok: false, error: `pod ${this.#id} is being checkpointed already` };
    // An exec that starts while the snapshot buffers are made, or while a slice runs, is refused at the cut.
    const checkpoint = checkpointRunning(this.#running, {
      id: this.#id,
      source: this.#source,
      imagePath: req.imagePath,
      leaveRunning: req.leaveRunning,
      ...(req.parentPath !== undefined ? { parentPath: req.parentPath } : {}),
      onProgress: progress,
      busy: () => this.#busy(),
    });
    this.#checkpoint = checkpoint.catch(() => {});
    let result;
    try {
      result = await checkpoint;
    } catch (e) {
      return { ok: false, error: firstLine(e) };
    } finally {
      this.#checkpoint = null;
    }
    if (!req.leaveRunning) this.#exitSoon({ checkpointed: true });
    console.log(`checkpoint ${req.imagePath}: ${result.bytes} bytes, snapshot buffers made in ${result.prepareMs} ms, pause ${result.pauseMs === null ? 'until exit' : `${result.pauseMs} ms`}, written in ${result.ms} ms`);
    return { ok: true, bytes: result.bytes, ms: result.ms, pauseMs: result.pauseMs };
  }
}
