// The `amber restore` verb: plan (image, spec, volumes), then either start a sandbox that restores the
// pod (--detach) or restore it here with this terminal as every container's stdio.
import { resolve } from 'node:path';
import type { StateRoot } from '../host/stateroot.js';
import { launchSandbox, terminalStdio } from './pod.js';
import { containerEnds, podExitCode } from './podrun.js';
import { planRestore } from './restore.js';
import { startRestored } from './restorerun.js';

export interface RestoreOptions {
  imagePath: string;
  spec?: string;
  detach?: boolean;
  name?: string;
  volume: string[];
}

export async function restoreCommand(root: StateRoot, opts: RestoreOptions): Promise<number> {
  const plan = planRestore(opts.imagePath, opts.spec, opts.volume);
  const id = opts.name ?? plan.image.config.podId;
  if (opts.detach === true) {
    await launchSandbox(root, id, plan.spec.containers.map((c) => c.name), {
      mode: 'restore',
      imagePath: resolve(opts.imagePath),
      ...(opts.spec !== undefined ? { specFile: resolve(opts.spec) } : {}),
      volumes: opts.volume,
      source: resolve(opts.imagePath),
    });
    process.stdout.write(`${id}\n`);
    return 0;
  }
  const term = terminalStdio(plan.spec);
  const running = startRestored(plan, term.stdio);
  await running.scheduler.run();
  term.close();
  const ends = containerEnds(running);
  for (const e of ends) if (e.trap !== undefined) process.stderr.write(`amber: container ${e.name}: ${e.trap}\n`);
  return podExitCode(ends);
}
