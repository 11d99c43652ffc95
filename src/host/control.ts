// The control channel between the CLI and a pod's sandbox process, like runsc's urpc controller: one
// JSON request and one JSON reply per connection over a Unix socket in the pod's state folder.
//
// The protocol, one JSON object per line (UTF-8, '\n'-terminated):
//   client → sandbox   the request: {"op": "checkpoint", ...}
//   sandbox → client   the reply, which always has "ok", then the sandbox closes the connection
// A request with "progress": true (sent by callControl when given onProgress) may be answered first by
// any number of progress lines, each without "ok":
//   sandbox → client   {"progress": {"done": N, "total": M}}     (bytes of the operation so far)
// at most one every PROGRESS_EVERY_MS. A request without it gets the reply line alone, as before.
//
// A sandbox that restores a pod reads its image before its control socket exists; meanwhile it reports
// progress in the pod folder's file `progress` (progressFile()), the same {"done": N, "total": M}
// rewritten at most every PROGRESS_EVERY_MS, for the CLI that waits for it to show. The CLI removes it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { connectUnix, listenUnix } from './unixpath.js';
import { messageOf } from '../base/error.js';

/** A request or a reply: one JSON object. What the objects mean is the sandbox's (sandbox/protocol.ts). */
export type ControlMessage = object;

/** Tells the client how far a long operation is; a no-op unless the request asked for progress. */
export type ControlProgress = (done: number, total: number) => void;

/**
 * The connection a request came on, for a reply that streams (an exec's output): lines sent before the
 * reply, each one JSON object without "ok"; how much is waiting to go (a slow client); and its end.
 */
export interface ControlChannel {
  send(msg: ControlMessage): void;
  /** Bytes sent but not yet taken by the client. */
  backlog(): number;
  readonly closed: boolean;
  /** fn runs once the client has gone (at once if it has); not after the reply has been sent. */
  onClose(fn: () => void): void;
  /** fn runs each time what was waiting for the client has all gone out (a writer held on the backlog may go on). */
  onDrain(fn: () => void): void;
}

/** Answers one request (parsed JSON, not yet checked); a throw is answered {"ok": false, "error": message}. */
export type ControlHandler = (req: unknown, progress: ControlProgress, channel: ControlChannel) => Promise<ControlMessage> | ControlMessage;

/** The least time between two progress lines: often enough for a live display, no more. */
export const PROGRESS_EVERY_MS = 100;

/** Serves requests on socketPath until the returned server is closed. */
export function serveControl(socketPath: string, handle: ControlHandler): Promise<Server> {
  const server = createServer((sock) => {
    let buf = '';
    let closed = false;
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      const closers: Array<() => void> = [];
      let answered = false;
      sock.on('close', () => {
        if (!answered) for (const fn of closers.splice(0)) fn();
      });
      const channel: ControlChannel = {
        send: (msg) => {
          if (!closed) sock.write(`${JSON.stringify(msg)}\n`);
        },
        backlog: () => sock.writableLength,
        get closed() {
          return closed;
        },
        onClose: (fn) => {
          if (sock.destroyed) fn();
          else closers.push(fn);
        },
        onDrain: (fn) => {
          sock.on('drain', fn);
        },
      };
      void (async () => {
        let reply: ControlMessage;
        try {
          const req: unknown = JSON.parse(line);
          const wantsProgress = typeof req === 'object' && req !== null && 'progress' in req && req.progress === true;
          let last = -Infinity;
          const progress: ControlProgress = (done, total) => {
            const now = performance.now();
            if (!wantsProgress || closed || now - last < PROGRESS_EVERY_MS) return;
            last = now;
            sock.write(`${JSON.stringify({ progress: { done, total } })}\n`);
          };
          reply = await handle(req, progress, channel);
        } catch (e) {
          reply = { ok: false, error: messageOf(e) };
        }
        answered = true;
        closed = true;
        sock.end(JSON.stringify(reply) + '\n');
      })();
    });
    sock.on('close', () => {
      closed = true;
    });
    sock.on('error', () => {});
  });
  return listenUnix(server, socketPath).then(() => server);
}

