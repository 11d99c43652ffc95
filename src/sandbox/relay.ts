// A container's host process, like the init process runc leaves behind for containerd's shim: started by
// `amber create` (or `exec`, `restore`) as `node sandbox/relay.js SOCKET REQUEST`, it holds the stdio it
// was handed, attaches to its process in the pod's sandbox (host/relayframes.ts), copies output out and
// input in, passes on the signals it gets, and exits with the process's status (143 after SIGTERM, 137
// after SIGKILL or when the sandbox is gone). Its pid is the one the pid file names; fd 3, when open, is
// the launcher's pipe: one line, "ok" or the reason it could not attach. It may start before its
// sandbox listens: it waits for the attach socket, and the sandbox holds it until the container exists.
import { closeSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { FRAME, FrameReader, frame, u32Frame } from '../host/relayframes.js';
import type { Socket } from 'node:net';
import { connectUnix } from '../host/unixpath.js';

/** The sandbox went away without saying how the process ended: as if it had been killed. */
const LOST = 137;
/** How long a relay waits for its sandbox's attach socket to appear. */
const CONNECT_WAIT_MS = 30_000;
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

function tell(line: string): void {
  try {
    writeSync(3, `${line}\n`);
    closeSync(3);
  } catch {
    // no launcher listening (fd 3 not open)
  }
}

/** Writes all of data to fd, waiting out a full pipe; a reader that went away drops the rest. */
function writeAll(fd: number, data: Uint8Array): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done, data.length - done);
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : '';
      if (code !== 'EAGAIN') return;
      Atomics.wait(sleeper, 0, 0, 2);
    }
  }
}

/**
 * Connects to the attach socket, waiting (up to CONNECT_WAIT_MS) while it is not there yet: a relay is
 * started beside its sandbox, not after it, so the two processes' start-ups overlap.
 */
function connectWhenThere(socketPath: string, then: (sock: Socket) => void, fail: (e: Error) => void): void {
  const deadline = Date.now() + CONNECT_WAIT_MS;
  const attempt = (): void => {
    let sock: Socket;
    try {
      sock = connectUnix(socketPath);
    } catch (e) {
      return retryOr(e as NodeJS.ErrnoException);
    }
    const early = (e: NodeJS.ErrnoException): void => retryOr(e);
    sock.once('error', early);
    sock.once('connect', () => {
      sock.off('error', early);
      then(sock);
    });
  };
  const retryOr = (e: NodeJS.ErrnoException): void => {
    if ((e.code === 'ENOENT' || e.code === 'ECONNREFUSED') && Date.now() < deadline) setTimeout(attempt, 5);
    else fail(e);
  };
  attempt();
}

function main(socketPath: string, request: string): void {
  // Signals are passed on once attached; before, they are caught and dropped (the process does not run yet).
  let forward: (signal: number) => void = () => {};
  for (const name of SIGNALS) process.on(name, () => forward(constants.signals[name]));
  connectWhenThere(socketPath, (sock) => (forward = attach(sock, request)), (e) => {
    tell(`cannot reach the sandbox: ${e.message}`);
    process.exit(1);
  });
}

/** Attaches on sock; returns what passes a signal on. */
function attach(sock: Socket, request: string): (signal: number) => void {
  let attached = false;
  let head = '';
  const reader = new FrameReader();
  let stdinStarted = false;

  const startStdin = (): void => {
    if (stdinStarted) return;
    stdinStarted = true;
    process.stdin.on('data', (chunk: Buffer) => sock.write(frame(FRAME.stdin, chunk)));
    process.stdin.on('end', () => sock.write(frame(FRAME.stdinEnd)));
    process.stdin.on('error', () => sock.write(frame(FRAME.stdinEnd)));
  };

  const onFrames = (chunk: Buffer): void => {
    for (const f of reader.push(chunk)) {
      if (f.type === FRAME.stdout) writeAll(1, f.payload);
      else if (f.type === FRAME.stderr) writeAll(2, f.payload);
      else if (f.type === FRAME.wantStdin) startStdin();
      else if (f.type === FRAME.exit) process.exit(f.payload.readUInt32BE(0));
    }
  };

  const req = JSON.parse(request) as Record<string, unknown>;
  sock.write(`${JSON.stringify({ ...req, pid: process.pid })}\n`);
  sock.on('data', (chunk: Buffer) => {
    if (attached) return onFrames(chunk);
    const nl = chunk.indexOf(10);
    if (nl < 0) {
      head += chunk.toString('utf8');
      return;
    }
    head += chunk.subarray(0, nl).toString('utf8');
    let reply: { ok?: unknown; error?: unknown };
    try {
      reply = JSON.parse(head) as { ok?: unknown; error?: unknown };
    } catch {
      reply = { ok: false, error: 'the sandbox answered the attach with garbage' };
    }
    if (reply.ok !== true) {
      tell(String(reply.error ?? 'the sandbox refused the attach'));
      process.exit(1);
    }
    attached = true;
    tell('ok');
    onFrames(chunk.subarray(nl + 1));
  });
  sock.on('error', (e) => {
    if (!attached) {
      tell(`cannot reach the sandbox: ${e.message}`);
      process.exit(1);
    }
  });
  sock.on('close', () => {
    if (!attached) tell('the sandbox closed the attach without an answer');
    process.exit(attached ? LOST : 1);
  });
  return (signal: number) => {
    if (attached) sock.write(u32Frame(FRAME.signal, signal));
  };
}

const [socketPath, request] = process.argv.slice(2);
if (socketPath === undefined || request === undefined) {
  process.stderr.write('usage: relay SOCKET REQUEST\n');
  process.exit(2);
}
main(socketPath, request);
