// The errors the client throws besides those of the layers below (SpecError, ImageError, ...): all of them
// AmberErrors, one line each, so a front end prints them alike; typed, so a program can tell them apart.
import { AmberError } from '../base/error.js';

/** No pod of that id in the state root. */
export class PodNotFoundError extends AmberError {
  readonly id: string;
  constructor(id: string, rootDir: string) {
    super(`no pod with id ${id} under ${rootDir}`);
    this.name = 'PodNotFoundError';
    this.id = id;
  }
}

/** The pod is not in a state that allows the operation ("pod x is stopped; exec needs a running pod"). */
export class PodStateError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'PodStateError';
  }
}

/** The pod's sandbox refused a request, failed to start the pod, or (answered false) could not be reached. */
export class SandboxError extends AmberError {
  readonly answered: boolean;
  constructor(message: string, opts: { answered?: boolean } = {}) {
    super(message);
    this.name = 'SandboxError';
    this.answered = opts.answered ?? true;
  }
}

/**
 * An AmberError naming what unless no value holds a NUL: a C string ends there, so an argument, a
 * variable or a path would reach the guest or the host cut short without a word.
 */
export function refuseNul(what: string, values: readonly string[]): void {
  values.forEach((v, i) => {
    if (v.includes('\0')) throw new AmberError(`${values.length > 1 ? `${what}[${i}]` : what}: contains a NUL character`);
  });
}
