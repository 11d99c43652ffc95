// The `amber restore` verb: plan (image, spec, volumes), then either start a sandbox that restores the
// pod (--detach) or restore it here with this terminal as every container's stdio.
import { resolve } from 'node:path';
import { HostFdStream } from '../host/stdio.js';
import { NullStream, PrefixedStream } from '../host/streams.js';
import type { StateRoot } from '../host/stateroot.js';
import { launchSandbox } from './pod.js';
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
  const several = plan.spec.containers.length > 1;
  const streams: Array<{ close(): void }> = [];
  const running = startRestored(plan, (name) => {
    if (!several) return [new HostFdStream(0), new HostFdStream(1), new HostFdStream(2)];
    const out = new PrefixedStream(1, `${name} | `);
    const err = new PrefixedStream(2, `${name} | `);
    streams.push(out, err);
    return [new NullStream(), out, err];
  });
  await running.scheduler.run();
  for (const s of streams) s.close();
  const ends = containerEnds(running);
  for (const e of ends) if (e.trap !== undefined) process.stderr.write(`amber: container ${e.name}: ${e.trap}\n`);
  return podExitCode(ends);
}
