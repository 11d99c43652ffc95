// Unix socket paths past sun_path's 108 bytes (unix(7)), as a state root under /run/containerd/runc/k8s.io
// with 64-hex container ids makes them: the socket's folder is opened and named through /proc/self/fd,
// a short path to the same place (the kernel resolves it like any other). Shorter paths are used as they are.
import { closeSync, openSync } from 'node:fs';
import { createConnection, type Server, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';

/** sun_path holds 108 bytes with its NUL; leave some room. */
const MAX_PATH = 100;

function shortened(path: string): { path: string; done(): void } {
  if (Buffer.byteLength(path) <= MAX_PATH) return { path, done: () => {} };
  const fd = openSync(dirname(path), 'r');
  let open = true;
  return {
    path: `/proc/self/fd/${fd}/${basename(path)}`,
    done: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** server.listen on a Unix socket at path, however long. */
export function listenUnix(server: Server, path: string): Promise<void> {
  const p = shortened(path);
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      p.done();
      reject(e);
    });
    server.listen(p.path, () => {
      p.done();
      resolve();
    });
  });
}

/** A connection to the Unix socket at path, however long. */
export function connectUnix(path: string): Socket {
  const p = shortened(path);
  const sock = createConnection(p.path);
  sock.once('connect', () => p.done());
  sock.once('error', () => p.done());
  return sock;
}
