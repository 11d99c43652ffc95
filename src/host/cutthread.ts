// A helper thread for a checkpoint that leaves its pod running, like the worker threads CRIU's page
// server and zstd's multi-threaded mode split a dump across: it faults in half the snapshot buffers'
// pages beside the main thread, and hashes memory parts (views of those buffers, SharedArrayBuffers)
// from the last backwards while the main thread hashes them from the first and hands each to the writer
// threads. No work is done twice and neither waits on the other but where they meet: each side claims
// pages from one shared counter, and each part in a shared array of claims. For a pre-copy
// (runtime/precopy.ts) it hashes and writes parts the main thread copied into a few slots of its own
// (stage): a worker cannot read a live WebAssembly.Memory, and a slot, reused, costs no page faults.
import type { Worker } from 'node:worker_threads';
import { nextTurn } from '../base/turn.js';

/** Bytes faulted in per claim, by either thread; the main thread yields to the event loop after each. Small
 *  enough that the main thread, done, seldom waits long for the helper's last claim. */
const FAULT_CHUNK = 2 << 20;
const PAGE = 4096;
/** A thread not kept (keep()) ends once idle this long; the next checkpoint starts another. */
export const IDLE_MS = 2000;

/**
 * Whether a checkpoint left running gets a helper thread: unless AMBER_CUT_THREAD=0 (tests, benchmarks).
 * It adds no work (no copy: the two threads split the faults and the hashes), so it is not saved for a
 * machine with a core to spare: 256 MiB, 18 pairs at load 1.4-3.1, the command 0.89× (13 of 18 faster); 10 pairs at load
 * 5-6.5, medians 1202 vs 1270 ms. A pre-copy copies what it gives the helper into its slots (a part
 * there costs this thread a copy into warm pages, ~a sixth of hashing and writing it here).
 */
export function cutThreadWanted(): boolean {
  return process.env['AMBER_CUT_THREAD'] !== '0';
}

/** Slots stage() copies parts into: one being hashed and written there while the next ones wait (the
 *  main thread sees a slot free only between its own parts). */
const STAGE_SLOTS = 3;

