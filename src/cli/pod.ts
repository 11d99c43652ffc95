// `amber pod run pod.yaml [--detach] [--name ID]` and `amber run --bundle DIR [--detach] ID`: a pod in
// the foreground (its output on this terminal, each line labelled "NAME | "), or
// detached into a sandbox process of its own that this command starts and waits for.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { NullStream, PrefixedStream } from '../host/streams.js';
import { AsyncHostInput, HostFdStream } from '../host/stdio.js';
import { StateRoot, validId } from '../host/stateroot.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { AmberError } from '../base/error.js';
import { containerEnds, podExitCode, startPod } from './podrun.js';
import type { Launch } from './sandbox.js';
import { printWarnings } from './spec.js';

/**
 * The host streams of a pod whose output goes to this terminal. A Kubernetes pod's lines are labelled
 * "NAME | " (always: a restored pod's output stays attributable whatever else was printed before the
 * checkpoint); an OCI bundle's one container writes raw, as under runc. A single container reads this
 * process's stdin.
 */
export function terminalStdio(spec: PodSpec): { stdio: (name: string) => readonly [HostStream, HostStream, HostStream]; close(): void } {
  const label = spec.format === 'pod';
  const single = spec.containers.length === 1;
  const streams: Array<{ close(): void }> = [];
  return {
    stdio: (name) => {
      let stdin: HostStream = new NullStream();
      if (single) {
        const input = new AsyncHostInput();
        streams.push(input);
        stdin = input;
      }
      if (!label) return [stdin, new HostFdStream(1), new HostFdStream(2)];
      const out = new PrefixedStream(1, `${name} | `);
      const err = new PrefixedStream(2, `${name} | `);
      streams.push(out, err);
      return [stdin, out, err];
    },
    close: () => streams.forEach((s) => s.close()),
  };
}

export async function runForeground(spec: PodSpec): Promise<number> {
  printWarnings(spec);
  const term = terminalStdio(spec);
  const running = startPod(spec, term.stdio);
  await running.scheduler.run();
  term.close();
  const ends = containerEnds(running);
  for (const e of ends) if (e.trap !== undefined) process.stderr.write(`amber: container ${e.name}: ${e.trap}\n`);
  return podExitCode(ends);
}

/** Starts the pod's sandbox and returns once it runs; prints nothing (the caller prints the id). */
export async function runDetached(root: StateRoot, spec: PodSpec, id: string, source: string): Promise<void> {
  printWarnings(spec);
  await launchSandbox(root, id, spec.containers.map((c) => c.name), { mode: 'run', spec, source });
}

/** Creates the pod's record, starts its sandbox with launch, and waits until it runs (or has ended). */
export async function launchSandbox(root: StateRoot, id: string, containers: readonly string[], launch: Launch): Promise<void> {
  if (!validId(id)) throw new AmberError(`${id}: not a valid pod id (letters, digits, '_', '.', '-')`);
  const source = launch.source;
  const created = root.create({
    id, status: 'creating', sandboxPid: null, source, createdAt: new Date().toISOString(),
    containers: containers.map((name) => ({ name, exitCode: null })), annotations: {},
  });
  if (!created) throw new AmberError(`a pod named ${id} already exists under ${root.dir}`);
  writeFileSync(join(root.podDir(id), 'launch.json'), JSON.stringify(launch));
  // The sandbox runs the built JavaScript, also when this module runs from source (tests through tsx).
  const here = import.meta.url;
  const sandbox = fileURLToPath(here.endsWith('.ts') ? new URL('../../dist/cli/sandbox.js', here) : new URL('./sandbox.js', here));
  const log = openSync(join(root.podDir(id), 'sandbox.log'), 'a');
  const child = spawn(process.execPath, [sandbox, root.dir, id], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.unref();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = root.read(id);
    if (r !== null && r.status !== 'creating') return;
    if (exited || Date.now() > deadline) {
      // The sandbox ended (or hangs) before running the pod: its one-line reason, and no pod left behind.
      const why = sandboxFailure(root, id) ?? (exited ? `the sandbox exited before the pod started (see ${join(root.podDir(id), 'sandbox.log')})` : 'the sandbox did not start within 30 s');
      if (!exited && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      root.remove(id);
      throw new AmberError(why);
    }
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** The one-line error a sandbox left in its pod folder when it could not start the pod. */
function sandboxFailure(root: StateRoot, id: string): string | undefined {
  try {
    return readFileSync(join(root.podDir(id), 'error'), 'utf8').split('\n')[0];
  } catch {
    return undefined;
  }
}
