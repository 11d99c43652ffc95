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

/** A request or a reply: one JSON object. What the objects mean is the sandbox's (sandbox/protocol.ts). */
export type ControlMessage = object;

/** Tells the client how far a long operation is; a no-op unless the request asked for progress. */
export type ControlProgress = (done: number, total: number) => void;

/** Answers one request (parsed JSON, not yet checked); a throw is answered {"ok": false, "error": message}. */
export type ControlHandler = (req: unknown, progress: ControlProgress) => Promise<ControlMessage> | ControlMessage;

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
          reply = await handle(req, progress);
        } catch (e) {
          reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
        }
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

/**
 * Sends one request; rejects if the sandbox does not answer within timeoutMs. With onProgress the
 * request asks for progress lines and each is handed to it as it arrives.
 */
export function callControl(socketPath: string, req: ControlMessage, timeoutMs = 30_000, onProgress?: ControlProgress): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connectUnix(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from the sandbox within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(onProgress === undefined ? req : { ...req, progress: true }) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      // Hand on every complete progress line; the reply (the line with "ok") stays in buf until the end.
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        let msg: unknown;
        try {
          msg = JSON.parse(buf.slice(0, nl));
        } catch {
          return; // not ours to judge here: the end handler reports a garbled answer
        }
        const p = typeof msg === 'object' && msg !== null && !('ok' in msg) && 'progress' in msg ? (msg as { progress: { done?: unknown; total?: unknown } }).progress : undefined;
        if (p === undefined) return;
        buf = buf.slice(nl + 1);
        if (typeof p.done === 'number' && typeof p.total === 'number') onProgress?.(p.done, p.total);
      }
    });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as unknown);
      } catch {
        reject(new Error('the sandbox closed the control connection without an answer'));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
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
