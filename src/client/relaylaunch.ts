// Starting a container's relay (sandbox/relay.ts), as runc starts a container's init: a process of its
// own, in a session of its own, holding this command's stdin, stdout and stderr (the stdio containerd's
// shim handed over), which outlives this command and is reaped by whoever reaps orphans (the shim, a
// subreaper). It says on fd 3 whether it attached; the pid file, written atomically, names it.
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { entryScript } from '../host/entryscript.js';
import { startEnv } from '../host/startenv.js';
import type { AttachRequest } from '../host/relayframes.js';
import { SandboxError } from './errors.js';

const ATTACH_TIMEOUT_MS = 30_000;

export interface Relay {
  pid: number;
  /** Resolves with its exit status (for a relay waited on, as `runc exec` without --detach). */
  exited: Promise<number>;
}

/** A relay's stdin, stdout and stderr: 'inherit' (this process's), 'ignore', or a host fd each. */
export type RelayStdio = readonly ['inherit' | 'ignore' | number, 'inherit' | 'ignore' | number, 'inherit' | 'ignore' | number];

export interface RelayOptions {
  detached: boolean;
  stdio?: RelayStdio;
  /** Aborted: the relay is killed and the start rejected (its sandbox could not start). */
  signal?: AbortSignal;
}

/**
 * Starts a relay that attaches to req on the pod's attach socket; resolves once it has. The relay may
 * start before the sandbox listens (it waits for the socket), so the two start up side by side.
 */
export function startRelay(attachSocket: string, req: Omit<AttachRequest, 'pid'>, opts: RelayOptions): Promise<Relay> {
  const child = spawn(process.execPath, [entryScript('relay'), attachSocket, JSON.stringify(req)], {
    detached: opts.detached,
    stdio: [...(opts.stdio ?? ['inherit', 'inherit', 'inherit']), 'pipe'],
    env: startEnv(process.env), // NODE_EXTRA_CA_CERTS aside while it starts: it starts nothing itself
  });
  const exited = new Promise<number>((res) => child.on('exit', (code, signal) => res(code ?? 128 + (signal === null ? 9 : signalNo(signal)))));
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SandboxError(`the relay did not attach within ${ATTACH_TIMEOUT_MS / 1000} s`));
    }, ATTACH_TIMEOUT_MS);
    opts.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new SandboxError('the relay was stopped: its sandbox did not start'));
    }, { once: true });
    const pipe = child.stdio[3];
    pipe?.on('data', (b: Buffer) => {
      said += b.toString('utf8');
    });
    pipe?.on('close', () => {
      clearTimeout(timer);
      const line = said.split('\n')[0] ?? '';
      if (line !== 'ok' || child.pid === undefined) {
        reject(new SandboxError(line === '' ? 'the relay ended before it attached' : line));
        return;
      }
      if (opts.detached) child.unref();
      (pipe as { unref?: () => void }).unref?.();
      resolve({ pid: child.pid, exited });
    });
  });
}

function signalNo(name: NodeJS.Signals): number {
  return constants.signals[name];
}

/** Writes pid to the pid file as runc does: the number alone, written beside and renamed into place. */
export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${process.pid}.pid.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, abs);
}
