// A foreground pod (`pod run`, `run --bundle`, `restore` without --detach) runs its guests in this
// process, which node started with its default stack: this command is run again, attached to the same
// terminal, by a node given the stack guests need (host/gueststack.ts), as a sandbox is started with it.
// It costs one more node start-up; signals that reach this process are passed on.
import { fileURLToPath } from 'node:url';
import { foregroundPodSnapshot } from '../host/entryscript.js';
import { guestStackFlags, hasStackFlag } from '../host/gueststack.js';
import { startEnv } from '../host/startenv.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The flags to re-execute with, or null when this process already has its stack (or cannot get more). */
function reexecFlags(): string[] | null {
  if (hasStackFlag()) return null;
  const flags = guestStackFlags();
  return flags.length === 0 ? null : flags;
}

/**
 * For a verb about to run a pod in this process: the exit code of this command run again with the guests'
 * stack, or null when this process has it already (or cannot get more) and runs the pod itself. Called
 * before the verb loads anything (the spec, the kernel), so the first process pays only its start-up.
 */
export async function runWithGuestStack(detach: boolean | undefined): Promise<number | null> {
  if (detach === true) return null;
  const flags = reexecFlags();
  return flags === null ? null : reexec(flags);
}

/**
 * Runs this very command again under node with flags; resolves to its exit code (128+N for signal N).
 * node:child_process is loaded here, not at start: with net and dgram it costs every command ~3 ms.
 */
export async function reexec(flags: readonly string[]): Promise<number> {
  const { spawn } = await import('node:child_process');
  // NODE_EXTRA_CA_CERTS aside while it starts; it puts it back (host/startenv.ts).
  const child = spawn(process.execPath, [...flags, ...(fromSnapshot(flags) ?? scriptArgs())], { stdio: 'inherit', env: startEnv(process.env) });
  const pass = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  for (const sig of FORWARDED) process.on(sig, pass);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const sig of FORWARDED) process.off(sig, pass);
      resolve(code ?? 128 + (signal === null ? 9 : signalNumber(signal)));
    });
  });
}

/**
 * node's arguments after flags that run this command again from the command's snapshot built with those
 * flags (host/entryscript.ts foregroundPodSnapshot: ~30 ms less start-up than the script), or null when
 * there is none for them or this process was given other node or V8 flags (NODE_OPTIONS, or on its command
 * line: the snapshot would be refused under them, and they are passed on to the script instead).
 */
function fromSnapshot(flags: readonly string[]): string[] | null {
  if ((process.env['NODE_OPTIONS'] ?? '') !== '') return null;
  const blob = process.execArgv.indexOf('--snapshot-blob');
  const others = process.execArgv.filter((_a, i) => blob < 0 || (i !== blob && i !== blob + 1));
  if (others.length > 0) return null;
  const entry = foregroundPodSnapshot(flags);
  // Started from a snapshot, process.argv has no script: [node, ...arguments].
  return entry === null ? null : [...entry, ...process.argv.slice(blob < 0 ? 2 : 1)];
}

/**
 * node's arguments after its flags that run this command again: as it was started, or, when it started
 * from the command's snapshot (cli/snapshot.ts), as bin/amber.js: a snapshot is refused under other V8
 * flags (the stack's), and process.argv then has no script.
 */
function scriptArgs(): string[] {
  const blob = process.execArgv.indexOf('--snapshot-blob');
  if (blob < 0) return [...process.execArgv, ...process.argv.slice(1)];
  const others = process.execArgv.filter((_a, i) => i !== blob && i !== blob + 1);
  return [...others, fileURLToPath(new URL('../../bin/amber.js', import.meta.url)), ...process.argv.slice(1)];
}

function signalNumber(sig: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[sig] ?? 9;
}
