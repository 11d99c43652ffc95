// Node's error codes ('ENOENT', ...) as Linux errnos, so host failures reach the guest as KernelError.
// The only place Node error knowledge meets the kernel's errno space.
import { constants } from 'node:os';
import { EIO } from '../abi/errno.js';
import { KernelError } from '../base/error.js';

/** The Linux errno for a Node system error, EIO when it has none. */
export function errnoOf(e: unknown): number {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    const n = (constants.errno as Record<string, number | undefined>)[e.code];
    if (n !== undefined) return n;
  }
  return EIO;
}

/** Runs fn, turning a Node system error into KernelError; other exceptions pass through. */
export function hostCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KernelError) throw e;
    if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') throw new KernelError(errnoOf(e), e instanceof Error ? e.message : undefined);
    throw e;
  }
}
