// `amber pod run pod.yaml [--detach] [--name ID]` and `amber run --bundle DIR [--detach] ID`: a pod in
// the foreground (its output on this terminal, prefixed "NAME | " when it has several containers), or
// detached into a sandbox process of its own that this command starts and waits for.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NullStream, PrefixedStream } from '../host/streams.js';
import { HostFdStream } from '../host/stdio.js';
import { StateRoot, validId } from '../host/stateroot.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { UserError } from './errors.js';
import { podExitCode, runPodContainers } from './podrun.js';
import { printWarnings } from './spec.js';

export function runForeground(spec: PodSpec): number {
  printWarnings(spec);
  const several = spec.containers.length > 1;
  const ends = runPodContainers(spec, (name) =>
    several
      ? [new NullStream(), new PrefixedStream(1, `${name} | `), new PrefixedStream(2, `${name} | `)]
      : [new HostFdStream(0), new HostFdStream(1), new HostFdStream(2)],
  );
  for (const e of ends) if (e.trap !== undefined) process.stderr.write(`amber: container ${e.name}: ${e.trap}\n`);
  return podExitCode(ends);
}

/** Starts the pod's sandbox and returns once it runs; prints nothing (the caller prints the id). */
export async function runDetached(root: StateRoot, spec: PodSpec, id: string, source: string): Promise<void> {
  if (!validId(id)) throw new UserError(`${id}: not a valid pod id (letters, digits, '_', '.', '-')`);
  printWarnings(spec);
  const created = root.create({
    id, status: 'creating', sandboxPid: null, source, createdAt: new Date().toISOString(),
    containers: spec.containers.map((c) => ({ name: c.name, exitCode: null })), annotations: {},
  });
  if (!created) throw new UserError(`a pod named ${id} already exists under ${root.dir}`);
  writeFileSync(join(root.podDir(id), 'spec.json'), JSON.stringify(spec));
  const sandbox = fileURLToPath(new URL('./sandbox.js', import.meta.url));
  const child = spawn(process.execPath, [sandbox, root.dir, id], { detached: true, stdio: 'ignore' });
  child.unref();
  const rec = root.read(id);
  if (rec !== null && rec.status === 'creating' && child.pid !== undefined) root.write({ ...rec, sandboxPid: child.pid });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = root.read(id);
    if (r !== null && r.status !== 'creating') return;
    if (Date.now() > deadline) throw new UserError(`pod ${id}: the sandbox did not start within 20 s`);
    await new Promise((res) => setTimeout(res, 20));
  }
}
