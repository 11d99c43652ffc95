// The control side of a pod's sandbox, like runsc's controller: answers exec, kill, checkpoint and ping on
// the pod's socket, and keeps the pod's record in the state root true (running; stopped, with each
// container's exit code, before any reply that says the pod stopped).
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import type { ControlChannel, ControlProgress } from '../host/control.js';
import { CutThread, cutThreadWanted } from '../host/cutthread.js';
import { hostFacts } from '../host/hostfacts.js';
import { readAttachLine } from '../host/relayframes.js';
import type { ContainerRecord, StateRoot } from '../host/stateroot.js';
import { BufferStream, NullStream } from '../host/streams.js';
import { prepareModuleFile } from '../host/modulecache.js';
import type { BegunCut, LastCut } from './cut.js';
import { listenIntents, type CutIntent, type IntentListener } from './cutintent.js';
import type { EarlyCut } from './earlycut.js';
import type { HostFacts } from '../runtime/annotations.js';
import type { PreCopyStats } from '../runtime/precopy.js';
import { execOutputStream } from './execoutput.js';
import { PendingFlushes } from './flushes.js';
import { withMemoryLimit } from './memorylimit.js';
import { parseRequest, type CheckpointRequest, type ContainerRequest, type ControlReply, type ControlRequest, type ExecRequest } from './protocol.js';
import { RuncContainers, type RelayBindings } from './runc.js';
import { containerEnds, type RunningPod } from './running.js';
import { tracksWrites } from '../runtime/spec/trackwrites.js';

/** How the pod stopped, for its record: by a signal, or by a checkpoint that did not leave it running. */
export interface StopStatus {
  killedBy?: number;
  checkpointed?: boolean;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message.split('\n')[0] : undefined) ?? String(e);
}

/** A request asked in this process, with no connection that could go away. */
const NO_CHANNEL: ControlChannel = { send: () => {}, backlog: () => 0, closed: false, onClose: () => {}, onDrain: () => {} };

/** A pre-copy's parts for the checkpoint's log line: "; parts: 3 linked, 30 staged here, 31 by the helper, 0 zero". */
function preCopyLine(s: PreCopyStats | null): string {
  return s === null ? '' : `; parts: ${s.linked} linked, ${s.here} staged here, ${s.offloaded} by the helper, ${s.zero} zero`;
}

export class PodServer {
  readonly #root: StateRoot;
  readonly #id: string;
  readonly #source: string;
  readonly #running: RunningPod;
  /** Execs under way: a checkpoint refuses to cut while there are any. */
  #execs = 0;
  /** What the last checkpoint that left the pod running kept for the next (an incremental cut). */
  #lastCut: LastCut | null = null;
  /** Images whose checkpoints have answered, being flushed to stable storage: a checkpoint into or around
   *  one waits for them before it starts (sandbox/flushes.ts), and this process before it exits. */
  readonly #flushes = new PendingFlushes();
  /** A write-tracked pod's checkpoint helper thread, started once the pod runs and kept (CutThread.keep). */
  #cutThread: CutThread | null = null;
  /** What every image records of this host (its Amber's version, arch, kernel): read at the first checkpoint
   *  (package.json's version, ~0.3 ms, was read again at each). */
  #hostFacts: HostFacts | null = null;
  /** The image being written, if a checkpoint is under way. */
  #checkpoint: Promise<unknown> | null = null;
  /** A cut begun on a command's intent whose request has not come yet (earlycut.ts), and where intents come from. */
  #early: EarlyCut | null = null;
  /** An intent being taken up (earlycut.js loading): #early is set once it settles. */
  #intending: Promise<void> | null = null;
  #intents: IntentListener | null = null;
  #recorded = false;
  /** The pod's containers as runc's verbs see them, when it was made by them (null: a pod run whole). */
  readonly #runc: RuncContainers | null;
  /** Relays attached, each until it has been told how its process ended. */
  readonly #relays = new Set<Socket>();
  #wake: (() => void) | null = null;
  #live = false;

