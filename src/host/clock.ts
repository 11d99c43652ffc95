// The kernel's clocks and randomness on Node: realtime anchored once to Date.now() and advanced by
// process.hrtime, so it has nanosecond steps and never jumps with NTP inside one process; sleeping
// blocks this thread with Atomics.wait.
import { createRequire } from 'node:module';
import type { HostClock, HostRandom } from '../kernel/host.js';

/** Loads node:crypto when randomness is first asked for: its ~20 modules cost `amber do` 4 ms at start. */
const nodeRequire = createRequire(import.meta.url);

export class NodeClock implements HostClock {
  readonly #epochOffset: bigint;
  readonly #sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor() {
    this.#epochOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  }

  realtimeNs(): bigint {
    return process.hrtime.bigint() + this.#epochOffset;
  }

  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }

  cputimeNs(): bigint {
    const u = process.cpuUsage();
    return BigInt(u.user + u.system) * 1000n;
  }

  sleepNs(ns: bigint): void {
    if (ns <= 0n) return;
    Atomics.wait(this.#sleeper, 0, 0, Number(ns) / 1e6);
  }
}

export class NodeRandom implements HostRandom {
  #fill: ((buf: Uint8Array) => void) | null = null;

  fill(buf: Uint8Array): void {
    this.#fill ??= (nodeRequire('node:crypto') as typeof import('node:crypto')).randomFillSync;
    this.#fill(buf);
  }
}
