// The errno a kernel call throws, by name, for tests that compare it with Linux's ("ENOENT"): one helper
// instead of a copy per test file. Only tests import this file.
import { errnoNames } from '../../abi/errno.js';
import { KernelError } from '../error.js';

/** The name of the errno f throws as a KernelError ("ENOENT"), or "no error"; anything else is rethrown. */
export function thrownErrno(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelError) return errnoNames[e.errno] ?? String(e.errno);
    throw e;
  }
  return 'no error';
}
