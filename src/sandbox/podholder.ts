// What answers a sandbox's sockets while its pod comes up, like runsc's controller before its loader has
// the container: the sockets listen from the sandbox's first moments, so a relay started beside the
// sandbox (client/runc.ts) can connect at once. Until there is a pod, a relay's connection waits, and
// control requests are the restore gate's (restoregate.ts) or told the pod is starting; then the pod's
// server (server.ts) takes every connection, those that waited first.
import type { Socket } from 'node:net';
import type { ControlChannel, ControlMessage, ControlProgress } from '../host/control.js';
import { readAttachLine } from '../host/relayframes.js';
import { parseRequest } from './protocol.js';
import type { RestoreGate } from './restoregate.js';
import type { PodServer } from './server.js';

export class PodHolder {
  readonly #id: string;
  #gate: RestoreGate | null = null;
  #server: PodServer | null = null;
  /** Relays' connections made before anything could take them. */
  readonly #waiting = new Set<Socket>();

  constructor(id: string) {
    this.#id = id;
  }

  get gate(): RestoreGate | null {
    return this.#gate;
  }

  /** A restore waiting for its containers' own restores: relays attach to it meanwhile. */
  setGate(gate: RestoreGate): void {
    this.#gate = gate;
    this.#flush();
  }

  /** The pod runs: its server takes every connection from now on. */
  setServer(server: PodServer): void {
    this.#server = server;
    for (const sock of this.#gate?.sockets ?? []) server.track(sock);
    this.#flush();
  }

  /** A connection on the pod's attach socket. */
  attach(sock: Socket): void {
    if (this.#server !== null) return this.#server.attach(sock);
    const gate = this.#gate;
    if (gate === null) {
      this.#waiting.add(sock);
      sock.once('close', () => this.#waiting.delete(sock));
      sock.on('error', () => {});
      return;
    }
    readAttachLine(sock, (req, rest) => {
      const error = typeof req === 'string' ? req : gate.attach(sock, req, rest, () => sock.write(`${JSON.stringify({ ok: true })}\n`));
      if (error !== null) sock.end(`${JSON.stringify({ ok: false, error })}\n`);
    });
  }

  /** A request on the pod's control socket. */
  control(req: unknown, progress: ControlProgress, channel: ControlChannel): Promise<ControlMessage> | ControlMessage {
    if (this.#server !== null) return this.#server.handle(req, progress, channel);
    const parsed = parseRequest(req);
    if (typeof parsed === 'string') return { ok: false, error: parsed };
    return this.#gate?.handle(parsed) ?? { ok: false, error: `pod ${this.#id} is starting` };
  }

  #flush(): void {
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const sock of waiting) if (!sock.destroyed) this.attach(sock);
  }
}
