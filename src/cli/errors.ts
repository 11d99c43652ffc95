// The CLI's error contract (DESIGN.md §1): a user error is one line on stderr naming what is wrong and
// exit 1; a usage error exits 2; anything else is a bug and keeps its stack.

export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
