// The full command line from `amber do`'s own snapshot (cli/dosnapshot.ts), which holds no commander:
// scripts/bundle.mjs builds that snapshot with this module in place of cli/program.ts, so a `do` line
// that is not one of the plain forms (cli/plaindo.ts: `do --help`, a one-dash option) runs the command
// again as bin/amber.js, which reads it with commander. Rare lines pay a second start-up.
import { reexec } from './reexec.js';
import type { Session } from './program.js';

export async function runProgram(_args: readonly string[], _session: Session): Promise<void> {
  process.exitCode = await reexec([]);
}
