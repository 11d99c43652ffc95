// What a client and a pod's sandbox say to each other, like runsc's urpc controller methods: the launch
// (written to the pod folder before the sandbox starts: start a spec, or restore an image), and the control
// requests with each one's reply, carried one JSON line each way by host/control.ts.
import type { ContainerSpec, PodSpec } from '../runtime/spec/podspec.js';
import type { SpecOverride } from './restoreplan.js';

/** What the sandbox of a new pod does first; launch.json in its pod folder. */
export type Launch =
  | { mode: 'run'; spec: PodSpec; source: string }
  /** runc's create: the spec's containers are created, not started, each bound to a relay (sandbox/runc.ts). */
  | { mode: 'create'; spec: PodSpec; source: string }
  /** spec: `restore --spec FILE`, as the client loaded it; relay: runc's restore, each container bound to
   *  a relay rather than a log file; replace: containers (by name) whose roots and mounts are those of
   *  the bundle restored into rather than the image's; awaitClaims: runc's restore of a pod of several
   *  containers, rebuilt only once every container of the image not in replace has been claimed by a
   *  restore of its own (restoregate.ts); manifestDigest: the image's manifest as the client read it (a
   *  sandbox that began restoring before it was told its pod uses that work only if it read the same). */
  | { mode: 'restore'; imagePath: string; manifestDigest?: string; spec?: SpecOverride; volumes: Record<string, string>; source: string; relay?: boolean; replace?: ContainerSpec[]; awaitClaims?: boolean; verify?: boolean };

export interface ExecRequest {
  op: 'exec';
  container: string;
  /** The .wasm program, a host path. */
  module: string;
  args: string[];
  /** Output streamed back as it is written (ExecOutput lines before the reply), not in the reply. */
  stream?: boolean;
}

/** A piece of a streamed exec's output: fd 1 or 2, bytes in base64. */
export interface ExecOutput {
  fd: 1 | 2;
  data: string;
}

export interface KillRequest {
  op: 'kill';
  signal: number;
}

export interface CheckpointRequest {
  op: 'checkpoint';
  imagePath: string;
  leaveRunning: boolean;
  parentPath?: string;
  /** The codec to compress blobs with ("gzip", "zstd"); none when absent. */
  compress?: string;
  /** Reply only once the image is on stable storage (flushed, with every earlier image of this sandbox),
   *  not as soon as it is in place: for a client that removes it once read (an export's temporary). */
  durable?: boolean;
  /** The asking process: a cut begun on its command's intent is carried on only for that command (sandbox/earlycut.ts). */
  pid?: number;
}

export interface PingRequest {
  op: 'ping';
}

/** runc's verbs on one container of the pod (sandbox/runc.ts). */
export type ContainerRequest =
  | { op: 'add'; container: ContainerSpec }
  /** runc's restore of one more container of a pod being restored: its spec from its new bundle. */
  | { op: 'claim'; container: ContainerSpec }
  | { op: 'start'; container: string }
  | { op: 'signal'; container: string; signal: number; all: boolean }
  | { op: 'remove'; container: string }
  | { op: 'pause' }
  | { op: 'resume' };

export type ControlRequest = ExecRequest | KillRequest | CheckpointRequest | PingRequest | ContainerRequest;

export interface ExecResult {
  exitCode: number;
  /** The trap that ended it, if one did. */
  trap: string | null;
  stdout: string;
  stderr: string;
}

export interface CheckpointResult {
  /** Payload bytes the image holds. */
  bytes: number;
  /** Blob bytes written anew (the rest was linked from a parent image, or stored once). */
  written: number;
  /** Blob bytes linked from the parent image. */
  reused: number;
  /** How long writing the image took. */
  ms: number;
  /** How long the pod's processes could not run; null when it stays stopped. */
  pauseMs: number | null;
}

/** Each request's answer when it succeeds. */
export interface ControlResults {
  exec: ExecResult;
  kill: Record<never, never>;
  checkpoint: CheckpointResult;
  ping: { pid: number };
  add: Record<never, never>;
  claim: Record<never, never>;
  start: Record<never, never>;
  signal: Record<never, never>;
  remove: Record<never, never>;
  pause: Record<never, never>;
  resume: Record<never, never>;
}

export type ControlReply<Op extends ControlRequest['op']> = ({ ok: true } & ControlResults[Op]) | { ok: false; error: string };

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** A request as it arrives off the socket, checked; a string says what is wrong with it. */
export function parseRequest(v: unknown): ControlRequest | string {
  if (typeof v !== 'object' || v === null) return 'a request must be a JSON object';
  const r = v as Record<string, unknown>;
  switch (r['op']) {
    case 'exec':
      if (typeof r['container'] !== 'string' || typeof r['module'] !== 'string' || !isStrings(r['args'])) return 'exec: expected container, module and args';
      return { op: 'exec', container: r['container'], module: r['module'], args: r['args'], ...(r['stream'] === true ? { stream: true } : {}) };
    case 'kill':
      return { op: 'kill', signal: typeof r['signal'] === 'number' ? r['signal'] : 15 };
    case 'checkpoint':
      if (typeof r['imagePath'] !== 'string') return 'checkpoint: expected imagePath';
      return {
        op: 'checkpoint',
        imagePath: r['imagePath'],
        leaveRunning: r['leaveRunning'] === true,
        ...(typeof r['parentPath'] === 'string' ? { parentPath: r['parentPath'] } : {}),
        ...(typeof r['compress'] === 'string' ? { compress: r['compress'] } : {}),
        ...(r['durable'] === true ? { durable: true } : {}),
        ...(typeof r['pid'] === 'number' ? { pid: r['pid'] } : {}),
      };
    case 'ping':
      return { op: 'ping' };
    case 'add':
    case 'claim': {
      const c = r['container'] as Record<string, unknown> | null;
      if (typeof c !== 'object' || c === null || typeof c['name'] !== 'string' || typeof c['module'] !== 'string' || !isStrings(c['argv'])) return `${r['op']}: expected a container spec`;
      return { op: r['op'], container: c as unknown as ContainerSpec };
    }
    case 'start':
    case 'remove':
      if (typeof r['container'] !== 'string') return `${r['op']}: expected container`;
      return { op: r['op'], container: r['container'] };
    case 'signal':
      if (typeof r['container'] !== 'string' || typeof r['signal'] !== 'number') return 'signal: expected container and signal';
      return { op: 'signal', container: r['container'], signal: r['signal'], all: r['all'] === true };
    case 'pause':
    case 'resume':
      return { op: r['op'] };
    default:
      return `unknown request ${String(r['op'])}`;
  }
}
