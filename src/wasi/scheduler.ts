// The run loop of a pod's processes, like the Sentry's task goroutines reduced to one thread: each
// process is a Fiber (suspend.ts) in a small state machine, runnable → running → blocked(wait) or
// preempted → runnable, and stopped for a checkpoint. A syscall that can answer now answers now; one
// that must wait (poll_oneoff with nothing ready) records its wait and unwinds; the loop retries it
// when the wait is over. Time is shared by time (fairqueue.ts, CFS's way): each slice goes to the
// runnable process that has run least, for some milliseconds of CPU time, and a fiber gives the thread
// back when its slice is over at its next syscall or fuel check, so a loop of costly calls yields as
// often as a loop of arithmetic. CPU time, not the wall clock: time the host gave to other processes is
// nobody's, and a short burst of calls is not cut because the host stalled in its middle. Waits are
// looked at after every slice, and a sleeper's deadline ends the slice it falls in (past the wake-up
// granularity), so a sleeper wakes on time beside busy neighbours. Between slices the loop yields to
// the host's event loop, so control requests (checkpoint, kill, exec) are served while guests run; at
// those points every fiber is suspended, so the pod is one consistent cut.
import { nextTurn } from '../base/turn.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import { amberImports } from './amber.js';
import { FairQueue, WAKEUP_GRANULARITY_MS, type FairEntity } from './fairqueue.js';
import { wasiImports } from './imports.js';
import { GuestMemory } from './memory.js';
import { ProcExit } from './proc.js';
import { AsyncifyOverflowError, Fiber, SUSPEND, type FiberImage, type FiberImports } from './suspend.js';
import type { Sys } from './sys.js';

/** Why a blocked process waits: until a monotonic deadline, and/or for fds to become ready. */
export interface Wait {
  /** Kernel monotonic nanoseconds; null: no deadline. */
  untilNs: bigint | null;
  /** It also waits on fds, so it must be retried from time to time. */
  polling: boolean;
  /** The clock readings its relative timeouts count from, handed back when the call is made again. */
  bases: Array<[number, bigint]>;
}

export type TaskEnd = { kind: 'exit'; code: number } | { kind: 'trap'; message: string };

export type TaskState = 'runnable' | 'blocked' | 'exited';

/** The longest setTimeout node keeps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Guest time after which the loop lets the host's event loop in (control requests, output drained). */
const HOST_YIELD_MS = 5;
/** How often a process waiting on fds is retried, unless pollSoon() says something changed. */
const POLL_MS = 5;
/** Wall time after which a slice is over whatever CPU time it used (a host whose CPU clock stands still). */
const STALL_LIMIT_MS = 200;

export class Task implements FairEntity {
  readonly proc: Process;
  readonly fiber: Fiber;
  /** Hands a blocked call's clock readings back to it when it is made again. */
  retryWith: (bases: Array<[number, bigint]>) => void = () => {};
  state: TaskState = 'runnable';
  wait: Wait | null = null;
  /** The readings of the last wait, for the call made again when it ends. */
  retryBases: Array<[number, bigint]> = [];
  end: TaskEnd | null = null;
  /** Its place in the fair queue: milliseconds it ran, shifted as it sleeps (fairqueue.ts). */
  vruntime = 0;
  readonly done: Promise<TaskEnd>;
  #resolve!: (e: TaskEnd) => void;

  constructor(proc: Process, fiber: Fiber) {
    this.proc = proc;
    this.fiber = fiber;
    this.done = new Promise((res) => {
      this.#resolve = res;
    });
  }

  finish(end: TaskEnd): void {
    this.state = 'exited';
    this.end = end;
    this.proc.exit(end.kind === 'exit' ? end.code : 134);
    this.#resolve(end);
  }
}

/** A syscall context whose poll_oneoff suspends instead of sleeping the host thread. */
interface SchedSys extends Sys {
  mem: GuestMemory;
  suspend: (wait: Wait) => number;
  /** Set while a blocked call is made again; its first read clears it. */
  retry: Array<[number, bigint]> | null;
}

interface TaskRef {
  task: Task | null;
  sys: SchedSys | null;
}

function describeTrap(e: unknown): string {
  if (e instanceof WebAssembly.RuntimeError) return `wasm trap: ${e.message}`;
  // The process is lost, not the pod: its stack outgrew the Asyncify buffer while unwinding.
  if (e instanceof AsyncifyOverflowError) return e.message;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'wasm trap: call stack exhausted';
  throw e;
}

