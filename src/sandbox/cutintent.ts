// The FIFO in a pod's folder through which bin/amber announces a checkpoint to the pod's sandbox before
// the command's node has started (~45 ms), as a prefetch hint precedes the read it speeds up: the
// sandbox begins the cut on it (earlycut.ts) and the request that follows decides. A FIFO, not a signal:
// a stale pid could name another process; and one held open read-write by its reader takes a write
// without blocking, and drops it unread once no one holds it (bin/amber opens it read-write too).
import { spawn } from 'node:child_process';
import { constants, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';

/** The FIFO's name in the pod's folder (bin/amber writes to it: the same name). */
export const CUT_INTENT_FIFO = 'checkpoint.fifo';

/** A checkpoint a command is about to ask for: `checkpoint ID --image-path IMAGE [--leave-running] [--parent-path PARENT]`. */
export interface CutIntent {
  /** The command's process (bin/amber's, which becomes its node): only its request carries the cut on. */
  pid: number;
  leaveRunning: boolean;
  /** Absolute, as the shell made it ($PWD/ before a relative path). */
  imagePath: string;
  parentPath?: string;
}

/**
 * One line as bin/amber writes it, `checkpoint<TAB>PID<TAB>leave|stop<TAB>IMAGE<TAB>PARENT` (PARENT empty:
 * none); null if it is not one.
 */
export function parseIntent(line: string): CutIntent | null {
  const f = line.split('\t');
  if (f.length !== 5 || f[0] !== 'checkpoint') return null;
  const [, pid, mode, imagePath = '', parentPath = ''] = f;
  if (!/^[1-9][0-9]{0,9}$/.test(pid ?? '') || (mode !== 'leave' && mode !== 'stop') || !imagePath.startsWith('/') || (parentPath !== '' && !parentPath.startsWith('/'))) return null;
  return { pid: Number(pid), leaveRunning: mode === 'leave', imagePath, ...(parentPath !== '' ? { parentPath } : {}) };
}

/** The FIFO being read, until closed. */
export interface IntentListener {
  close(): void;
}

/**
 * Makes the FIFO in podDir (anew: mkfifo, a process of its own, as Node cannot) and reads it, each
 * complete line parsed and handed to onIntent (lines that are not intents are ignored). Without mkfifo,
 * or if the FIFO cannot be made, there is none: checkpoints begin when asked, as before. It never keeps
 * this process alive.
 */
export function listenIntents(podDir: string, onIntent: (intent: CutIntent) => void, onError: (why: string) => void): IntentListener {
  const path = join(podDir, CUT_INTENT_FIFO);
  let sock: Socket | null = null;
  let closed = false;
  rmSync(path, { force: true });
  const mk = spawn('mkfifo', ['-m', '600', '--', path], { stdio: 'ignore' });
  mk.on('error', (e) => onError(`mkfifo: ${e.message}`));
  mk.on('exit', (code) => {
    if (code !== 0) return onError(`mkfifo exited with ${String(code)}`);
    if (closed) return void rmSync(path, { force: true });
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      return onError(e instanceof Error ? e.message : String(e));
    }
    sock = new Socket({ fd, readable: true, writable: false });
    sock.unref();
    let pending = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const intent = parseIntent(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        if (intent !== null) onIntent(intent);
      }
      if (pending.length > 65536) pending = ''; // no line is this long: not bin/amber's
    });
    sock.on('error', (e) => onError(e.message));
  });
  mk.unref();
  return {
    close: () => {
      closed = true;
      sock?.destroy();
      rmSync(path, { force: true });
    },
  };
}
