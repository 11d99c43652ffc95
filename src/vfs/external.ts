// What filesystems take from outside the pod, the realtime clock and the entropy source, and the external
// keys a checkpoint saves them by (state/ README, "Things outside the pod"). A filesystem's `now` or
// `fill` is a function of the host's; it is saved as the key alone, and a restore binds the key to the
// new host's clock or random source (the same objects the Kernel's own clock and random are bound to).
import type { ExternalKey } from '../state/index.js';

/** The host's clock (kernel/host.ts HostClock), whoever reads it: filesystems, the kernel. */
export const CLOCK_KEY: ExternalKey = Object.freeze({ kind: 'clock' });
/** The host's entropy source (kernel/host.ts HostRandom): /dev/random, /dev/urandom, random_get. */
export const RANDOM_KEY: ExternalKey = Object.freeze({ kind: 'random' });

/** What a filesystem needs of the clock CLOCK_KEY is bound to. */
export interface RealtimeClock {
  /** Nanoseconds since the Unix epoch. */
  realtimeNs(): bigint;
}

/** What a filesystem needs of the random source RANDOM_KEY is bound to. */
export interface RandomSource {
  fill(buf: Uint8Array): void;
}

function must(bound: unknown, method: string, key: ExternalKey): void {
  if (typeof bound !== 'object' || bound === null || typeof (bound as Record<string, unknown>)[method] !== 'function') {
    throw new Error(`the external ${JSON.stringify(key)} must be bound to an object with ${method}()`);
  }
}

/** A filesystem's `now` on a restored clock. */
export function nowOf(clock: RealtimeClock): () => bigint {
  must(clock, 'realtimeNs', CLOCK_KEY);
  return () => clock.realtimeNs();
}

/** A filesystem's `fill` on a restored random source. */
export function fillOf(random: RandomSource): (buf: Uint8Array) => void {
  must(random, 'fill', RANDOM_KEY);
  return (buf) => random.fill(buf);
}
