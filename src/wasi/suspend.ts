// The runtime side of Asyncify for one instance of a transformed module (transform/, DESIGN.md §3 and
// §6): a Fiber runs `_start` until it returns or stops at an import, and continues it later. A call that
// can answer now answers now; only a call that must wait (its import returns SUSPEND), a preemption or a
// requested stop unwinds the stack. A stopped fiber's state (memory, globals, Asyncify stack, the call it
// stopped in) can be saved, and restored into a fresh instance of the same module.
//
// The Asyncify buffer borrows the top of linear memory, and only while no guest code runs: from the
// unwinding import until `_start` has returned, and from the rewind until the first import call. The
// bytes it covers are copied out first and put back after, so the guest never sees it; between an unwind
// and a rewind the stack lives in a Uint8Array here, and the kernel may read and write guest memory
// freely. Growing memory for a private region would not do: wasi-libc's malloc claims every page up to
// memory.size when it first runs, which can be after the first unwind.
//
// A module that tracks its writes (transformed.ts: TRACK_BASE_EXPORT) sees its memory from real byte B
// up: Asyncify's data pointer and its header's pointers are the guest's addresses (real - B), while this
// file's own views of memory.buffer use real offsets, and the borrowed region stays above B.
import { AmberError, messageOf } from '../base/error.js';
import { BadModuleError, checkImportModules } from './badmodule.js';
import { checkMemorySize, checkPending, FiberImageError, setGlobals } from './fibercheck.js';
import { trackBaseOf } from './memory.js';
import {
  AMBER_MODULE,
  FUEL_EXPORT,
  GLOBAL_EXPORT_PREFIX,
  PREEMPT_IMPORT,
} from './transformed.js';

/** What a suspendable import returns to say "I cannot answer now": the fiber unwinds. */
export const SUSPEND: unique symbol = Symbol('amber.suspend');
export type Suspend = typeof SUSPEND;

type Value = number | bigint;
/** An import of the modules the transform lets unwind: it answers now, or returns SUSPEND. */
export type SuspendableImport = (...args: Value[]) => Value | undefined | Suspend;

/** The import modules whose calls may unwind (SUSPENDING_IMPORTS names calls of these alone). */
const SUSPENDING_MODULES: readonly string[] = ['wasi_snapshot_preview1', 'wasi_unstable', AMBER_MODULE];

export interface FiberImports {
  [module: string]: { [name: string]: SuspendableImport | WebAssembly.ImportValue };
}

/** Where an instance's import finds its function: given at instantiation, or by Fiber.bind() later. */
interface ImportSlot {
  fn: SuspendableImport;
}

/** The call a suspended fiber stopped in. */
export interface PendingCall {
  readonly module: string;
  readonly name: string;
  readonly args: readonly Value[];
  /**
   * 'blocked': the import returned SUSPEND, and resume() must say what it returns (or retry it).
   * 'preempted': the fuel ran out and shouldYield said so. 'stopped': after the call completed,
   * requestStop(), or shouldYield said the fiber's time is up (a loop of calls spends little fuel: time
   * is shared by time). For both, the call's own result is kept here and returned on resume.
   */
  readonly cause: 'blocked' | 'preempted' | 'stopped';
  readonly result?: Value | undefined;
}

/** How a blocked call ends: with this result, or by calling the import again with the same arguments. */
export type Answer = { value: Value } | { retry: true };

export type RunOutcome = { kind: 'exited' } | { kind: 'suspended'; pending: PendingCall };

/** 'ready': not started; 'running': inside _start; 'suspended': unwound at a call; 'exited': _start returned or threw. */
export type FiberStatus = 'ready' | 'running' | 'suspended' | 'exited';

/** What a suspended fiber needs besides its memory to continue in another instance. */
export interface SavedFiber {
  /** Every exported mutable global: the guest's (GLOBAL_EXPORT_PREFIX<i>) and the fuel. */
  globals: Record<string, Value>;
  /** The Asyncify stack: the call index and live locals of every frame, innermost first. */
  stack: Uint8Array;
  pending: PendingCall;
}

export interface FiberImage extends SavedFiber {
  /** Linear memory, byte for byte (a whole number of 64 KiB pages), or where to read it from. */
  memory: Uint8Array | MemorySource;
}

