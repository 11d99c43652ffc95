// A small process that starts the commands a benchmark times, like a shell would. Node's spawnSync forks
// the calling process, and a fork copies its page tables: from a benchmark holding 512 MiB of baseline
// buffers a fork costs ~25 ms (1.6 ms from a fresh node), which no user running `amber` from a shell pays.
// The benchmark talks to it through two FIFOs with blocking reads and writes, so its calls stay synchronous.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a command did: its time from spawn to exit (taken in the launcher), status and output. */
export interface Launched {
  ms: number;
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/** The launcher's code: one JSON request a line on the first FIFO, one JSON answer a line on the second. */
const CODE = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const input = fs.openSync(process.argv[1], 'r');
const output = fs.openSync(process.argv[2], 'w');
const chunk = Buffer.alloc(1 << 16);
let pending = '';
for (;;) {
  const n = fs.readSync(input, chunk, 0, chunk.length, null);
  if (n === 0) break;
  pending += chunk.toString('utf8', 0, n);
  for (let nl = pending.indexOf('\\n'); nl >= 0; nl = pending.indexOf('\\n')) {
    const req = JSON.parse(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    const t0 = performance.now();
    const r = spawnSync(req.command, req.args, { encoding: 'utf8', env: req.env, maxBuffer: 64 << 20 });
    const ms = performance.now() - t0;
    const answer = { ms, status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    if (r.error) answer.error = r.error.message;
    const bytes = Buffer.from(JSON.stringify(answer) + '\\n');
    for (let at = 0; at < bytes.length;) at += fs.writeSync(output, bytes, at);
  }
}
`;

export class Launcher {
  readonly #dir: string;
  readonly #in: number;
  readonly #out: number;
  readonly #pid: number | undefined;
  #pending = '';

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'amber-bench-launcher-'));
    const input = join(this.#dir, 'in');
    const output = join(this.#dir, 'out');
    for (const fifo of [input, output]) {
      const r = spawnSync('mkfifo', [fifo]);
      if (r.status !== 0) throw new Error(`bench launcher: mkfifo ${fifo} failed: ${r.stderr.toString().trim() || r.error?.message}`);
    }
    const child = spawn(process.execPath, ['-e', CODE, input, output], { stdio: 'ignore' });
    child.unref();
    this.#pid = child.pid;
    // Each open blocks until the other side opens its end: the launcher opens them in this order too.
    this.#in = openSync(input, 'w');
    this.#out = openSync(output, 'r');
  }

  /** Runs command with args and env to its exit, from the launcher. */
  run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Launched {
    this.start(command, args, env);
    return this.finish();
  }

  /** Has the launcher start command (spawn to exit timed there); finish() waits for it. One at a time. */
  start(command: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
    const request = Buffer.from(`${JSON.stringify({ command, args, env })}\n`);
    for (let at = 0; at < request.length;) at += writeSync(this.#in, request, at);
  }

  /** Waits for the command start() began to exit: what it did. */
  finish(): Launched {
    const chunk = Buffer.alloc(1 << 16);
    for (;;) {
      const nl = this.#pending.indexOf('\n');
      if (nl >= 0) {
        const line = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        return JSON.parse(line) as Launched;
      }
      const n = readSync(this.#out, chunk, 0, chunk.length, null);
      if (n === 0) throw new Error('bench launcher: it ended');
      this.#pending += chunk.toString('utf8', 0, n);
    }
  }

  /** Ends the launcher (its input closed, it exits) and removes its FIFOs. */
  close(): void {
    closeSync(this.#in);
    closeSync(this.#out);
    rmSync(this.#dir, { recursive: true, force: true });
    if (this.#pid !== undefined) {
      try {
        process.kill(this.#pid);
      } catch {
        // gone already
      }
    }
  }
}
