// The `amber restore` verb: plan (image, spec, volumes), then either start a sandbox that restores the
// pod (--detach) or restore it here with this terminal as every container's stdio. On a terminal, a
// progress line while the image is read (by the sandbox, which reports it in a file, or here).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { progressFile, PROGRESS_EVERY_MS, readProgress } from '../host/control.js';
import type { StateRoot } from '../host/stateroot.js';
import { launchSandbox, terminalStdio } from './pod.js';
import { containerEnds, podExitCode } from './podrun.js';
import { progressLine } from './progress.js';
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
  if (opts.detach === true) {
    // The image's layout, manifest and config are checked here; its blobs are read and verified once,
    // by the sandbox (a damaged one comes back as its one-line error, and no pod is left behind).
    const plan = planRestore(opts.imagePath, opts.spec, opts.volume, { lazy: true });
    const id = opts.name ?? plan.image.config.podId;
    const progress = progressLine(`restore ${id}`);
    progress.phase('starting the sandbox');
    const shown = process.stderr.isTTY === true ? setInterval(() => {
      const p = readProgress(progressFile(root.podDir(id)));
      if (p !== null) progress.update(p.done, p.total);
    }, PROGRESS_EVERY_MS) : undefined;
    try {
      await launchSandbox(root, id, plan.spec.containers.map((c) => c.name), {
        mode: 'restore',
        imagePath: resolve(opts.imagePath),
        ...(opts.spec !== undefined ? { specFile: resolve(opts.spec) } : {}),
        volumes: opts.volume,
        source: resolve(opts.imagePath),
      });
    } finally {
      clearInterval(shown);
      progress.done();
      rmSync(progressFile(root.podDir(id)), { force: true });
    }
    process.stdout.write(`${id}\n`);
    return 0;
  }
  const progress = progressLine('restore');
  let plan;
  try {
    plan = planRestore(opts.imagePath, opts.spec, opts.volume, { onProgress: (done, total) => progress.update(done, total) });
  } finally {
    progress.done();
  }
  const term = terminalStdio(plan.spec);
  const running = startRestored(plan, term.stdio);
  await running.scheduler.run();
  term.close();
  const ends = containerEnds(running);
  for (const e of ends) if (e.trap !== undefined) process.stderr.write(`amber: container ${e.name}: ${e.trap}\n`);
  return podExitCode(ends);
}