/** Linear memory kept elsewhere (a checkpoint image), read straight into a fresh instance's memory. */
export interface MemorySource {
  readonly length: number;
  /** Writes the bytes into into[0, length); into is all zeros at and past zeroFrom already. */
  copyTo(into: Uint8Array, zeroFrom: number): void;
  /** The same, done when the promise resolves (reads off this thread): Fiber.restoreAsync uses it. */
  fill?(into: Uint8Array, zeroFrom: number): Promise<void>;
}

export interface FiberOptions {
  /** Asked each time the fuel runs out (and after each import call that completes, with
   *  yieldAfterCalls); true unwinds the guest (cause 'preempted', or 'stopped' after a call). Default: never. */
  shouldYield?: () => boolean;
  /** Ask shouldYield after import calls too: a loop of calls spends little fuel (a scheduler's time slice). */
  yieldAfterCalls?: boolean;
  /** Loop heads (and recursive entries) between two calls of shouldYield. Default 16384. */
  fuel?: number;
  /** Bytes of linear memory the first unwind borrows for the Asyncify stack; it doubles as stacks grow. Default 64 KiB. */
  reserve?: number;
}

/** The guest's stack outgrew the borrowed Asyncify buffer while unwinding; the instance is lost. */
export class AsyncifyOverflowError extends Error {
  constructor(reserve: number, cause: unknown) {
    super(`the guest's stack outgrew the ${reserve}-byte Asyncify buffer while unwinding`, { cause });
    this.name = 'AsyncifyOverflowError';
  }
}

/** A module that is not the output of transformModule (no asyncify_* exports, no memory, no _start). */
export class NotTransformedError extends AmberError {
  constructor(missing: string) {
    super(`not a transformed module: it exports no ${missing}`);
    this.name = 'NotTransformedError';
  }
}

interface AsyncifyExports {
  memory: WebAssembly.Memory;
  _start: () => void;
  asyncify_start_unwind: (data: number) => void;
  asyncify_stop_unwind: () => void;
  asyncify_start_rewind: (data: number) => void;
  asyncify_stop_rewind: () => void;
}

/** Asyncify's data header at the start of the buffer: { i32 current; i32 end }, then the stack. */
const HEADER = 8;
const PAGE = 65536;
/** The highest end of Asyncify's buffer: below 2^32 by a page (see #borrow). */
const TOP_LIMIT = 2 ** 32 - PAGE;
const DEFAULT_FUEL = 16384;
const DEFAULT_RESERVE = 65536;

function exportsOf(instance: WebAssembly.Instance): AsyncifyExports {
  const e = instance.exports;
  const fns = ['_start', 'asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind'];
  for (const name of fns) if (typeof e[name] !== 'function') throw new NotTransformedError(name);
  if (!(e['memory'] instanceof WebAssembly.Memory)) throw new NotTransformedError('memory');
  return e as unknown as AsyncifyExports;
}

/** The exported mutable globals a snapshot holds, by export name. */
function savedGlobals(instance: WebAssembly.Instance): Map<string, WebAssembly.Global> {
  const out = new Map<string, WebAssembly.Global>();
  for (const [name, v] of Object.entries(instance.exports)) {
    if (!(v instanceof WebAssembly.Global)) continue;
    if (name.startsWith(GLOBAL_EXPORT_PREFIX) || name === FUEL_EXPORT) out.set(name, v);
  }
  return out;
}

/**
 * One instance of a transformed module, run as a small state machine (DESIGN.md §6): ready → running →
 * suspended(pending call) → running … → exited. A process's run loop drives it:
 *
 *   const fiber = new Fiber(module, { wasi_snapshot_preview1: syscalls, amber: amberCalls }, { shouldYield });
 *   mem.bind(fiber.memory);                       // before the guest's first call
 *   let out = fiber.start();                      // ProcExit and traps propagate, as from _start
 *   while (out.kind === 'suspended') {            // blocked: wait for the op, then resume with its
 *     await ...;                                  // result or {retry: true}; preempted/stopped: resume()
 *     out = fiber.resume(answer);
 *   }
 *
 * A checkpoint takes save() (or image()) of a suspended fiber; restore() puts it in a fresh instance.
 */
