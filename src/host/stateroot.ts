// The state root (`--root`, AMBER_ROOT), like runsc's --root: one folder per pod holding its durable
// record (written atomically, so `list` and `state` work even when a sandbox has died), its logs and
// its control socket. A lock file serialises CLIs acting on one pod.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AmberError, messageOf } from '../base/error.js';
import { processAlive } from './pidalive.js';

export type PodStatus = 'creating' | 'running' | 'stopped';

export interface ContainerRecord {
  name: string;
  exitCode: number | null;
  /** A container driven through runc's verbs: where it is in runc's lifecycle, and its relay's host pid. */
  status?: 'created' | 'running' | 'paused' | 'stopped';
  pid?: number | null;
  /** Why it ended when a trap ended it (exit code 134): `wasm trap: unreachable`, `... call stack exhausted`. */
  trap?: string;
}

/** What the state root keeps about a pod. */
export interface PodRecord {
  id: string;
  status: PodStatus;
  /** The sandbox process (a host pid), while it runs. */
  sandboxPid: number | null;
  /** Where the pod came from: a manifest, a bundle, or an image. */
  source: string;
  createdAt: string;
  containers: ContainerRecord[];
  annotations: Record<string, string>;
}

/**
 * A container made by runc's verbs (`amber create ID`), found by its id: which pod holds it and under
 * what name, with what `runc state` reports of it besides its status.
 */
export interface ContainerIndex {
  id: string;
  pod: string;
  /** Its name in the pod. */
  name: string;
  bundle: string;
  /** The host directory that is its root (an exec's module is found there). */
  rootfs: string;
  createdAt: string;
  annotations: Record<string, string>;
}

export function defaultRoot(): string {
  const env = process.env['AMBER_ROOT'];
  if (env !== undefined && env !== '') return resolve(env);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const xdg = process.env['XDG_RUNTIME_DIR'];
  return xdg !== undefined && xdg !== '' ? join(xdg, 'amber') : join(tmpdir(), `amber-${uid}`);
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export class StateRoot {
  readonly dir: string;

  /** An AmberError if dir exists and is not a directory (`--root /etc/passwd`); a missing one is made when a pod needs it. */
  constructor(dir: string) {
    this.dir = resolve(dir);
    let st: Stats | undefined;
    try {
      st = statSync(this.dir);
    } catch (e) {
      if (!(typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT')) {
        throw new AmberError(`--root ${this.dir}: cannot use it: ${messageOf(e)}`);
      }
    }
    if (st !== undefined && !st.isDirectory()) throw new AmberError(`--root ${this.dir}: not a directory`);
  }

  podDir(id: string): string {
    return join(this.dir, 'pods', id);
  }

  logPath(id: string, container: string): string {
    return join(this.podDir(id), 'logs', `${container}.log`);
  }

  socketPath(id: string): string {
    return join(this.podDir(id), 'control.sock');
  }

  /** Where the relays of a pod made by runc's verbs attach (sandbox/relay.ts). */
  attachPath(id: string): string {
    return join(this.podDir(id), 'attach.sock');
  }

  #containerFile(id: string): string {
    return join(this.dir, 'containers', `${id}.json`);
  }

  /** Records a container made by runc's verbs; false if the id is taken. */
  createContainer(c: ContainerIndex): boolean {
    mkdirSync(join(this.dir, 'containers'), { recursive: true });
    try {
      writeFileSync(this.#containerFile(c.id), JSON.stringify(c, null, 2) + '\n', { flag: 'wx' });
      return true;
    } catch (e) {
      if (typeof e === 'object' && e !== null && 'code' in e && e.code === 'EEXIST') return false;
      throw e;
    }
  }

  readContainer(id: string): ContainerIndex | null {
    if (!validId(id)) return null;
    try {
      return JSON.parse(readFileSync(this.#containerFile(id), 'utf8')) as ContainerIndex;
    } catch {
      return null;
    }
  }

  removeContainer(id: string): void {
    rmSync(this.#containerFile(id), { force: true });
  }

  /** Every container made by runc's verbs. */
  listContainers(): ContainerIndex[] {
    let names: string[];
    try {
      names = readdirSync(join(this.dir, 'containers'));
    } catch {
      return [];
    }
    return names.filter((n) => n.endsWith('.json')).sort().map((n) => this.readContainer(n.slice(0, -5))).filter((c): c is ContainerIndex => c !== null);
  }

  exists(id: string): boolean {
    return existsSync(join(this.podDir(id), 'record.json'));
  }

  /** Creates the pod's folder and first record; false if the id is taken. */
  create(record: PodRecord): boolean {
    const dir = this.podDir(record.id);
    mkdirSync(join(this.dir, 'pods'), { recursive: true });
    try {
      mkdirSync(dir);
    } catch (e) {
      if (typeof e === 'object' && e !== null && 'code' in e && e.code === 'EEXIST') return false;
      throw e;
    }
    mkdirSync(join(dir, 'logs'));
    this.write(record);
    return true;
  }

  /** Writes the record atomically (temp file, then rename). */
  write(record: PodRecord): void {
    const dir = this.podDir(record.id);
    const tmp = join(dir, `.record.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
    renameSync(tmp, join(dir, 'record.json'));
  }

  /** The record, with a dead sandbox's pod shown as stopped; null if there is no such pod. */
  read(id: string): PodRecord | null {
    let text: string;
    try {
      text = readFileSync(join(this.podDir(id), 'record.json'), 'utf8');
    } catch {
      return null;
    }
    const r = JSON.parse(text) as PodRecord;
    const dead = r.sandboxPid === null ? r.status === 'running' : !processAlive(r.sandboxPid);
    return r.status !== 'stopped' && dead ? { ...r, status: 'stopped', sandboxPid: null } : r;
  }

  list(): PodRecord[] {
    let ids: string[];
    try {
      ids = readdirSync(join(this.dir, 'pods'));
    } catch {
      return [];
    }
    return ids.sort().map((id) => this.read(id)).filter((r): r is PodRecord => r !== null);
  }

  remove(id: string): void {
    rmSync(this.podDir(id), { recursive: true, force: true });
  }

  /**
   * Moves the sandbox.log of a pod that never ran out of its folder, which is about to be removed, to
   * ROOT/failed/ID.sandbox.log (replacing an older one of that id); where it now is.
   */
  keepFailedLog(id: string): string {
    const kept = join(this.dir, 'failed', `${id}.sandbox.log`);
    mkdirSync(join(this.dir, 'failed'), { recursive: true });
    renameSync(join(this.podDir(id), 'sandbox.log'), kept);
    return kept;
  }

  /**
   * Runs fn holding the pod's lock (an O_EXCL file with the holder's pid; a dead holder's lock is
   * broken). Waits up to timeoutMs for another CLI to finish.
   */
  withLock<T>(id: string, fn: () => T, timeoutMs = 10_000): T {
    const lock = join(this.podDir(id), 'lock');
    const deadline = Date.now() + timeoutMs;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (e) {
        if (!(typeof e === 'object' && e !== null && 'code' in e && e.code === 'EEXIST')) throw e;
        const holder = Number(readFileSafe(lock));
        if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
          try {
            unlinkSync(lock);
          } catch {
            // another CLI broke it first
          }
          continue;
        }
        if (Date.now() > deadline) throw new Error(`pod ${id} is locked by process ${holder}`);
        Atomics.wait(sleeper, 0, 0, 20);
      }
    }
    try {
      return fn();
    } finally {
      try {
        unlinkSync(lock);
      } catch {
        // the pod folder was deleted under the lock
      }
    }
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
