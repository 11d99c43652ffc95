// What the module transform refuses, without Binaryen: a module it cannot read or should not touch (a
// malformed binary, features Amber does not run, a module Asyncify transformed already), one line each.
// Here so that a process that only hears of a refusal (the client, from a worker thread) never loads it.
import { AmberError } from '../base/error.js';

/** The module cannot be transformed (features Amber does not run, a malformed binary). */
export class TransformError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'TransformError';
  }
}
