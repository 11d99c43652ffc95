// `amber exec ID CTR -- prog.wasm [args...]`: one more process in a running container, like `runsc
// exec`: it sees the container's mounts and files; its output comes back when it ends, and its exit
// code is this command's.
import { resolve } from 'node:path';
import { callControl } from '../host/control.js';
import type { StateRoot } from '../host/stateroot.js';
import { AmberError } from '../base/error.js';

/** Runs the exec and returns its exit code and output. */
export async function execInPodCaptured(root: StateRoot, id: string, container: string, module: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = root.read(id);
  if (r === null) throw new AmberError(`no pod with id ${id} under ${root.dir}`);
  if (r.status !== 'running') throw new AmberError(`pod ${id} is ${r.status}; exec needs a running pod`);
  let reply;
  try {
    reply = await callControl(root.socketPath(id), { op: 'exec', container, module: resolve(module), args }, 24 * 3600_000);
  } catch (e) {
    throw new AmberError(`exec in ${id}: the sandbox did not answer (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!reply.ok) throw new AmberError(`exec in ${id}: ${reply.error ?? 'failed'}`);
  const trap = typeof reply['trap'] === 'string' ? `amber: ${module}: ${reply['trap']}\n` : '';
  return {
    exitCode: typeof reply['exitCode'] === 'number' ? reply['exitCode'] : 1,
    stdout: String(reply['stdout'] ?? ''),
    stderr: String(reply['stderr'] ?? '') + trap,
  };
}

/** `amber exec`: prints the exec's output and returns its exit code. */
export async function execInPod(root: StateRoot, id: string, container: string, module: string, args: string[]): Promise<number> {
  const r = await execInPodCaptured(root, id, container, module, args);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.exitCode;
}
