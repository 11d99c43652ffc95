// The CLI's error contract (DESIGN.md §1): an AmberError (base/error.ts) is one line on stderr naming what
// is wrong and exit 1; a UsageError, bad usage of the command line, exits 2; anything else is a bug and
// keeps its stack.
import { AmberError } from '../base/error.js';

export class UsageError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
