// `amber checkpoint ID --image-path DIR [--leave-running] [--parent-path DIR]`: asks the pod's sandbox
// to stop every process at its next syscall boundary, write one consistent image, and either go on or
// stop, like `runsc checkpoint`. The sandbox writes the image beside DIR and renames it into place, so a
// failure leaves an earlier image at DIR whole.
import { resolve } from 'node:path';
import { callControl } from '../host/control.js';
import type { StateRoot } from '../host/stateroot.js';
import { UserError } from './errors.js';

export interface CheckpointOptions {
  imagePath: string;
  leaveRunning: boolean;
  parentPath?: string;
}

export async function checkpointPod(root: StateRoot, id: string, opts: CheckpointOptions): Promise<void> {
  const r = root.read(id);
  if (r === null) throw new UserError(`no pod with id ${id} under ${root.dir}`);
  if (r.status !== 'running') throw new UserError(`pod ${id} is ${r.status}; only a running pod can be checkpointed`);
  let reply;
  try {
    reply = await callControl(root.socketPath(id), {
      op: 'checkpoint',
      imagePath: resolve(opts.imagePath),
      leaveRunning: opts.leaveRunning,
      ...(opts.parentPath !== undefined ? { parentPath: resolve(opts.parentPath) } : {}),
    }, 600_000);
  } catch (e) {
    throw new UserError(`checkpoint ${id}: the sandbox did not answer (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!reply.ok) throw new UserError(`checkpoint ${id}: ${reply.error ?? 'failed'}`);
  if (process.stderr.isTTY === true && typeof reply['bytes'] === 'number') {
    process.stderr.write(`checkpoint ${id}: ${(reply['bytes'] / 1048576).toFixed(1)} MiB in ${String(reply['ms'])} ms\n`);
  }
}