export interface CallOptions {
  /** Asks for progress lines and hands each on. */
  onProgress?: ControlProgress;
  /**
   * Each line the sandbox sends before its reply that is not progress (an exec's output); a promise
   * returned holds the connection (nothing more is read) until it settles.
   */
  onMessage?: (msg: Record<string, unknown>) => void | Promise<unknown>;
}

/**
 * Sends one request; rejects if the sandbox says nothing for timeoutMs (each line it sends starts the
 * wait again). With onProgress the request asks for progress lines and each is handed to it as it
 * arrives. Lines are found by scanning each chunk once: a reply of any size is read in linear time.
 */
export function callControl(socketPath: string, req: ControlMessage, timeoutMs = 30_000, opts: CallOptions = {}): Promise<unknown> {
  const { onProgress, onMessage } = opts;
  return new Promise((resolve, reject) => {
    const sock = connectUnix(socketPath);
    const parts: Buffer[] = [];
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    let timer = setTimeout(() => fail(new Error(`no answer from the sandbox within ${timeoutMs} ms`)), timeoutMs);
    const rearm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new Error(`no answer from the sandbox within ${timeoutMs} ms`)), timeoutMs);
    };
    sock.on('connect', () => sock.write(JSON.stringify(onProgress === undefined ? req : { ...req, progress: true }) + '\n'));
    /** One complete line before the reply: progress or a message; false if it is the reply itself. */
    const take = (line: Buffer): boolean | Promise<unknown> => {
      let msg: unknown;
      try {
        msg = JSON.parse(line.toString('utf8'));
      } catch {
        return false; // not ours to judge here: the end handler reports a garbled answer
      }
      if (typeof msg !== 'object' || msg === null || 'ok' in msg) return false;
      rearm();
      if ('progress' in msg) {
        const p = (msg as { progress: { done?: unknown; total?: unknown } }).progress;
        if (typeof p.done === 'number' && typeof p.total === 'number') onProgress?.(p.done, p.total);
        return true;
      }
      return onMessage?.(msg as Record<string, unknown>) ?? true;
    };
    let replying = false;
    sock.on('data', (chunk: Buffer) => {
      if (replying) {
        parts.push(chunk);
        return;
      }
      let from = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, from)) {
        const line = parts.length === 0 ? chunk.subarray(from, nl) : Buffer.concat([...parts.splice(0), chunk.subarray(from, nl)]);
        const r = take(line);
        if (r === false) {
          // The reply: everything from its first byte on is read to the end.
          parts.push(line, chunk.subarray(nl));
          replying = true;
          return;
        }
        from = nl + 1;
        if (r !== true) {
          sock.pause();
          void r.finally(() => sock.resume());
        }
      }
      if (from < chunk.length) parts.push(chunk.subarray(from));
    });
    sock.on('end', () => {
      clearTimeout(timer);
      if (failed) return;
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown);
      } catch {
        reject(new Error('the sandbox closed the control connection without an answer'));
      }
    });
    sock.on('error', (e) => fail(e));
  });
}

/** Where a sandbox restoring the pod in podDir reports its progress. */
export function progressFile(podDir: string): string {
  return join(podDir, 'progress');
}

/** A ControlProgress that rewrites path (at most every PROGRESS_EVERY_MS; a failure to write is ignored). */
export function fileProgress(path: string): ControlProgress {
  let last = -Infinity;
  return (done, total) => {
    const now = performance.now();
    if (now - last < PROGRESS_EVERY_MS && done < total) return;
    last = now;
    try {
      writeFileSync(path, JSON.stringify({ done, total }));
    } catch {
      // progress is a courtesy
    }
  };
}

/** The progress in path; null if there is none yet (or it is being rewritten). */
export function readProgress(path: string): { done: number; total: number } | null {
  try {
    const p = JSON.parse(readFileSync(path, 'utf8')) as { done?: unknown; total?: unknown };
    return typeof p.done === 'number' && typeof p.total === 'number' ? { done: p.done, total: p.total } : null;
  } catch {
    return null;
  }
}
