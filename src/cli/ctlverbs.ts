// The verbs the command's smaller snapshot holds (cli/ctlsnapshot.ts, dist/bundle/cli-ctl.blob): those
// that only talk to a running pod's sandbox or read the state root, as runc's state, kill and delete only
// read its state folder and signal. They are what containerd's shim and a checkpointing user run most
// often; none loads the spec parser, the kernel or an image reader. bin/amber sends a command line here by
// the same rule (its function ctl: a test holds the two lists equal).
import { normalizeArgv } from './argv.js';
import { verbOf } from './program.js';

export const CTL_VERBS: ReadonlySet<string> = new Set([
  'checkpoint', 'state', 'list', 'logs', 'kill', 'delete', 'start', 'pause', 'resume', 'ps', 'events', 'features',
]);

/** Whether the command line (the arguments after node and the script) names one of CTL_VERBS. */
export function ctlLine(args: readonly string[]): boolean {
  const verb = verbOf(normalizeArgv(args));
  return verb !== null && CTL_VERBS.has(verb);
}
