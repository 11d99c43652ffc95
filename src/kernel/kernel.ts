// Kernel: one instance per pod, like gVisor's kernel.Kernel: it owns the VFS, the processes, the
// clocks and every counter (pids, anonymous device numbers). Nothing kernel-wide lives outside it, so
// a checkpoint that saves the Kernel saves everything.
import { makeDev } from '../abi/stat.js';
import { bigInt, external, int, map, ref, savable } from '../state/index.js';
import { CLOCK_KEY, RANDOM_KEY } from '../vfs/external.js';
import { VirtualFilesystem } from '../vfs/vfs.js';
import { OpenFiles } from './fdtable.js';
import type { HostClock, HostRandom } from './host.js';
import type { Process } from './process.js';

export interface KernelOptions {
  clock: HostClock;
  random: HostRandom;
  /** The VFS to adopt (a load); a new one by default. */
  vfs?: VirtualFilesystem;
}

export class Kernel {
  readonly vfs: VirtualFilesystem;
  readonly clock: HostClock;
  readonly random: HostRandom;
  readonly processes = new Map<number, Process>();
  /** Every process's descriptors, bounded by the host (not saved: max is the host's). */
  readonly files = new OpenFiles();
  /** Added to the host's monotonic clock, so guest monotonic time continues across a restore. */
  monotonicOffsetNs = 0n;
  #nextPid = 1;
  #nextAnonMinor = 1;

  constructor(opts: KernelOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.vfs = opts.vfs ?? new VirtualFilesystem();
  }

  /** A device number for a filesystem with no device (major 0, like Linux's get_anon_bdev). */
  allocDev(): number {
    return makeDev(0, this.#nextAnonMinor++);
  }

  allocPid(): number {
    return this.#nextPid++;
  }

  realtimeNs(): bigint {
    return this.clock.realtimeNs();
  }

  monotonicNs(): bigint {
    return this.clock.monotonicNs() + this.monotonicOffsetNs;
  }

  /**
   * Makes guest monotonic time read savedNs now and continue from there, on whatever host clock this
   * kernel has (a restore: the host's monotonic clock has another origin in another process).
   */
  resumeMonotonic(savedNs: bigint): void {
    this.monotonicOffsetNs = savedNs - this.clock.monotonicNs();
  }

  /** The realtime clock as a function, for filesystems' timestamps. */
  readonly now = (): bigint => this.clock.realtimeNs();

  /**
   * The kernel: its VFS, its processes by pid (in the order they were made), its counters, and guest
   * monotonic time at the save, which a load resumes from (resumeMonotonic). The host clock and random
   * source are bound anew by key (CLOCK_KEY, RANDOM_KEY). Realtime is the host's, never saved.
   */
  static readonly saved = savable(Kernel, {
    name: 'kernel.Kernel',
    version: 1,
    fields: {
      clock: external<HostClock>(),
      random: external<HostRandom>(),
      vfs: ref(VirtualFilesystem),
      processes: map(int, ref<Process>()),
      nextPid: int,
      nextAnonMinor: int,
      monotonicNs: bigInt,
    },
    save: (k) => ({
      clock: CLOCK_KEY,
      random: RANDOM_KEY,
      vfs: k.vfs,
      processes: k.processes,
      nextPid: k.#nextPid,
      nextAnonMinor: k.#nextAnonMinor,
      monotonicNs: k.monotonicNs(),
    }),
    create: (v, r) => {
      if (typeof v.clock.monotonicNs !== 'function') throw new Error('the external {"kind":"clock"} is bound to something that is not a HostClock');
      if (typeof v.random.fill !== 'function') throw new Error('the external {"kind":"random"} is bound to something that is not a HostRandom');
      const k = new Kernel({ clock: v.clock, random: v.random, vfs: r.ref(v.vfs) });
      k.#nextPid = v.nextPid;
      k.#nextAnonMinor = v.nextAnonMinor;
      k.resumeMonotonic(v.monotonicNs);
      return k;
    },
    fill: (k, v) => {
      for (const [pid, p] of v.processes) k.processes.set(pid, p);
    },
  });
}
