// The wire between a pod's sandbox and a container's relay process (sandbox/relay.ts), like the pipes
// runc's init holds for its container: after one JSON line each way (what the relay attaches to, and the
// sandbox's yes or no), both sides speak frames of [type u8][length u32 BE][payload]. The sandbox sends a
// process's output, asks for its input when it first reads, and at the end its exit status; the relay
// sends input, the end of input, and the signals its own process receives.
import type { Socket } from 'node:net';

export const FRAME = {
  /** sandbox → relay: bytes the process wrote to its stdout. */
  stdout: 1,
  /** sandbox → relay: bytes written to stderr. */
  stderr: 2,
  /** sandbox → relay: the process ended; payload u32 BE exit status (128+N after signal N). */
  exit: 3,
  /** sandbox → relay: the process read its stdin for the first time: start sending it. */
  wantStdin: 4,
  /** relay → sandbox: bytes of input. */
  stdin: 5,
  /** relay → sandbox: the input ended. */
  stdinEnd: 6,
  /** relay → sandbox: the relay was sent this signal; payload u32 BE signal number. */
  signal: 7,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

const HEADER = 5;

export function frame(type: FrameType, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt8(type, 0);
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, HEADER);
  return out;
}

export function u32Frame(type: FrameType, n: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(n >>> 0, 0);
  return frame(type, p);
}

/**
 * Splits a byte stream into frames. Chunks are kept as they come until a frame is whole, then joined
 * once: a frame of a MiB arriving in 64 KiB chunks is copied once, not once a chunk.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #have = 0;

  /** Every whole frame the chunk completes. */
  push(chunk: Buffer): Array<{ type: number; payload: Buffer }> {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#have += chunk.length;
    }
    const out: Array<{ type: number; payload: Buffer }> = [];
    while (this.#have >= HEADER) {
      const head = this.#head(HEADER);
      const len = head.readUInt32BE(1);
      if (this.#have < HEADER + len) break;
      const whole = this.#head(HEADER + len);
      out.push({ type: whole.readUInt8(0), payload: whole.subarray(HEADER, HEADER + len) });
      this.#drop(HEADER + len);
    }
    return out;
  }

  /** The first n bytes kept (n <= #have), joining the chunks they span into the first. */
  #head(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) return first;
    let count = 0;
    for (let got = 0; got < n; count++) got += (this.#chunks[count] as Buffer).length;
    const joined = Buffer.concat(this.#chunks.slice(0, count));
    this.#chunks.splice(0, count, joined);
    return joined;
  }

  #drop(n: number): void {
    const first = this.#chunks[0] as Buffer;
    this.#have -= n;
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
  }
}

/** What a relay asks to attach to: a container's first process, or a new process run in it (runc exec). */
export interface AttachRequest {
  container: string;
  /** The relay's host pid, recorded as the container's (or the exec's) pid. */
  pid: number;
  exec?: { module: string; argv: string[]; env: string[]; cwd: string };
}

export function parseAttach(v: unknown): AttachRequest | string {
  if (typeof v !== 'object' || v === null) return 'attach: expected a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r['container'] !== 'string' || typeof r['pid'] !== 'number') return 'attach: expected container and pid';
  const out: AttachRequest = { container: r['container'], pid: r['pid'] };
  const e = r['exec'];
  if (e !== undefined) {
    const x = e as Record<string, unknown>;
    const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((s) => typeof s === 'string');
    if (typeof x['module'] !== 'string' || !strings(x['argv']) || !strings(x['env']) || typeof x['cwd'] !== 'string') return 'attach: exec needs module, argv, env and cwd';
    out.exec = { module: x['module'], argv: x['argv'], env: x['env'], cwd: x['cwd'] };
  }
  return out;
}

/** Reads a relay's attach line off sock, then hands over the request (or what is wrong with it) and the bytes after it. */
export function readAttachLine(sock: Socket, then: (req: AttachRequest | string, rest: Buffer) => void): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0) return;
    sock.off('data', onData);
    let req: AttachRequest | string;
    try {
      req = parseAttach(JSON.parse(head.subarray(0, nl).toString('utf8')));
    } catch {
      req = 'attach: the request is not JSON';
    }
    then(req, head.subarray(nl + 1));
  };
  sock.on('data', onData);
  sock.on('error', () => {});
}