export class Scheduler {
  readonly kernel: Kernel;
  readonly tasks: Task[] = [];
  #paused = 0;
  #wake: (() => void) | null = null;
  #running = false;
  /** The running slice: before wallEnd (performance.now() ms) it is not over; after, it is once its
   *  process has used cpuEnd (CPU ms) or the wall clock reached stallEnd. */
  #slice = { wallEnd: 0, cpuEnd: 0, stallEnd: 0 };
  readonly #fair = new FairQueue();
  /** When processes waiting on fds are next retried (performance.now() ms). */
  #pollAt = 0;

  constructor(kernel: Kernel) {
    this.kernel = kernel;
  }

  #imports(proc: Process, taskRef: TaskRef): { imports: FiberImports; sys: SchedSys } {
    const sys: SchedSys = {
      kernel: this.kernel,
      proc,
      mem: new GuestMemory(new WebAssembly.Memory({ initial: 0 })),
      suspend: (wait) => {
        const t = taskRef.task;
        if (t !== null) t.wait = wait;
        return SUSPEND as unknown as number; // the Fiber's wrapper sees the marker and unwinds
      },
      retry: null,
      retryBases: () => {
        const r = sys.retry;
        sys.retry = null;
        return r;
      },
    };
    taskRef.sys = sys;
    return { sys, imports: { wasi_snapshot_preview1: wasiImports(sys), amber: amberImports(sys) } as FiberImports };
  }

  #fiberOptions() {
    const over = (): boolean => this.#sliceOver();
    return { shouldYield: over, yieldAfterCalls: true };
  }

  #cpuMs(): number {
    return Number(this.kernel.clock.cputimeNs()) / 1e6;
  }

  /** Asked at every syscall and fuel check: the wall clock first (cheap), the CPU clock only past it. */
  #sliceOver(): boolean {
    const s = this.#slice;
    const now = performance.now();
    if (now <= s.wallEnd) return false;
    const cpu = this.#cpuMs();
    if (cpu >= s.cpuEnd || now >= s.stallEnd) return true;
    // The host ran others meanwhile: look again once this process could have used the rest.
    s.wallEnd = now + (s.cpuEnd - cpu);
    return false;
  }

  /** A new process running module from its start. */
  add(proc: Process, module: WebAssembly.Module): Task {
    const ref: TaskRef = { task: null, sys: null };
    const { imports, sys } = this.#imports(proc, ref);
    const fiber = new Fiber(module, imports, this.#fiberOptions());
    sys.mem = GuestMemory.of(fiber.memory, fiber.trackBase);
    const task = this.#task(proc, fiber, ref);
    this.#fair.placeNew(task);
    this.tasks.push(task);
    this.#kick();
    return task;
  }

  #task(proc: Process, fiber: Fiber, ref: TaskRef): Task {
    const task = new Task(proc, fiber);
    ref.task = task;
    task.retryWith = (bases) => {
      if (ref.sys !== null) ref.sys.retry = bases;
    };
    return task;
  }

  /** A process continuing from a saved fiber image (a restore), its memory read off this thread where
   *  the image's source can (Fiber.restoreAsync). */
  async addRestored(proc: Process, module: WebAssembly.Module, image: FiberImage, wait: Wait | null): Promise<Task> {
    const ref: TaskRef = { task: null, sys: null };
    const { imports, sys } = this.#imports(proc, ref);
    const fiber = await Fiber.restoreAsync(module, imports, image, this.#fiberOptions());
    return this.#restored(proc, fiber, ref, sys, wait);
  }

  /** addRestored() of a fiber restored before this scheduler existed (Fiber.restoreUnbound: its memory
   *  read while the pod was being made), given its imports here once it is. */
  async adoptRestored(proc: Process, restoring: Promise<Fiber>, wait: Wait | null): Promise<Task> {
    const ref: TaskRef = { task: null, sys: null };
    const { imports, sys } = this.#imports(proc, ref);
    const fiber = await restoring;
    fiber.bind(imports, this.#fiberOptions());
    return this.#restored(proc, fiber, ref, sys, wait);
  }

  #restored(proc: Process, fiber: Fiber, ref: TaskRef, sys: SchedSys, wait: Wait | null): Task {
    sys.mem = GuestMemory.of(fiber.memory, fiber.trackBase);
    const task = this.#task(proc, fiber, ref);
    if (fiber.pending?.cause === 'blocked') {
      task.state = 'blocked';
      task.wait = wait ?? { untilNs: null, polling: true, bases: [] };
    }
    this.#fair.placeNew(task);
    this.tasks.push(task);
    this.#kick();
    return task;
  }

  /** Stops scheduling (a checkpoint): resolves once no guest code runs; every live fiber is suspended. */
  async pause(): Promise<void> {
    this.#paused++;
    while (this.#running) await new Promise((res) => setTimeout(res, 1));
  }

  get paused(): boolean {
    return this.#paused > 0 && !this.#running;
  }

  unpause(): void {
    if (this.#paused > 0) this.#paused--;
    this.#kick();
  }

  /**
   * Ends a process at once with status (128+N for a fatal signal N), as Linux ends a task that a fatal
   * signal reaches: it never runs again. Called between slices, when no guest code runs.
   */
  kill(t: Task, status: number): void {
    if (t.state === 'exited') return;
    t.finish({ kind: 'exit', code: status });
    this.#kick();
  }

  /** Something a process may be waiting on changed (output drained, input arrived): retry them now. */
  pollSoon(): void {
    this.#pollAt = 0;
    this.#kick();
  }

  #kick(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #runOne(t: Task): void {
    try {
      let outcome;
      if (t.fiber.status === 'ready') outcome = t.fiber.start();
      else if (t.fiber.pending?.cause === 'blocked') {
        t.retryWith(t.retryBases);
        outcome = t.fiber.resume({ retry: true });
      }
      else outcome = t.fiber.resume();
      if (outcome.kind === 'exited') {
        t.finish({ kind: 'exit', code: 0 });
        return;
      }
      if (outcome.pending.cause === 'blocked') {
        t.state = 'blocked';
        t.wait ??= { untilNs: null, polling: true, bases: [] };
      } else {
        t.state = 'runnable';
      }
    } catch (e) {
      if (e instanceof ProcExit) t.finish({ kind: 'exit', code: e.code });
      else t.finish({ kind: 'trap', message: describeTrap(e) });
    }
  }

  /**
   * Blocked tasks whose wait is over become runnable, placed in the fair queue as sleepers waking; those
   * waiting on fds are retried every POLL_MS. Returns ms until the next poll, and until the next deadline.
   */
  #wakeBlocked(): { pollMs: number; deadlineMs: number } {
    const now = this.kernel.monotonicNs();
    const clock = performance.now();
    const poll = clock >= this.#pollAt;
    if (poll) this.#pollAt = clock + POLL_MS;
    let pollMs = Infinity;
    let deadlineMs = Infinity;
    for (const t of this.tasks) {
      if (t.state !== 'blocked' || t.wait === null) continue;
      const until = t.wait.untilNs;
      const due = until !== null ? until <= now : !t.wait.polling;
      if (due || (t.wait.polling && poll)) {
        t.state = 'runnable';
        t.retryBases = t.wait.bases;
        t.wait = null;
        this.#fair.placeWoken(t);
        continue;
      }
      if (t.wait.polling) pollMs = Math.min(pollMs, this.#pollAt - clock);
      if (until !== null) deadlineMs = Math.min(deadlineMs, Number(until - now) / 1e6);
    }
    return { pollMs, deadlineMs };
  }

  /** Runs until every task has exited. */
  async run(): Promise<void> {
    let lastYield = performance.now();
    for (;;) {
      if (this.tasks.every((t) => t.state === 'exited')) return;
      if (this.#paused > 0) {
        await new Promise<void>((res) => {
          this.#wake = res;
        });
        continue;
      }
      const { pollMs, deadlineMs } = this.#wakeBlocked();
      const runnable = this.tasks.filter((t) => t.state === 'runnable');
      const t = this.#fair.pick(runnable);
      if (t === undefined) {
        const waitMs = Math.min(pollMs, deadlineMs);
        await new Promise<void>((res) => {
          // A timer holds at most 2^31-1 ms (node fires a longer one at once): a far deadline wakes early, to
          // look again. Woken before it (a kill, an exec), the timer goes: it would hold the process open.
          const timer = setTimeout(() => this.#kick(), Number.isFinite(waitMs) ? Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(waitMs))) : 50);
          this.#wake = () => {
            clearTimeout(timer);
            res();
          };
        });
        lastYield = performance.now();
        continue;
      }
      this.#running = true;
      const start = performance.now();
      const cpuStart = this.#cpuMs();
      // A sleeper whose time comes during the slice ends it there, once the running process has had the
      // wake-up granularity (CFS's wake-up preemption): its wait is looked at then, and it runs next.
      const slice = this.#fair.sliceMs(runnable.length);
      const cut = Math.max(0, deadlineMs);
      this.#slice = { wallEnd: start + Math.min(slice, cut), cpuEnd: cpuStart + Math.min(slice, Math.max(WAKEUP_GRANULARITY_MS, cut)), stallEnd: start + STALL_LIMIT_MS };
      this.#runOne(t);
      const end = performance.now();
      this.#running = false;
      this.#fair.charge(t, this.#cpuMs() - cpuStart, runnable.filter((r) => r.state === 'runnable'));
      if (end - lastYield >= HOST_YIELD_MS) {
        await nextTurn();
        lastYield = performance.now();
      }
    }
  }
}