/**
 * The worker's code (evaluated, CommonJS: no file of its own beside a bundle). Jobs: { op: 'split',
 * parts: [{ id, buffer, offset, length }], claims } (hashes parts from the last backwards, each it claims
 * in claims (0 -> 1) first, and stops at the first the caller claimed) answered { id, hex } per part;
 * { id, op: 'fault', buffer, counter, chunk } (claims chunks of buffer from counter[0] and writes a zero
 * into each page) answered { id }.
 */
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
parentPort.on('message', (m) => {
  try {
    if (m.op === 'stage') {
      const bytes = new Uint8Array(m.buffer, 0, m.length);
      const hex = createHash('sha256').update(bytes).digest('hex');
      let fd = -1;
      try {
        fd = fs.openSync(m.dir + '/' + hex, 'wx', 0o644);
      } catch (e) {
        if (e.code !== 'EEXIST') throw e; // the same bytes staged already: the same file
      }
      if (fd >= 0) {
        try {
          for (let at = 0; at < bytes.length;) at += fs.writeSync(fd, bytes, at, bytes.length - at);
        } finally {
          fs.closeSync(fd);
        }
      }
      parentPort.postMessage({ id: m.id, hex });
      return;
    }
    if (m.op === 'split') {
      const claims = new Int32Array(m.claims);
      for (let k = m.parts.length - 1; k >= 0; k--) {
        if (Atomics.compareExchange(claims, k, 0, 1) !== 0) break; // the caller has come this far
        const p = m.parts[k];
        parentPort.postMessage({ id: p.id, hex: createHash('sha256').update(new Uint8Array(p.buffer, p.offset, p.length)).digest('hex') });
      }
      return;
    }
    const bytes = new Uint8Array(m.buffer);
    const counter = new Int32Array(m.counter);
    for (;;) {
      const from = Atomics.add(counter, 0, 1) * m.chunk;
      if (from >= bytes.length) break;
      const to = Math.min(bytes.length, from + m.chunk);
      for (let i = from; i < to; i += ${PAGE}) bytes[i] = 0;
    }
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
`;

interface Answer {
  resolve: (hex: string) => void;
  reject: (e: unknown) => void;
}

/**
 * The helper, started when first given work (its start-up overlaps the main thread's first pages; a cut
 * that needs no new snapshot and hashes nothing big, an incremental one, starts none). Used from one
 * thread. If the thread fails or ends, what it was given is refused (a checkpoint fails, the pod runs on)
 * and the next use starts another.
 */
export class CutThread {
  #worker: Worker | null = null;
  readonly #answers = new Map<number, Answer>();
  #nextId = 0;
  #idle: NodeJS.Timeout | null = null;
  /** stage()'s slots, made when first used; busy while the thread has the part copied in. */
  readonly #slots: { bytes: Uint8Array; busy: boolean }[] = [];
  /** Kept (keep()): the thread is not ended when idle. */
  #kept = false;
  #started = 0;

  /** How many threads this has started (one, unless one ended: idle, failed, or not kept). */
  get threadsStarted(): number {
    return this.#started;
  }

  /** How many of stage()'s slots it holds. */
  get slots(): number {
    return this.#slots.length;
  }

  /**
   * Starts the thread now and keeps it between checkpoints, for a sandbox whose checkpoints should be
   * quick (a tracked pod's): a worker's start-up under the sandbox's V8 flags is ~45-55 ms of CPU, which
   * the first checkpoint's pass would otherwise share its two cores with. It holds ~4 MiB while idle.
   */
  keep(): void {
    this.#kept = true;
    this.#worker ??= this.#start();
  }

  /** Drops stage()'s slots not in use: what a kept thread's owner would otherwise hold between checkpoints. */
  releaseSlots(): void {
    const busy = this.#slots.filter((s) => s.busy);
    this.#slots.length = 0;
    this.#slots.push(...busy);
  }

  #start(): Worker {
    // Loaded only now: node:worker_threads loaded while the sandbox's startup snapshot is built leaves
    // every worker of a process started from it broken (its process.cwd() throws as it starts).
    const { Worker: WorkerThread } = process.getBuiltinModule('node:worker_threads');
    const worker = new WorkerThread(WORKER, { eval: true });
    this.#started++;
    const fail = (why: string): void => {
      if (this.#worker === worker) this.#worker = null;
      for (const a of this.#answers.values()) a.reject(new Error(why));
      this.#answers.clear();
    };
    worker.on('message', (m: { id: number; hex?: string; error?: string }) => {
      const a = this.#answers.get(m.id);
      this.#answers.delete(m.id);
      if (m.error !== undefined) a?.reject(new Error(`the checkpoint's helper thread failed: ${m.error}`));
      else a?.resolve(m.hex ?? '');
      if (this.#answers.size === 0) this.#idleSoon(worker);
    });
    worker.on('error', (e) => fail(`the checkpoint's helper thread failed: ${e.message}`));
    worker.on('exit', () => fail('the checkpoint\'s helper thread ended'));
    // Its listeners hold the process open while it has work (#send refs it again); a kept thread, idle, does not.
    if (this.#kept) worker.unref();
    return worker;
  }

  #idleSoon(worker: Worker): void {
    if (this.#kept) {
      worker.unref();
      return;
    }
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#idle = null;
      if (this.#worker === worker && this.#answers.size === 0) {
        this.#worker = null;
        void worker.terminate();
      }
    }, IDLE_MS);
    this.#idle.unref();
  }

  #send(job: Record<string, unknown>): void {
    if (this.#idle !== null) {
      clearTimeout(this.#idle);
      this.#idle = null;
    }
    const worker = (this.#worker ??= this.#start());
    worker.ref();
    worker.postMessage(job);
  }

  #post(job: Record<string, unknown>): Promise<string> {
    const id = this.#nextId++;
    const answer = new Promise<string>((resolve, reject) => this.#answers.set(id, { resolve, reject }));
    this.#send({ ...job, id });
    return answer;
  }

  /**
   * Copies bytes into a free slot and has the thread hash them and write them as the file dir/<hex>
   * (unflushed; one there already is the same bytes): the promise of their hex. bytes may change once
   * this returns. Null when no slot is free (or bytes are bigger than a slot).
   */
  stage(bytes: Uint8Array, dir: string, slotSize: number): Promise<string> | null {
    if (bytes.length > slotSize) return null;
    let slot = this.#slots.find((s) => !s.busy && s.bytes.length === slotSize);
    if (slot === undefined) {
      if (this.#slots.length >= STAGE_SLOTS) return null;
      slot = { bytes: new Uint8Array(new SharedArrayBuffer(slotSize)), busy: false };
      this.#slots.push(slot);
    }
    slot.bytes.set(bytes);
    slot.busy = true;
    const s = slot;
    return this.#post({ op: 'stage', buffer: s.bytes.buffer, length: bytes.length, dir }).finally(() => {
      s.busy = false;
    });
  }

  /** A buffer of size zero bytes the thread can reach (a SharedArrayBuffer's), not yet faulted in. */
  allocate(size: number): Uint8Array {
    return new Uint8Array(new SharedArrayBuffer(size));
  }

  /**
   * Faults in every page of buf (one of allocate's), this thread and the helper each claiming chunks, this
   * one with a turn of the event loop after each (a pod left running gets its turn).
   */
  async faultIn(buf: Uint8Array): Promise<void> {
    if (!(buf.buffer instanceof SharedArrayBuffer)) throw new Error('kernel bug: faultIn of a buffer the helper thread cannot reach');
    const counter = new Int32Array(new SharedArrayBuffer(4));
    // A helper that fails leaves pages unfaulted, which costs the cut time, nothing else: not an error.
    const theirs = this.#post({ op: 'fault', buffer: buf.buffer, counter: counter.buffer, chunk: FAULT_CHUNK }).catch(() => '');
    for (;;) {
      const from = buf.byteOffset + Atomics.add(counter, 0, 1) * FAULT_CHUNK;
      if (from >= buf.byteOffset + buf.length) break;
      const to = Math.min(buf.byteOffset + buf.length, from + FAULT_CHUNK);
      for (let i = from - buf.byteOffset; i < to - buf.byteOffset; i += PAGE) buf[i] = 0;
      await nextTurn();
    }
    await theirs;
  }

  /**
   * Hashes parts (views of allocate's buffers) on two threads: the helper from the last backwards, the
   * caller from the first, each part claimed once. take(k) claims part k for the caller (null: hash it
   * yourself), or gives the helper's promise of its hex if the helper claimed it first. Parts must not
   * change until their promises settle. Null when a part is not in a buffer the helper can reach.
   */
  sha256Split(parts: readonly Uint8Array[]): HashSplit | null {
    if (parts.length < 2 || parts.some((p) => !(p.buffer instanceof SharedArrayBuffer))) return null;
    const claims = new Int32Array(new SharedArrayBuffer(4 * parts.length));
    const ids = parts.map(() => this.#nextId++);
    const answers = ids.map((id) => {
      const answer = new Promise<string>((resolve, reject) => this.#answers.set(id, { resolve, reject }));
      answer.catch(() => {}); // given to the writer by take(), which reports it; else never asked for
      return answer;
    });
    this.#send({ op: 'split', claims: claims.buffer, parts: parts.map((p, k) => ({ id: ids[k], buffer: p.buffer, offset: p.byteOffset, length: p.length })) });
    return {
      take: (k) => {
        if (Atomics.compareExchange(claims, k, 0, 2) === 0) {
          this.#answers.delete(ids[k] as number);
          if (this.#answers.size === 0 && this.#worker !== null) this.#idleSoon(this.#worker);
          return null;
        }
        return answers[k] as Promise<string>;
      },
    };
  }
}

/** Parts hashed by two threads (CutThread.sha256Split). */
export interface HashSplit {
  take(k: number): Promise<string> | null;
}
