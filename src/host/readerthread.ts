// A reader thread for a restore's memory blobs, like CRIU's page server feeding restore through a pipe:
// a worker thread reads each blob from its file into a small ring of shared slots and hashes each slice,
// while the calling thread copies the slices into the program's memory (a non-shared WebAssembly.Memory,
// which no other thread can reach). Hashing then runs on the other core beside the copy instead of after
// it. The bytes hashed are the very bytes copied: a slot is refilled only once both are done with it.
import { availableParallelism, loadavg } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ImageError } from '../image/error.js';
import { messageOf } from '../base/error.js';

/**
 * Whether a core looks free for the reader thread: the last minute's load average leaves one. With every
 * core busy the thread only adds work (its start-up, a second copy of each slice), and this process's
 * share of the machine does not grow with its threads: a restore on a loaded 2-core host took ~25%
 * longer through it. AMBER_READER_THREAD=1 or 0 decides instead (tests, benchmarks).
 */
export function spareCore(): boolean {
  const forced = process.env['AMBER_READER_THREAD'];
  if (forced === '1' || forced === '0') return forced === '1';
  const cores = availableParallelism();
  return cores > 1 && (loadavg()[0] ?? cores) < cores - 0.5;
}

/** Bytes per slot, and slots in the ring: enough for the reader to run ahead while a slice is copied,
 *  and few hand-overs (each may wait for the other thread to be scheduled). */
const SLOT = 2 << 20;
const SLOTS = 8;
/** Slot states (Int32 each, at the start of the shared buffer). */
const EMPTY = 0;
const FILLED = 1;
const FAILED = 2;
/** The thread ends once idle this long; the next read starts another. */
const IDLE_MS = 2000;
/** With no slice for this long the reader thread is taken to be gone. */
const STALL_MS = 60_000;

/**
 * The worker's code (evaluated, CommonJS: no file of its own to find beside a bundle). A job is
 * { fd, size, slot }: the open file read from its current position, size bytes, into the ring from
 * slot on; its answer { hex } or { error }. A failed job marks its current slot FAILED and stops there.
 * It is a string run on its own: it sees none of this module's imports.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { buffer, slot: SLOT, slots: SLOTS } = workerData;
const state = new Int32Array(buffer, 0, SLOTS);
const ring = new Uint8Array(buffer, SLOTS * 4);
parentPort.on('message', ({ fd, size, slot }) => {
  let k = slot;
  try {
    const hash = createHash('sha256');
    for (let at = 0; at < size; k = (k + 1) % SLOTS) {
      while (Atomics.load(state, k) !== ${EMPTY}) Atomics.wait(state, k, Atomics.load(state, k));
      const view = ring.subarray(k * SLOT, k * SLOT + Math.min(SLOT, size - at));
      for (let got = 0; got < view.length;) {
        const n = readSync(fd, view, got, view.length - got, null);
        if (n === 0) throw new Error('shorter than ' + size + ' bytes (damaged image)');
        got += n;
      }
      at += view.length;
      // The last slice is handed over only once nothing more is read from fd: its owner closes it then.
      if (at === size && readSync(fd, new Uint8Array(1), 0, 1, null) !== 0) throw new Error('longer than ' + size + ' bytes (damaged image)');
      Atomics.store(state, k, ${FILLED});
      Atomics.notify(state, k);
      hash.update(view);
    }
    parentPort.postMessage({ hex: hash.digest('hex') });
  } catch (e) {
    Atomics.store(state, k, ${FAILED});
    Atomics.notify(state, k);
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
`;

interface Running {
  readonly worker: Worker;
  readonly state: Int32Array;
  readonly ring: Uint8Array;
  /** The answers awaited, in the order their jobs were posted. */
  readonly answers: { resolve: (hex: string) => void; reject: (e: unknown) => void }[];
  /** The slot the next job starts at (both sides step through the ring in the same order). */
  next: number;
  /** The thread is gone or broken: the next read starts another. */
  dead: boolean;
}

