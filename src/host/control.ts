// The control channel between the CLI and a pod's sandbox process, like runsc's urpc controller: one
// JSON request and one JSON reply per connection over a Unix socket in the pod's state folder.
import { createConnection, createServer, type Server } from 'node:net';

export interface ControlRequest {
  op: string;
  [key: string]: unknown;
}

export interface ControlReply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export type ControlHandler = (req: ControlRequest) => Promise<ControlReply> | ControlReply;

/** Serves requests on socketPath until the returned server is closed. */
export function serveControl(socketPath: string, handle: ControlHandler): Promise<Server> {
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      void (async () => {
        let reply: ControlReply;
        try {
          reply = await handle(JSON.parse(line) as ControlRequest);
        } catch (e) {
          reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
        }
        sock.end(JSON.stringify(reply) + '\n');
      })();
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

/** Sends one request; rejects if the sandbox does not answer within timeoutMs. */
export function callControl(socketPath: string, req: ControlRequest, timeoutMs = 30_000): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from the sandbox within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
    });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as ControlReply);
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
