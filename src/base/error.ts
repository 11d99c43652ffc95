// The two errors Amber means to raise. KernelError is the one error a guest can see, carrying a Linux
// errno (abi/errno.ts), like the syserror values gVisor returns through pkg/sentry. AmberError is the one a
// user sees: what is wrong with something they gave (a spec, an image, a module, a host path), one line.
// Anything else thrown is a bug and is left to fail loudly, with its stack.
import { errnoNames } from '../abi/errno.js';

/**
 * A guest-visible failure: an answer, not a bug, so it carries no stack. Capturing one is most of the
 * cost of a failed syscall (V8 walks every frame, the guest's wasm frames too: ~30 µs under a deep
 * stack), and guests fail calls often (SQLite stats a missing journal twice a transaction).
 */
/** V8's knob for how many frames an Error records (not in the ES types; harmless elsewhere). */
const V8Error: { stackTraceLimit?: number | undefined } = Error as { stackTraceLimit?: number | undefined };

export class KernelError extends Error {
  readonly errno: number;

  constructor(errno: number, detail?: string) {
    const name = errnoNames[errno] ?? `errno ${errno}`;
    const limit = V8Error.stackTraceLimit;
    V8Error.stackTraceLimit = 0;
    super(detail === undefined ? name : `${name}: ${detail}`);
    V8Error.stackTraceLimit = limit;
    this.name = 'KernelError';
    this.errno = errno;
  }
}

/** Throws KernelError(errno) unless cond holds. */
export function check(cond: boolean, errno: number, detail?: string): asserts cond {
  if (!cond) throw new KernelError(errno, detail);
}

/**
 * The base of every user-facing error (spec, image, state, restore, transform, inspection, client): its
 * message names what is wrong and where, on its first line. Front ends print that line alone (the CLI:
 * `amber: <line>`, exit 1) and never a stack; the library API throws it as it is.
 */
export class AmberError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AmberError';
  }

  /** The message's first line: what a front end shows. */
  get line(): string {
    return this.message.split('\n')[0] ?? this.message;
  }
}

/**
 * What a caught value says: an Error's message, the `message` of a thrown object that is not an Error
 * (Binaryen's JavaScript build throws plain objects), else its string form.
 */
export function messageOf(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'object' && thrown !== null && 'message' in thrown && typeof thrown.message === 'string') return thrown.message;
  return String(thrown);
}
