// KernelError: the one error a guest can see, carrying a Linux errno (abi/errno.ts), like the syserror
// values gVisor returns through pkg/sentry. Anything else thrown inside the kernel is a kernel bug and
// is left to fail loudly.
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
