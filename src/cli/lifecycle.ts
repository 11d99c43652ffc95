// The lifecycle verbs that read or end a pod: list, state, logs, kill, delete — like runsc's list,
// state, logs, kill and delete. They work from the state root's records, so a pod whose sandbox died
// shows as stopped and never hangs the CLI.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { callControl } from '../host/control.js';
import { StateRoot, type PodRecord } from '../host/stateroot.js';
import { AmberError } from '../base/error.js';

function record(root: StateRoot, id: string): PodRecord {
  const r = root.read(id);
  if (r === null) throw new AmberError(`no pod with id ${id} under ${root.dir}`);
  return r;
}

export function listPods(root: StateRoot, json: boolean): void {
  const pods = root.list();
  if (json) {
    process.stdout.write(JSON.stringify(pods.map((p) => ({ id: p.id, status: p.status, pid: p.sandboxPid ?? 0, created: p.createdAt, containers: p.containers.map((c) => c.name) }))) + '\n');
    return;
  }
  const rows = [['ID', 'STATUS', 'PID', 'CONTAINERS', 'CREATED'], ...pods.map((p) => [p.id, p.status, String(p.sandboxPid ?? 0), p.containers.map((c) => c.name).join(','), p.createdAt])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd() + '\n');
}

/** The OCI runtime state of a pod (runtime-spec's state.json). */
export function podState(root: StateRoot, id: string): void {
  const r = record(root, id);
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

export async function podLogs(root: StateRoot, id: string, container: string | undefined, follow: boolean): Promise<void> {
  const r = record(root, id);
  const names = container === undefined ? r.containers.map((c) => c.name) : [container];
  if (container !== undefined && !r.containers.some((c) => c.name === container)) {
    throw new AmberError(`pod ${id} has no container ${container}`);
  }
  const prefix = names.length > 1;
  const offsets = new Map<string, number>(names.map((n) => [n, 0]));
  const partial = new Map<string, string>();
  const drain = (final: boolean): void => {
    for (const n of names) {
      const path = root.logPath(id, n);
      if (!existsSync(path)) continue;
      const size = statSync(path).size;
      const from = offsets.get(n) ?? 0;
      if (size <= from) continue;
      const text = (partial.get(n) ?? '') + readFileSync(path).subarray(from, size).toString('utf8');
      offsets.set(n, size);
      const lines = text.split('\n');
      const rest = lines.pop() ?? '';
      partial.set(n, final ? '' : rest);
      if (final && rest !== '') lines.push(rest);
      for (const l of lines) process.stdout.write(prefix ? `${n} | ${l}\n` : `${l}\n`);
    }
  };
  if (!follow) {
    drain(true);
    return;
  }
  for (;;) {
    drain(false);
    const now = root.read(id);
    if (now === null || now.status === 'stopped') {
      drain(true);
      return;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15 };

export function signalNumber(s: string | undefined): number {
  if (s === undefined) return 15;
  const name = s.toUpperCase().replace(/^SIG/, '');
  const n = /^\d+$/.test(name) ? Number(name) : SIGNALS[name];
  if (n === undefined || n < 1 || n > 64) throw new AmberError(`unknown signal ${s}`);
  return n;
}

/** Asks the sandbox to end every container with the signal; a dead sandbox is already stopped. */
export async function killPod(root: StateRoot, id: string, signal: number): Promise<void> {
  const r = record(root, id);
  if (r.status === 'stopped') throw new AmberError(`pod ${id} is not running`);
  await stopSandbox(root, r, signal);
}

async function stopSandbox(root: StateRoot, r: PodRecord, signal: number): Promise<void> {
  try {
    const reply = await callControl(root.socketPath(r.id), { op: 'kill', signal }, 5_000);
    if (!reply.ok) throw new AmberError(`kill ${r.id}: ${reply.error ?? 'refused'}`);
  } catch (e) {
    if (e instanceof AmberError) throw e;
    // The sandbox does not answer: end its host process.
    if (r.sandboxPid !== null) {
      try {
        process.kill(r.sandboxPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export async function deletePod(root: StateRoot, id: string, force: boolean): Promise<void> {
  const r = record(root, id);
  if (r.status !== 'stopped') {
    if (!force) throw new AmberError(`pod ${id} is ${r.status}; stop it first or use delete --force`);
    await stopSandbox(root, r, 9);
    const deadline = Date.now() + 5_000;
    while (root.read(id)?.status !== 'stopped' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    const again = root.read(id);
    if (again !== null && again.status !== 'stopped' && again.sandboxPid !== null) {
      try {
        process.kill(again.sandboxPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  root.remove(id);
}
