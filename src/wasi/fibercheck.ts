// What a saved fiber must be before it is put into an instance (a restore), as CRIU checks a task's core
// image against its executable: the call it is suspended in is an import of its module that may unwind,
// with arguments that are numbers or bigints, a result exactly when the call had completed; memory a
// whole number of pages a wasm32 memory can hold; globals of the module's names. A forged or damaged
// image is one FiberImageError, never a TypeError in the middle of a rewind. Fiber.restore then proves
// the saved stack leads to that very call (Fiber.verify).
import { AmberError } from '../base/error.js';
import type { PendingCall } from './suspend.js';
import { AMBER_MODULE, PREEMPT_IMPORT } from './transformed.js';

/** A saved fiber that does not fit its module, or cannot be one at all. */
export class FiberImageError extends AmberError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FiberImageError';
  }
}

/** wasm32 linear memory holds at most 65536 pages of 64 KiB (4 GiB). */
export const MAX_PAGES = 65536;
const PAGE = 65536;

/** The modules whose calls may unwind, as the transform instruments them. */
const UNWINDING = ['wasi_snapshot_preview1', 'wasi_unstable', AMBER_MODULE];

function isValue(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && !Number.isNaN(v));
}

/** FiberImageError unless pending is a call module can be suspended in. */
export function checkPending(module: WebAssembly.Module, pending: PendingCall): void {
  const call = `${pending.module}.${pending.name}`;
  const isPreempt = pending.module === AMBER_MODULE && pending.name === PREEMPT_IMPORT;
  if (!UNWINDING.includes(pending.module)) throw new FiberImageError(`suspended in ${call}, which is not a call a program can be suspended in`);
  if (!isPreempt && !WebAssembly.Module.imports(module).some((i) => i.kind === 'function' && i.module === pending.module && i.name === pending.name)) {
    throw new FiberImageError(`suspended in ${call}, which its module does not import`);
  }
  if (isPreempt && (pending.cause === 'blocked' || pending.args.length !== 0)) throw new FiberImageError(`suspended in ${call} ${pending.cause}, with ${pending.args.length} arguments`);
  if (!isPreempt && pending.cause === 'preempted') throw new FiberImageError(`${call} preempted: only ${AMBER_MODULE}.${PREEMPT_IMPORT} is`);
  if (!pending.args.every(isValue)) throw new FiberImageError(`suspended in ${call} with an argument that is not a number`);
  const hasResult = pending.result !== undefined;
  if (pending.cause === 'blocked' && hasResult) throw new FiberImageError(`suspended in ${call}, blocked, yet with a result`);
  if (pending.cause === 'stopped' && !isPreempt && !(hasResult && isValue(pending.result))) {
    throw new FiberImageError(`stopped after ${call} without its result`);
  }
}

/** FiberImageError unless memory of `bytes` bytes fits: whole pages, at least `initialPages`, at most 4 GiB. */
export function checkMemorySize(bytes: number, initialPages: number): void {
  if (bytes % PAGE !== 0) throw new FiberImageError(`its memory is ${bytes} bytes, not a whole number of 64 KiB pages`);
  const pages = bytes / PAGE;
  if (pages < initialPages) throw new FiberImageError(`its memory has ${pages} pages, fewer than its module's initial ${initialPages}`);
  if (pages > MAX_PAGES) throw new FiberImageError(`its memory has ${pages} pages, more than wasm32's ${MAX_PAGES}`);
}

/**
 * Sets each of the instance's globals to its saved value: FiberImageError unless saved names exactly
 * those globals, each with a value its type holds as it is (an f32 value read from an f32 global, a
 * bigint in 64 bits for an i64, and for an i32 an integer in 32 bits, as a number from 0 to 2^32-1 reads
 * back signed). Node has no type reflection: a value is set, read back and compared.
 */
export function setGlobals(globals: ReadonlyMap<string, WebAssembly.Global>, saved: Readonly<Record<string, unknown>>): void {
  const names = [...globals.keys()].sort().join(',');
  if (names !== Object.keys(saved).sort().join(',')) {
    throw new FiberImageError(`its globals (${Object.keys(saved).sort().join(',')}) are not its module's (${names})`);
  }
  for (const [name, g] of globals) {
    const v = saved[name];
    const bad = (): FiberImageError => new FiberImageError(`global ${name}: ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v)} does not fit its type`);
    if (typeof g.value !== typeof v) throw bad();
    if (typeof v === 'bigint') {
      if (v < -(2n ** 63n) || v >= 2n ** 64n) throw bad();
      g.value = v;
      continue;
    }
    g.value = v;
    const back: unknown = g.value;
    if (Object.is(back, v)) continue;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 32 && back === (v | 0)) continue;
    throw bad();
  }
}
