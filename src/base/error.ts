// The two errors Amber means to raise. KernelError is the one error a guest can see, carrying a Linux
// errno (abi/errno.ts), like the syserror values gVisor returns through pkg/sentry. AmberError is the one a
// user sees: what is wrong with something they gave (a spec, an image, a module, a host path), one line.
// Anything else thrown is a bug and is left to fail loudly, with its stack.
import { errnoNames } from '../abi/errno.js';

export class KernelError extends Error {
  readonly errno: number;

  constructor(errno: number, detail?: string) {
    const name = errnoNames[errno] ?? `errno ${errno}`;
    super(detail === undefined ? name : `${name}: ${detail}`);
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