export class Fiber {
  readonly instance: WebAssembly.Instance;
  /** The write map's size B (a tracked module; GuestMemory's base), 0 for an untracked module. */
  readonly trackBase: number;
  readonly #exports: AsyncifyExports;
  readonly #globals: Map<string, WebAssembly.Global>;
  readonly #fuel: WebAssembly.Global | undefined;
  readonly #quantum: number;
  #shouldYield: () => boolean;
  #yieldAfterCalls: boolean;
  /** A fiber restored before its imports existed (restoreUnbound): the slot each import calls through,
   *  by "module.name", until bind() fills them; null once it has (and for any other fiber). */
  #unbound: Map<string, { module: string; name: string; slot: ImportSlot }> | null = null;
  #reserve: number;
  #status: FiberStatus = 'ready';
  /** What Asyncify is doing: 'normal' also while the fiber is suspended. */
  #phase: 'normal' | 'unwinding' | 'rewinding' = 'normal';
  #stopRequested = false;
  #pending: PendingCall | null = null;
  #answer: Answer | null = null;
  #stack: Uint8Array | null = null;
  /** The borrowed top of memory during an unwind or rewind: where it starts and how many bytes. */
  #borrowed: { start: number; length: number } | null = null;
  /** The guest's bytes the borrowed region covers, kept in one buffer reused from borrow to borrow. */
  #saved = new Uint8Array(0);
  /** While #verify rewinds a restored fiber: why the rewind does not fit its pending call, once known. */
  #verifying: { failure: string | null } | null = null;

  /**
   * Instantiates module with imports, the suspendable ones wrapped, and `amber.preempt` added; with
   * imports null, every function the module imports calls through a slot that bind() fills later.
   */
  constructor(module: WebAssembly.Module, imports: FiberImports | null, opts: FiberOptions = {}) {
    this.#quantum = opts.fuel ?? DEFAULT_FUEL;
    this.#shouldYield = opts.shouldYield ?? (() => false);
    this.#yieldAfterCalls = opts.yieldAfterCalls === true;
    this.#reserve = opts.reserve ?? DEFAULT_RESERVE;
    const wrapped = imports === null ? this.#slotImports(module) : this.#wrapImports(imports);
    checkImportModules(module, wrapped);
    this.instance = new WebAssembly.Instance(module, wrapped);
    this.#exports = exportsOf(this.instance);
    this.trackBase = trackBaseOf(this.instance);
    this.#globals = savedGlobals(this.instance);
    this.#fuel = this.#globals.get(FUEL_EXPORT);
    this.#refuel();
  }

  /**
   * A fiber in a fresh instance of module (the same transformed module the image was saved from),
   * suspended where the image's fiber was: resume() continues it.
   */
  static restore(module: WebAssembly.Module, imports: FiberImports, image: FiberImage, opts: FiberOptions = {}): Fiber {
    const { fiber, into, zeroFrom } = Fiber.#grown(module, imports, image, opts);
    if (image.memory instanceof Uint8Array) into.set(image.memory);
    else image.memory.copyTo(into, zeroFrom);
    fiber.#suspendAt(image);
    return fiber;
  }

  /** restore(), with memory read by its source's fill where it has one: the reads leave this thread free. */
  static async restoreAsync(module: WebAssembly.Module, imports: FiberImports, image: FiberImage, opts: FiberOptions = {}): Promise<Fiber> {
    return Fiber.#restoreAsync(module, imports, image, opts);
  }

  /**
   * restoreAsync() before the fiber's imports exist (a restore reading memory while its pod is still
   * being made): nothing of the guest runs but #verify's rewind, which calls no import; bind() gives
   * the imports (and the scheduler's options), once, before start() or resume().
   */
  static async restoreUnbound(module: WebAssembly.Module, image: FiberImage, opts: FiberOptions = {}): Promise<Fiber> {
    return Fiber.#restoreAsync(module, null, image, opts);
  }

