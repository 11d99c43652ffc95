// `amber checkpoint ID --image-path DIR [--leave-running] [--parent-path DIR]`: asks the pod's sandbox
// to stop every process at its next syscall boundary, write one consistent image, and either go on or
// stop, like `runsc checkpoint`. The sandbox writes the image beside DIR and renames it into place, so a
// failure leaves an earlier image at DIR whole.
import { resolve } from 'node:path';
import { callControl } from '../host/control.js';
import type { StateRoot } from '../host/stateroot.js';
import { AmberError } from '../base/error.js';
import { progressLine } from './progress.js';

export interface CheckpointOptions {
  imagePath: string;
  leaveRunning: boolean;
  parentPath?: string;
}

export async function checkpointPod(root: StateRoot, id: string, opts: CheckpointOptions): Promise<void> {
  const r = root.read(id);
  if (r === null) throw new AmberError(`no pod with id ${id} under ${root.dir}`);
  if (r.status !== 'running') throw new AmberError(`pod ${id} is ${r.status}; only a running pod can be checkpointed`);
  // On a terminal: a progress line while the sandbox writes the image (it streams progress over the
  // control connection, src/host/control.ts), then one summary line.
  const progress = progressLine(`checkpoint ${id}`);
  progress.phase(opts.leaveRunning ? 'pausing the pod for the cut' : 'stopping the pod');
  let reply;
  try {
    reply = await callControl(root.socketPath(id), {
      op: 'checkpoint',
      imagePath: resolve(opts.imagePath),
      leaveRunning: opts.leaveRunning,
      ...(opts.parentPath !== undefined ? { parentPath: resolve(opts.parentPath) } : {}),
    }, 600_000, process.stderr.isTTY === true ? (done, total) => progress.update(done, total) : undefined);
  } catch (e) {
    throw new AmberError(`checkpoint ${id}: the sandbox did not answer (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    progress.done();
  }
  if (!reply.ok) throw new AmberError(`checkpoint ${id}: ${reply.error ?? 'failed'}`);
  if (process.stderr.isTTY === true && typeof reply['bytes'] === 'number') {
    const paused = typeof reply['pauseMs'] === 'number' ? `, the pod paused ${reply['pauseMs']} ms` : '';
    process.stderr.write(`checkpoint ${id}: ${(reply['bytes'] / 1048576).toFixed(1)} MiB written in ${String(reply['ms'])} ms${paused}\n`);
  }
}