/**
 * The reader thread, started when made (its start-up overlaps whatever the caller does next) and again
 * after it ended idle. Used from one thread; read() blocks that thread until the file is copied.
 */
export class ReaderThread {
  #running: Running | null = null;
  #idle: NodeJS.Timeout | null = null;

  constructor() {
    this.#running = this.#start();
  }

  #start(): Running {
    const buffer = new SharedArrayBuffer(SLOTS * 4 + SLOT * SLOTS);
    // Loaded only now: node:worker_threads loaded while the sandbox's startup snapshot is built leaves
    // every worker of a process started from it broken (its process.cwd() throws as it starts).
    const { Worker: WorkerThread } = process.getBuiltinModule('node:worker_threads');
    const worker = new WorkerThread(WORKER, { eval: true, workerData: { buffer, slot: SLOT, slots: SLOTS } });
    worker.unref();
    const r: Running = { worker, state: new Int32Array(buffer, 0, SLOTS), ring: new Uint8Array(buffer, SLOTS * 4), answers: [], next: 0, dead: false };
    const fail = (why: string): void => {
      r.dead = true;
      for (const a of r.answers.splice(0)) a.reject(new ImageError(why));
    };
    worker.on('message', (m: { hex?: string; error?: string }) => {
      const a = r.answers.shift();
      if (typeof m.hex === 'string') a?.resolve(m.hex);
      else a?.reject(new Error(m.error ?? 'unknown failure'));
      if (r.answers.length === 0 && !r.dead) this.#idleSoon(r);
    });
    worker.on('error', (e) => fail(`the image reader thread failed: ${e.message}`));
    worker.on('exit', () => fail('the image reader thread ended'));
    return r;
  }

  #idleSoon(r: Running): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#idle = null;
      if (this.#running === r && r.answers.length === 0) {
        this.#running = null;
        r.dead = true;
        void r.worker.terminate();
      }
    }, IDLE_MS);
    this.#idle.unref();
  }

  /**
   * Reads into.length bytes from fd (an open regular file, from its current position, which must be
   * exactly that long) into `into`, returning once they are there or the read failed; fd is not used
   * after. The promise settles with the SHA-256 hex of exactly the bytes put in `into`, or rejects
   * (path named) when the file was shorter or longer or could not be read; `into` then holds anything.
   */
  read(fd: number, path: string, into: Uint8Array, onBytes?: (n: number) => void): Promise<string> {
    if (this.#idle !== null) {
      clearTimeout(this.#idle);
      this.#idle = null;
    }
    let r = this.#running;
    if (r === null || r.dead) r = this.#running = this.#start();
    const hex = new Promise<string>((resolve, reject) => r.answers.push({ resolve, reject })).catch((e: unknown) => {
      throw new ImageError(`${path}: ${messageOf(e)}`);
    });
    const size = into.length;
    r.worker.postMessage({ fd, size, slot: r.next });
    let k = r.next;
    let at = 0;
    for (; at < size; k = (k + 1) % SLOTS) {
      let waited = 0;
      while (Atomics.load(r.state, k) === EMPTY) {
        if (Atomics.wait(r.state, k, EMPTY, 1000) === 'timed-out' && (waited += 1000) >= STALL_MS) {
          // The thread is gone without a word (it cannot answer while this thread waits): never use it again.
          r.dead = true;
          void r.worker.terminate();
          throw new ImageError(`${path}: the image reader thread stopped`);
        }
      }
      if (Atomics.load(r.state, k) === FAILED) {
        // The job stopped at this slot; the next starts after it.
        Atomics.store(r.state, k, EMPTY);
        k = (k + 1) % SLOTS;
        break;
      }
      const n = Math.min(SLOT, size - at);
      into.set(r.ring.subarray(k * SLOT, k * SLOT + n), at);
      at += n;
      Atomics.store(r.state, k, EMPTY);
      Atomics.notify(r.state, k);
      onBytes?.(n);
    }
    r.next = k;
    return hex;
  }
}