  /** Ends this server's process once a request has stopped the pod (by default, the process exits). */
  readonly #exit: () => void;

  /**
   * With relays, the pod's containers are bound to relay processes and driven by runc's verbs. exit is
   * what stopping the pod ends (a foreground pod's run; by default this process).
   */
  constructor(root: StateRoot, id: string, source: string, running: RunningPod, relays?: RelayBindings, exit: () => void = () => process.exit(0)) {
    this.#root = root;
    this.#id = id;
    this.#source = source;
    this.#running = running;
    this.#exit = exit;
    this.#runc = relays === undefined ? null : new RuncContainers(running, relays, () => this.#changed());
  }

  /** Records the pod running in this process. */
  recordRunning(): void {
    const record = this.#root.read(this.#id);
    if (record === null) throw new Error(`sandbox: no record for pod ${this.#id}`);
    this.#root.write({ ...record, status: 'running', sandboxPid: process.pid, ...(this.#runc !== null ? { containers: this.#runc.records() } : {}) });
    this.#live = true;
    // A tracked pod is one whose checkpoints should be quick: not even the first starts the helper thread
    // (~60 ms of CPU under the sandbox's V8 flags, on the core the pass would share with it), so it is
    // started now, the pod's start or restore done (its programs have had their first turn), on a turn
    // of its own.
    if (tracksWrites(this.#running.spec) && cutThreadWanted()) {
      setImmediate(() => (this.#cutThread ??= new CutThread()).keep()).unref();
    }
    // Its checkpoints may also begin on bin/amber's intent, while the command's node starts (cutintent.ts).
    if (process.env['AMBER_CUT_INTENT'] !== '0') {
      setImmediate(() => {
        if (this.#recorded) return;
        this.#intents = listenIntents(this.#root.podDir(this.#id), (intent) => this.#intend(intent), (why) => console.log(`checkpoint intents: none: ${why}`));
      }).unref();
    }
  }

  /** A checkpoint announced by its command: its cut begun now, unless another is under way or begun. */
  #intend(intent: CutIntent): void {
    const busy = this.#recorded ? 'the pod has stopped' : this.#checkpoint !== null || this.#early !== null || this.#intending !== null ? 'a checkpoint is under way' : this.#busy();
    if (busy !== null) return void console.log(`checkpoint ${intent.imagePath}: intent of pid ${intent.pid} not begun: ${busy}`);
    const last = this.#lastCut;
    const helper = this.#cutThread;
    this.#intending = import('./earlycut.js').then(({ EarlyCut, notWorthBeginning }) => {
      if (this.#recorded) return;
      const not = notWorthBeginning(intent, last, tracksWrites(this.#running.spec));
      if (not !== null) return void console.log(`checkpoint ${intent.imagePath}: intent of pid ${intent.pid} not begun: ${not}`);
      const begin = async (): Promise<BegunCut> => {
        await this.#flushes.before(intent.imagePath);
        return (await import('./cut.js')).beginCut(this.#running, {
          imagePath: intent.imagePath,
          leaveRunning: intent.leaveRunning,
          ...(intent.parentPath !== undefined ? { parentPath: intent.parentPath } : {}),
          last,
          ...(helper !== null ? { helper } : {}),
        });
      };
      const early: EarlyCut = new EarlyCut(intent, last, begin, (why) => {
        if (this.#early === early) void this.#dropEarly(why);
      });
      this.#early = early;
    }).finally(() => {
      this.#intending = null;
    });
  }

  /** Drops a cut begun on an intent (by default the one waiting for its request, if any): its staged image
   *  removed once its pass is over. */
  async #dropEarly(why: string, early: EarlyCut | null = this.#early): Promise<void> {
    if (early === null) return;
    if (this.#early === early) this.#early = null;
    // Its pass read and cleared the write maps: the next cut cannot trust them, and starts afresh (a full cut).
    if (this.#lastCut === early.last) this.#lastCut = null;
    console.log(`checkpoint ${early.intent.imagePath}: begun on the intent of pid ${early.intent.pid}, dropped: ${why}`);
    await early.drop();
    this.#cutThread?.releaseSlots();
  }

  #changed(): void {
    if (this.#live && !this.#recorded) {
      const record = this.#root.read(this.#id);
      if (record !== null && this.#runc !== null) this.#root.write({ ...record, containers: this.#runc.records() });
    }
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /**
   * Runs the pod until every container has ended and any image being written is done; a pod driven by
   * runc's verbs lives while any container has not stopped (one may be created, or join, at any time).
   */
  async run(): Promise<void> {
    await this.#running.scheduler.run();
    while (this.#runc?.live === true) {
      await new Promise<void>((res) => {
        this.#wake = res;
      });
      await this.#running.scheduler.run();
    }
    await this.#checkpoint; // a pod left running may end while its image is still being written
    this.#intents?.close();
    await this.#intending;
    await this.#dropEarly('the pod ended');
    await this.#flushes.done();
    // Each relay is told how its process ended before this process goes.
    const deadline = Date.now() + 2000;
    while (this.#relays.size > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  }

  /** A relay's connection, which this process waits to have told how its process ended before it exits. */
  track(sock: Socket): void {
    if (sock.closed) return;
    this.#relays.add(sock);
    sock.on('close', () => this.#relays.delete(sock));
  }

  /** A relay's connection on the pod's attach socket: its request line, then frames (host/relayframes.ts). */
  attach(sock: Socket): void {
    readAttachLine(sock, (req, rest) => {
      let error = typeof req === 'string' ? req : this.#runc === null ? `pod ${this.#id} was not made by runc's verbs` : null;
      void (async () => {
        if (error === null && typeof req !== 'string' && this.#runc !== null) {
          this.track(sock);
          error = await this.#runc.attach(sock, req, rest, () => sock.write(`${JSON.stringify({ ok: true })}\n`));
          if (error === null) return;
        }
        sock.end(`${JSON.stringify({ ok: false, error })}\n`);
      })();
    });
  }

  /** Records that container ended in a trap (exit code 134, and why) while the pod runs on. */
  recordTrap(container: string, message: string): void {
    if (this.#recorded) return;
    const now = this.#root.read(this.#id);
    if (now === null) return; // deleted while running
    const containers = now.containers.map((c) => (c.name === container ? { ...c, exitCode: 134, trap: message } : c));
    this.#root.write({ ...now, containers });
  }

  /** Writes the stopped record (once). */
  recordStopped(status: StopStatus): void {
    if (this.#recorded) return;
    this.#recorded = true;
    const now = this.#root.read(this.#id);
    if (now === null) return; // deleted while running
    const code = (c: number) => (status.checkpointed === true ? null : c >= 0 ? c : 128 + (status.killedBy ?? 9));
    const containers: ContainerRecord[] = this.#runc !== null
      ? this.#runc.records().map((c) => ({ ...c, status: 'stopped', exitCode: c.exitCode ?? code(-1) }))
      : containerEnds(this.#running).map((e) => ({ name: e.name, exitCode: code(e.exitCode), ...(e.trap !== undefined ? { trap: e.trap } : {}) }));
    this.#root.write({ ...now, status: 'stopped', sandboxPid: null, containers });
  }

  /** Stops the sandbox: the record first, then the process (after the reply has gone out). */
  #exitSoon(status: StopStatus): void {
    this.recordStopped(status);
    this.#intents?.close();
    const dropped = Promise.resolve(this.#intending).then(() => this.#dropEarly('the pod stopped'));
    setTimeout(() => void Promise.all([this.#flushes.done(), dropped]).then(() => this.#exit()), 10);
  }

  /** One request off the control socket. */
  async handle(raw: unknown, progress: ControlProgress, channel: ControlChannel = NO_CHANNEL): Promise<ControlReply<ControlRequest['op']>> {
    const req = parseRequest(raw);
    if (typeof req === 'string') return { ok: false, error: req };
    switch (req.op) {
      case 'exec':
        return this.#exec(req, channel);
      case 'kill':
        // No guest runs after this point: the record says stopped before the client hears back.
        if (this.#runc !== null) for (const c of this.#runc.records()) this.#runc.signal(c.name, req.signal, true);
        await this.#running.scheduler.pause();
        this.#exitSoon({ killedBy: req.signal });
        return { ok: true };
      case 'checkpoint':
        return this.#checkpointNow(req, progress);
      case 'ping':
        return { ok: true, pid: process.pid };
      default:
        return this.#container(req);
    }
  }

  /** runc's verbs on one container. */
  async #container(req: ContainerRequest): Promise<ControlReply<ContainerRequest['op']>> {
    const runc = this.#runc;
    if (runc === null) return { ok: false, error: `pod ${this.#id} was not made by runc's verbs` };
    try {
      switch (req.op) {
        case 'add':
          await runc.add(req.container);
          break;
        case 'claim':
          // Every container of the image was claimed before the pod was rebuilt (restoregate.ts).
          throw new Error(`container ${req.container.name} is restored already`);
        case 'start':
          runc.start(req.container);
          break;
        case 'signal':
          runc.signal(req.container, req.signal, req.all);
          break;
        case 'remove':
          runc.remove(req.container);
          break;
        case 'pause':
          await runc.pause();
          break;
        case 'resume':
          runc.resume();
          break;
      }
    } catch (e) {
      return { ok: false, error: firstLine(e) };
    }
    return { ok: true };
  }

  /**
   * Runs an exec to its end: its output in the reply, or streamed as it is written (req.stream). A
   * client that goes away ends it (137), so it cannot hold off checkpoints for ever.
   */
  async #exec(req: ExecRequest, channel: ControlChannel): Promise<ControlReply<'exec'>> {
    const running = this.#running;
    if (!running.pod.containers.has(req.container)) return { ok: false, error: `pod ${this.#id} has no container ${req.container}` };
    let loaded;
    try {
      const c = running.pod.containers.get(req.container);
      loaded = await prepareModuleFile(req.module);
      if (c !== undefined) loaded = await withMemoryLimit(loaded, running.spec, c.spec);
    } catch (e) {
      return { ok: false, error: firstLine(e) };
    }
    const streamed = req.stream === true;
    const out = streamed ? execOutputStream(channel, 1) : new BufferStream();
    const err = streamed ? execOutputStream(channel, 2) : new BufferStream();
    const proc = running.pod.exec(req.container, [basename(req.module), ...req.args], undefined, [new NullStream(), out, err]);
    this.#execs++;
    try {
      const task = running.scheduler.add(proc, loaded.module);
      channel.onClose(() => {
        if (task.end === null) running.scheduler.kill(task, 137);
      });
      // The backlog went out: a writer waiting for room goes on now, not at its next retry.
      channel.onDrain(() => running.scheduler.pollSoon());
      const end = await task.done;
      const text = (s: HostStream): string => (s instanceof BufferStream ? s.text() : '');
      return { ok: true, exitCode: end.kind === 'exit' ? end.code : 134, trap: end.kind === 'trap' ? end.message : null, stdout: text(out), stderr: text(err) };
    } finally {
      this.#execs--;
    }
  }

  #busy(): string | null {
    return this.#execs > 0 ? `pod ${this.#id} has an exec in progress; checkpoint it when the exec has ended` : null;
  }

  async #checkpointNow(req: CheckpointRequest, progress: ControlProgress): Promise<ControlReply<'checkpoint'>> {
    await this.#intending;
    // A cut begun on this very command's intent goes on; one begun on another's is dropped first.
    const early = this.#early;
    const mismatch = early?.mismatch(req, this.#lastCut) ?? null;
    if (early !== null && mismatch !== null) await this.#dropEarly(`the request does not match: ${mismatch}`);
    let begun: Promise<BegunCut> | null = null;
    if (early !== null && mismatch === null) {
      this.#early = null;
      begun = early.take();
      console.log(`checkpoint ${req.imagePath}: begun on its command's intent ${Math.round(performance.now() - early.at)} ms before the request: carried on`);
    }
    const busy = this.#busy();
    if (busy !== null || this.#checkpoint !== null) {
      if (begun !== null) void this.#dropEarly(busy ?? 'a checkpoint is under way', early);
      return { ok: false, error: busy ?? `pod ${this.#id} is being checkpointed already` };
    }
    // An exec that starts while the snapshot buffers are made, or while a slice runs, is refused at the cut.
    // The cut and the image writer (codecs, zstd) load with the first checkpoint: a pod that is never
    // checkpointed, and every create, starts without them.
    const kept = this.#cutThread !== null;
    const cutReq = {
      id: this.#id,
      source: this.#source,
      imagePath: req.imagePath,
      leaveRunning: req.leaveRunning,
      ...(req.parentPath !== undefined ? { parentPath: req.parentPath } : {}),
      last: this.#lastCut,
      ...(this.#cutThread !== null ? { helper: this.#cutThread } : {}),
      ...(req.compress !== undefined ? { compress: req.compress } : {}),
      host: (this.#hostFacts ??= hostFacts()),
      onProgress: progress,
      busy: () => this.#busy(),
    };
    const checkpoint = (async () => {
      const cut = await import('./cut.js');
      const b = begun ?? this.#flushes.before(req.imagePath).then(() => cut.beginCut(this.#running, cutReq));
      return cut.finishCut(this.#running, await b, cutReq);
    })();
    this.#checkpoint = checkpoint.catch(() => {});
    let result;
    try {
      result = await checkpoint;
    } catch (e) {
      this.#lastCut = null; // the snapshot may hold a cut that was not written: the next one starts afresh
      return { ok: false, error: firstLine(e) };
    } finally {
      this.#checkpoint = null;
      this.#cutThread?.releaseSlots();
    }
    this.#lastCut = result.next;
    const flushStart = performance.now();
    let whole = true; // flushed with nothing to say (not cut short, not overtaken by a later image there)
    const flushed = result.flushed.then((warnings) => {
      whole = warnings.length === 0;
      for (const w of warnings) console.log(`checkpoint ${req.imagePath}: ${w}`);
    });
    const onDisk = this.#flushes.add(req.imagePath, flushed);
    void onDisk.then(() => {
      if (whole) console.log(`checkpoint ${req.imagePath}: flushed to disk in ${Math.round(performance.now() - flushStart)} ms after the reply`);
    });
    if (req.durable === true) {
      if (!req.leaveRunning) this.recordStopped({ checkpointed: true }); // stopped already, while it flushes
      await onDisk;
    }
    if (!req.leaveRunning) this.#exitSoon({ checkpointed: true });
    console.log(`checkpoint ${req.imagePath}: ${result.bytes} bytes, ${result.written} written, ${result.reused} linked, ${result.changedParts} memory parts changed, ${result.preCopied ? 'memory pre-copied' : 'snapshot buffers made'} in ${result.prepareMs} ms, pause ${result.pauseMs === null ? 'until exit' : `${result.pauseMs} ms`}, written in ${result.ms} ms${result.helperThread ? `, with a helper thread${kept ? ' kept by the sandbox' : ''}` : ''}${preCopyLine(result.preCopy)}`);
    return { ok: true, bytes: result.bytes, written: result.written, reused: result.reused, ms: result.ms, pauseMs: result.pauseMs };
  }
}
