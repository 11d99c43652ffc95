// The `amber` command (DESIGN.md §1), like runsc's cmd package: reads the command line (its plain `do`
// forms here, cli/plaindo.ts; everything else through commander, cli/program.ts), runs the verb, and maps
// failures to the exit-code contract: the program's own code for `do`, 1 for a user error (one line on
// stderr), 2 for bad usage. Run by cli/start.ts (`node bin/amber.js`) or from the command's startup
// snapshot (cli/snapshot.ts): importing this module changes nothing.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { AmberError } from '../base/error.js';
import { restoreStartEnv } from '../host/startenv.js';
import { UsageError } from './errors.js';
import { plainDo } from './plaindo.js';
import type { StartedSandbox } from '../client/launch.js';
import type { Session } from './program.js';

/** Runs the command line; a user error becomes its one line on stderr (and in the log) and exit 1, or 2 for bad usage. */
async function main(args: readonly string[], session: Session): Promise<void> {
  try {
    const plain = plainDo(args);
    if (plain === null) return await (await import('./program.js')).runProgram(args, session);
    session.ranGuests = true;
    process.exitCode = (await import('./do.js')).doVerb(plain.module, plain.args, { dir: plain.dir, env: plain.env });
  } catch (e) {
    if (!(e instanceof AmberError)) throw e;
    process.stderr.write(`amber: ${e.line}\n`);
    // The log gets the line too: containerd's shim reports the last error of a runc call's --log.
    try {
      session.log?.write('error', e.line);
    } catch {
      // a log that cannot be written is not this error
    }
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}

/**
 * The sandbox bin/amber started beside this command for what looked like a detached restore
 * (AMBER_SANDBOX_BESIDE="PID LOG"), taken out of the environment the processes this command starts inherit.
 */
function sandboxBeside(): StartedSandbox | null {
  const given = process.env['AMBER_SANDBOX_BESIDE'];
  if (given === undefined) return null;
  delete process.env['AMBER_SANDBOX_BESIDE'];
  // Only this process's own child, with its log named after this process: nothing else is ever ended.
  const m = /^(\d+) (\/.+\/starting\/(\d+)\.sandbox\.log)$/.exec(given);
  if (m === null || Number(m[3]) !== process.pid || parentOf(Number(m[1])) !== process.pid) return null;
  return { pid: Number(m[1]), log: m[2] ?? '' };
}

/** The parent of process pid (/proc/PID/stat: its fourth field, after the name in parentheses); null if unknown. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isSafeInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/** The whole command, given its arguments (those after node and the script). */
export async function runCli(args: readonly string[]): Promise<void> {
  // What bin/amber moved aside for node's start (host/startenv.ts) is back before anything is started.
  restoreStartEnv();
  // Guests run at V8's optimizing tier from the start: a long loop in _start is never tiered up from
  // Liftoff (no on-stack replacement for wasm), DESIGN.md §3. Must precede the first compile. (`amber do`
  // of a big module starts at Liftoff instead: host/guesttier.ts.)
  setFlagsFromString('--no-liftoff');
  // A reader that goes away (`amber logs ID | head`) ends the command quietly, as SIGPIPE ends a C program.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      throw e;
    });
  }
  const session: Session = { args, log: null, ranGuests: false, sandbox: sandboxBeside() };
  try {
    await main(args, session);
  } finally {
    // Not a detached restore after all, or one that ended before it reached its sandbox.
    if (session.sandbox !== null) (await import('../client/launch.js')).endStartedSandbox(session.sandbox);
  }
  // Output and logs are written synchronously (host/streams.ts, log.ts), so nothing is lost by not waiting.
  if (session.ranGuests) process.exit();
}