  static async #restoreAsync(module: WebAssembly.Module, imports: FiberImports | null, image: FiberImage, opts: FiberOptions): Promise<Fiber> {
    const { fiber, into, zeroFrom } = Fiber.#grown(module, imports, image, opts);
    const m = image.memory;
    if (m instanceof Uint8Array) into.set(m);
    else if (m.fill !== undefined) await m.fill(into, zeroFrom);
    else m.copyTo(into, zeroFrom);
    fiber.#suspendAt(image);
    return fiber;
  }

  /** A fresh instance for image, its memory grown to the image's; bytes at and past zeroFrom are zeros. */
  static #grown(module: WebAssembly.Module, imports: FiberImports | null, image: FiberImage, opts: FiberOptions): { fiber: Fiber; into: Uint8Array; zeroFrom: number } {
    checkPending(module, image.pending);
    const f = new Fiber(module, imports, opts);
    const memory = f.memory;
    const have = memory.buffer.byteLength / PAGE;
    checkMemorySize(image.memory.length, have);
    const want = image.memory.length / PAGE;
    if (want > have) {
      try {
        memory.grow(want - have);
      } catch (e) {
        throw new FiberImageError(`its memory of ${want} pages does not fit its module's (${messageOf(e)})`, { cause: e });
      }
    }
    // Pages past the module's initial memory are fresh zeros; below, data segments were written.
    return { fiber: f, into: new Uint8Array(memory.buffer), zeroFrom: have * PAGE };
  }

  /** The rest of a restore once memory holds the image's: globals, stack and pending call, proved (#verify). */
  #suspendAt(image: FiberImage): void {
    setGlobals(this.#globals, image.globals);
    this.#stack = image.stack.slice();
    // The verifying unwind (and the next ones) must find room for a stack as big as the saved one, which
    // the fiber it was saved from had grown its reserve to: else it traps as an overflow.
    this.#reserve = Math.max(this.#reserve, 2 * (HEADER + image.stack.length));
    this.#pending = image.pending;
    this.#status = 'suspended';
    this.#verify();
  }

  /**
   * Proves a restored fiber's saved stack leads to the call it names, before anything runs: rewinds to
   * it (only the rewind runs: no import is called), checks the rewind reached that very call, with the
   * saved arguments, having read the whole stack, and unwinds there again at once; the stack saved anew
   * must be the same bytes. FiberImageError otherwise (the instance is then lost).
   */
  #verify(): void {
    const p = this.#pending;
    const stack = this.#stack;
    if (p === null || stack === null) throw new Error('verify: the fiber is not suspended');
    const fuel: unknown = this.#fuel?.value;
    const size = this.#guestSize();
    if (HEADER + stack.length > size) throw new FiberImageError(`its saved stack of ${stack.length} bytes does not fit in its memory of ${size} bytes`);
    const start = this.#borrow(HEADER + stack.length);
    this.#header(start, start + HEADER + stack.length);
    new Uint8Array(this.memory.buffer, start + HEADER, stack.length).set(stack);
    this.#verifying = { failure: null };
    this.#phase = 'rewinding';
    let thrown: unknown = null;
    try {
      this.#exports.asyncify_start_rewind(start - this.trackBase);
      this.#exports._start();
    } catch (e) {
      thrown = e;
    }
    const failure = this.#verifying.failure;
    this.#verifying = null;
    const fail = (why: string): never => {
      this.#phase = 'normal';
      this.#giveBack();
      this.#status = 'exited';
      throw new FiberImageError(`its saved stack does not lead to ${p.module}.${p.name}: ${why}`, { cause: thrown });
    };
    if (failure !== null) fail(failure);
    if (thrown !== null) fail(messageOf(thrown));
    if ((this.#phase as string) !== 'unwinding') fail('the rewind returned from _start without reaching a call');
    this.#exports.asyncify_stop_unwind();
    this.#phase = 'normal';
    const b = this.#borrowed;
    if (b === null) throw new Error('verify: nothing borrowed after the unwind');
    const current = this.#current(b.start);
    const again = new Uint8Array(this.memory.buffer, b.start + HEADER, current - b.start - HEADER).slice();
    this.#giveBack();
    if (this.#fuel !== undefined && fuel !== undefined) this.#fuel.value = fuel;
    if (again.length !== stack.length || !again.every((x, i) => x === stack[i])) fail('the stack saved again at the call differs from the image\'s');
    this.#stack = again;
    this.#pending = p;
    this.#status = 'suspended';
  }

  get memory(): WebAssembly.Memory {
    return this.#exports.memory;
  }

  get status(): FiberStatus {
    return this.#status;
  }

  /** The call the fiber is suspended in, or null. */
  get pending(): PendingCall | null {
    return this.#pending;
  }

  /**
   * Gives a fiber made by restoreUnbound its imports (each function its module imports, but the
   * fiber's own amber.preempt) and the options that concern them. BadModuleError for a missing one.
   */
  bind(imports: FiberImports, opts: Pick<FiberOptions, 'shouldYield' | 'yieldAfterCalls'> = {}): void {
    const unbound = this.#unbound;
    if (unbound === null) throw new Error('bind: the fiber has its imports already');
    for (const { module, name, slot } of unbound.values()) {
      const fn = imports[module]?.[name];
      if (typeof fn !== 'function') throw new BadModuleError(`imports ${module}.${name}, which the runtime does not provide`);
      slot.fn = fn as SuspendableImport;
    }
    this.#shouldYield = opts.shouldYield ?? this.#shouldYield;
    this.#yieldAfterCalls = opts.yieldAfterCalls === true;
    this.#unbound = null;
  }

  /** Runs `_start` until it returns ({kind: 'exited'}) or the fiber stops at a call. A trap or a thrown import error propagates. */
  start(): RunOutcome {
    if (this.#status !== 'ready') throw new Error(`start: fiber is ${this.#status}, expected ready`);
    if (this.#unbound !== null) throw new Error('start: the fiber was not given its imports (bind)');
    return this.#enter();
  }

  /**
   * Continues a suspended fiber: the call it stopped in returns (exactly once) the answer's value, or
   * the saved result for a preempted or stopped call, or is made again for {retry: true}.
   */
  resume(answer?: Answer): RunOutcome {
    const p = this.#pending;
    if (this.#status !== 'suspended' || p === null || this.#stack === null) throw new Error(`resume: fiber is ${this.#status}, expected suspended`);
    if (p.cause === 'blocked' && answer === undefined) throw new Error(`resume: ${p.module}.${p.name} is blocked; expected an answer`);
    if (p.cause !== 'blocked' && answer !== undefined) throw new Error(`resume: ${p.module}.${p.name} already completed (${p.cause}); expected no answer`);
    if (this.#unbound !== null) throw new Error('resume: the fiber was not given its imports (bind)');
    this.#answer = answer ?? null;
    const start = this.#borrow(HEADER + this.#stack.length);
    this.#header(start, start + HEADER + this.#stack.length);
    new Uint8Array(this.memory.buffer, start + HEADER, this.#stack.length).set(this.#stack);
    this.#stack = null;
    this.#phase = 'rewinding';
    this.#exports.asyncify_start_rewind(start - this.trackBase);
    return this.#enter();
  }

  /** Stops the running guest at its next import call (after the call completes) or fuel check. */
  requestStop(): void {
    this.#stopRequested = true;
    if (this.#fuel !== undefined) this.#fuel.value = 0;
  }

  /** The state a suspended fiber continues from, without its memory (read `memory` for that). */
  save(): SavedFiber {
    if (this.#status !== 'suspended' || this.#pending === null || this.#stack === null) throw new Error(`save: fiber is ${this.#status}, expected suspended`);
    const globals: Record<string, Value> = {};
    for (const [name, g] of this.#globals) globals[name] = g.value as Value;
    return { globals, stack: this.#stack.slice(), pending: this.#pending };
  }

  /** save() with a copy of linear memory. */
  image(): FiberImage {
    return { ...this.save(), memory: new Uint8Array(this.memory.buffer).slice() };
  }

  #refuel(): void {
    if (this.#fuel !== undefined) this.#fuel.value = this.#quantum;
  }

  #wrapImports(imports: FiberImports): WebAssembly.Imports {
    const out: WebAssembly.Imports = {};
    for (const [module, fns] of Object.entries(imports)) {
      if (!SUSPENDING_MODULES.includes(module)) {
        out[module] = fns as WebAssembly.ModuleImports;
        continue;
      }
      const wrapped: WebAssembly.ModuleImports = {};
      for (const [name, fn] of Object.entries(fns)) {
        wrapped[name] = typeof fn === 'function' ? this.#wrap(module, name, { fn: fn as SuspendableImport }) : fn;
      }
      out[module] = wrapped;
    }
    const amber = (out[AMBER_MODULE] ??= {});
    amber[PREEMPT_IMPORT] = () => this.#preempt();
    return out;
  }

  /**
   * #wrapImports for a fiber whose imports come later (bind): each function module imports calls through
   * a slot, wrapped as #wrapImports wraps it; until bind() a call throws. Anything but functions cannot
   * be given later: BadModuleError.
   */
  #slotImports(module: WebAssembly.Module): WebAssembly.Imports {
    const unbound = new Map<string, { module: string; name: string; slot: ImportSlot }>();
    const out: WebAssembly.Imports = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module === AMBER_MODULE && imp.name === PREEMPT_IMPORT) continue;
      if (imp.kind !== 'function') throw new BadModuleError(`imports ${imp.module}.${imp.name}, a ${imp.kind}: only functions can be given to a fiber restored before its imports`);
      const slot: ImportSlot = { fn: () => { throw new Error(`${imp.module}.${imp.name} called before the fiber was given its imports`); } };
      unbound.set(`${imp.module}.${imp.name}`, { module: imp.module, name: imp.name, slot });
      const fns = (out[imp.module] ??= {});
      fns[imp.name] = SUSPENDING_MODULES.includes(imp.module) ? this.#wrap(imp.module, imp.name, slot) : (...args: Value[]) => slot.fn(...args);
    }
    this.#unbound = unbound;
    const amber = (out[AMBER_MODULE] ??= {});
    amber[PREEMPT_IMPORT] = () => this.#preempt();
    return out;
  }

  /** An import as the instance calls it: its slot's function, read at each call (bind() may fill it late). */
  #wrap(module: string, name: string, slot: ImportSlot): (...args: Value[]) => Value | undefined {
    return (...args) => (this.#phase === 'rewinding' ? this.#endRewind(module, name, args, slot.fn) : this.#call(module, name, args, slot.fn));
  }

  #call(module: string, name: string, args: Value[], fn: SuspendableImport): Value | undefined {
    const r = fn(...args);
    if (r === SUSPEND) {
      this.#startUnwind({ module, name, args, cause: 'blocked' });
      return 0;
    }
    if (this.#stopRequested || (this.#yieldAfterCalls && this.#shouldYield())) this.#startUnwind({ module, name, args, cause: 'stopped', result: r });
    return r;
  }

  #preempt(): void {
    if (this.#phase === 'rewinding') {
      this.#endRewind(AMBER_MODULE, PREEMPT_IMPORT, [], () => undefined);
      return;
    }
    this.#refuel();
    if (this.#stopRequested) this.#startUnwind({ module: AMBER_MODULE, name: PREEMPT_IMPORT, args: [], cause: 'stopped' });
    else if (this.#shouldYield()) this.#startUnwind({ module: AMBER_MODULE, name: PREEMPT_IMPORT, args: [], cause: 'preempted' });
  }

  /** The rewind reached the call it stopped in: stop rewinding, give the guest its bytes back, answer. */
  #endRewind(module: string, name: string, args: Value[], fn: SuspendableImport): Value | undefined {
    const p = this.#pending;
    if (this.#verifying !== null && p !== null) return this.#endVerify(p, module, name, args);
    if (p === null || p.module !== module || p.name !== name) {
      throw new Error(`rewind reached ${module}.${name}, expected ${p === null ? 'nothing' : `${p.module}.${p.name}`}`);
    }
    this.#exports.asyncify_stop_rewind();
    this.#phase = 'normal';
    this.#giveBack();
    const answer = this.#answer;
    this.#pending = null;
    this.#answer = null;
    if (p.cause !== 'blocked') return p.result;
    if (answer === null) throw new Error('unreachable: a blocked call resumed without an answer');
    if ('value' in answer) return answer.value;
    return this.#call(module, name, args, fn);
  }

  /** #verify's rewind reached a call: is it the pending one, all of the stack read? Then unwind again. */
  #endVerify(p: PendingCall, module: string, name: string, args: Value[]): number {
    const v = this.#verifying;
    const b = this.#borrowed;
    if (v === null || b === null) throw new Error('endVerify: not verifying');
    const left = this.#current(b.start) - (b.start + HEADER);
    const show = (xs: readonly Value[]): string => xs.map((x) => (typeof x === 'bigint' ? `${x}n` : String(x))).join(', ');
    if (module !== p.module || name !== p.name) v.failure = `the rewind reached ${module}.${name}`;
    else if (left !== 0) v.failure = `the rewind reached the call with ${left} bytes of the stack unread`;
    else if (args.length !== p.args.length || !args.every((a, i) => Object.is(a, p.args[i]))) {
      v.failure = `the call is made with (${show(args)}), the image says (${show(p.args)})`;
    }
    if (v.failure !== null) throw new FiberImageError(v.failure);
    this.#exports.asyncify_stop_rewind();
    this.#phase = 'normal';
    this.#giveBack();
    this.#startUnwind(p);
    return 0;
  }

  #startUnwind(pending: PendingCall): void {
    this.#stopRequested = false;
    this.#pending = pending;
    const start = this.#borrow(Math.min(this.#reserve, this.#guestSize()));
    this.#header(start, start + HEADER);
    this.#phase = 'unwinding';
    this.#exports.asyncify_start_unwind(start - this.trackBase);
  }

  /** The bytes of memory the guest sees: all of it, less a tracked module's write map. */
  #guestSize(): number {
    return this.memory.buffer.byteLength - this.trackBase;
  }

  /** Writes Asyncify's header at real offset start: current (a real offset here) and the borrowed end,
   *  both as the guest's addresses. */
  #header(start: number, current: number): void {
    const view = new DataView(this.memory.buffer);
    view.setUint32(start, current - this.trackBase, true);
    view.setUint32(start + 4, this.#borrowedEnd() - this.trackBase, true);
  }

  /** Asyncify's current pointer in the header at real offset start, as a real offset. */
  #current(start: number): number {
    return new DataView(this.memory.buffer).getUint32(start, true) + this.trackBase;
  }

  /**
   * Borrows `bytes` at the top of memory (16-aligned start), keeping a copy of what they held. Addresses
   * are numbers up to 2^32 here, never 32-bit integers (`&` would turn one past 2^31 negative). The top
   * is TOP_LIMIT at most: Asyncify's end pointer is an i32, and it checks it only once a frame is
   * written, so in a 4 GiB memory a page stays between its buffer and 2^32.
   */
  #borrow(bytes: number): number {
    const top = Math.min(this.memory.buffer.byteLength, TOP_LIMIT);
    if (bytes > top - this.trackBase) throw new Error(`the Asyncify stack (${bytes} bytes) does not fit in memory (${top} bytes)`);
    const start = Math.floor((top - bytes) / 16) * 16;
    const length = top - start;
    if (this.#saved.length < length) this.#saved = new Uint8Array(length);
    this.#saved.set(new Uint8Array(this.memory.buffer, start, length));
    this.#borrowed = { start, length };
    return start;
  }

  /** The end of the borrowed region: Asyncify's stack end. */
  #borrowedEnd(): number {
    const b = this.#borrowed;
    if (b === null) throw new Error('nothing borrowed');
    return b.start + b.length;
  }

  #giveBack(): void {
    const b = this.#borrowed;
    if (b === null) return;
    new Uint8Array(this.memory.buffer, b.start, b.length).set(this.#saved.subarray(0, b.length));
    this.#borrowed = null;
  }

  #enter(): RunOutcome {
    this.#status = 'running';
    try {
      this.#exports._start();
    } catch (e) {
      const unwinding = this.#phase === 'unwinding';
      this.#status = 'exited';
      this.#phase = 'normal';
      if (unwinding) throw new AsyncifyOverflowError(this.#borrowed?.length ?? 0, e);
      this.#giveBack();
      throw e;
    }
    if (this.#phase === 'rewinding') {
      this.#status = 'exited';
      throw new Error('the guest returned from _start while rewinding: the saved stack does not fit this module');
    }
    if (this.#phase === 'normal') {
      this.#status = 'exited';
      return { kind: 'exited' };
    }
    this.#exports.asyncify_stop_unwind();
    this.#phase = 'normal';
    const b = this.#borrowed!;
    const used = this.#current(b.start) - b.start - HEADER;
    this.#stack = new Uint8Array(this.memory.buffer, b.start + HEADER, used).slice();
    this.#giveBack();
    if (used * 2 > this.#reserve) this.#reserve *= 2;
    this.#status = 'suspended';
    return { kind: 'suspended', pending: this.#pending! };
  }
}
