// What the kernel needs from its host (clocks, randomness), like the few host calls gVisor's Sentry
// makes through its platform. host/ implements these with Node; a test or a browser can implement them
// in memory.

export interface HostClock {
  /** Nanoseconds since the Unix epoch. */
  realtimeNs(): bigint;
  /** Nanoseconds from an arbitrary fixed point; never goes backwards. */
  monotonicNs(): bigint;
  /** CPU time this host process has used, in nanoseconds. */
  cputimeNs(): bigint;
  /** Blocks the calling thread for ns nanoseconds (only while no other guest could run). */
  sleepNs(ns: bigint): void;
}

export interface HostRandom {
  /** Fills buf with cryptographically strong random bytes. */
  fill(buf: Uint8Array): void;
}
