// save → load → save of a whole pod, for tests (DESIGN.md §6: a type that forgets a field fails a test
// that round-trips a kernel). roundTrip() checks the second save gives the very bytes of the first and
// returns a loaded pod bound to the same host objects as the original, to go on using.
import { HostStreamInode, type HostStream } from '../../fsimpl/hostfd/hostfd.js';
import type { HostClock } from '../../kernel/host.js';
import { decodeGraph, encodeGraph, serialize, type Registry, type Resolver } from '../../state/index.js';
import { PodKernel } from '../pod.js';
import { podRegistry, podResolver } from '../registry.js';

export interface RoundTripOptions {
  /** podRegistry() by default. */
  registry?: Registry;
  /** Asked first for every key; keys it leaves unbound go to the original pod's own host objects. */
  externals?: Resolver;
}

export interface RoundTrip {
  /** The loaded pod, bound to the original's clock, random source and streams (or `externals`). */
  pod: PodKernel;
  /** The saved bytes (the first save). */
  bytes: Uint8Array;
}

/** The streams the pod's open descriptions are on, by role. */
function streamsOf(pod: PodKernel): Map<string, HostStream> {
  const out = new Map<string, HostStream>();
  const procs = new Set([...pod.kernel.processes.values(), ...[...pod.containers.values()].map((c) => c.proc)]);
  for (const p of procs) {
    for (const [, e] of p.fds.entries()) {
      const inode = e.file.inode;
      if (inode instanceof HostStreamInode) out.set(inode.role, inode.stream);
    }
  }
  return out;
}

/** A clock whose monotonic time stands still (realtime runs on): a second save then reads what was saved. */
function stillClock(c: HostClock): HostClock {
  const at = c.monotonicNs();
  return {
    realtimeNs: () => c.realtimeNs(),
    monotonicNs: () => at,
    cputimeNs: () => c.cputimeNs(),
    sleepNs: (ns) => c.sleepNs(ns),
  };
}

/** The offset and a few bytes around the first difference of a and b, or null when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): string | null {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  if (i === n && a.length === b.length) return null;
  const hex = (x: Uint8Array) => [...x.subarray(Math.max(0, i - 8), i + 8)].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `at byte ${i} of ${a.length} / ${b.length}: ${hex(a)} vs ${hex(b)}`;
}

/**
 * Saves pod, loads it, saves the loaded pod again and throws unless both saves are the same bytes.
 * Guest monotonic time is saved with the kernel, so the check runs on a load whose clock stands still;
 * the pod returned is a second load, on the original's host objects, free to run on.
 */
export function roundTrip(pod: PodKernel, opts: RoundTripOptions = {}): RoundTrip {
  const registry = opts.registry ?? podRegistry();
  const streams = streamsOf(pod);
  const own = podResolver({ clock: pod.kernel.clock, random: pod.kernel.random, stream: (role) => streams.get(role) });
  const externals: Resolver = (key) => opts.externals?.(key) ?? own(key);
  const still: Resolver = (key) => {
    const bound = externals(key);
    return key.kind === 'clock' && bound !== undefined ? stillClock(bound as HostClock) : bound;
  };
  const bytes = serialize(encodeGraph(registry, pod));
  const again = serialize(encodeGraph(registry, decodeGraph(registry, bytes, { externals: still, root: PodKernel })));
  const diff = firstDifference(bytes, again);
  if (diff !== null) throw new Error(`save → load → save changed the pod's bytes ${diff}`);
  return { pod: decodeGraph(registry, bytes, { externals, root: PodKernel }), bytes };
}
