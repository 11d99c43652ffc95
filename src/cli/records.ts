// The verbs that read or end a pod, like runsc's list, state, logs, exec and kill (delete is in
// cli/runc.ts): each asks the client's Pod handle and renders what it returns (a table, OCI state JSON,
// log lines, exit codes).
import { Pod } from '../client/pod.js';
import { signalNumber } from '../client/signals.js';

export function listVerb(root: string, json: boolean): void {
  const pods = Pod.list({ root });
  if (json) {
    process.stdout.write(JSON.stringify(pods.map((p) => ({ id: p.id, status: p.status, pid: p.sandboxPid ?? 0, created: p.createdAt, containers: p.containers.map((c) => c.name) }))) + '\n');
    return;
  }
  const rows = [['ID', 'STATUS', 'PID', 'CONTAINERS', 'CREATED'], ...pods.map((p) => [p.id, p.status, String(p.sandboxPid ?? 0), p.containers.map((c) => c.name).join(','), p.createdAt])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd() + '\n');
}

/** The OCI runtime state of a pod (runtime-spec's state.json). */
export function stateVerb(root: string, id: string): void {
  const r = Pod.get(id, { root }).state();
  const state = {
    ociVersion: '1.0.2',
    id: r.id,
    status: r.status === 'creating' ? 'created' : r.status,
    pid: r.sandboxPid ?? 0,
    bundle: r.source,
    annotations: r.annotations,
    containers: r.containers,
  };
  process.stdout.write(JSON.stringify(state, null, 2) + '\n');
}

/** Every container's lines (each prefixed "NAME | " when there are several), or one container's. */
export async function logsVerb(root: string, id: string, container: string | undefined, follow: boolean): Promise<void> {
  const pod = Pod.get(id, { root });
  const prefix = container === undefined && pod.state().containers.length > 1;
  for await (const l of pod.logLines(container, { follow })) process.stdout.write(prefix ? `${l.container} | ${l.line}\n` : `${l.line}\n`);
}

export async function killVerb(root: string, id: string, signal: string | undefined): Promise<void> {
  const sig = signalNumber(signal);
  await Pod.get(id, { root }).kill(sig);
}

/**
 * Prints the exec's output as it comes (the program waits while stdout or stderr cannot take more) and
 * returns its exit code; a trap is one more line on stderr.
 */
export async function execVerb(root: string, id: string, container: string, module: string, args: string[]): Promise<number> {
  const onOutput = (fd: 1 | 2, bytes: Uint8Array): Promise<unknown> | undefined => {
    const to = fd === 1 ? process.stdout : process.stderr;
    return to.write(bytes) ? undefined : new Promise((res) => to.once('drain', res));
  };
  const r = await Pod.get(id, { root }).exec(container, module, args, { onOutput });
  if (r.trap !== null) process.stderr.write(`amber: ${module}: ${r.trap}\n`);
  return r.exitCode;
}
