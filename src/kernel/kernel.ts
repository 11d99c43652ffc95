// Kernel: one instance per pod, like gVisor's kernel.Kernel: it owns the VFS, the processes, the
// clocks and every counter (pids, anonymous device numbers). Nothing kernel-wide lives outside it, so
// a checkpoint that saves the Kernel saves everything.
import { makeDev } from '../abi/stat.js';
import { VirtualFilesystem } from '../vfs/vfs.js';
import type { HostClock, HostRandom } from './host.js';
import type { Process } from './process.js';

export interface KernelOptions {
  clock: HostClock;
  random: HostRandom;
}

export class Kernel {
  readonly vfs = new VirtualFilesystem();
  readonly clock: HostClock;
  readonly random: HostRandom;
  readonly processes = new Map<number, Process>();
  /** Added to the host's monotonic clock, so guest monotonic time continues across a restore. */
  monotonicOffsetNs = 0n;
  #nextPid = 1;
  #nextAnonMinor = 1;

  constructor(opts: KernelOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
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

  /** The realtime clock as a function, for filesystems' timestamps. */
  readonly now = (): bigint => this.clock.realtimeNs();
}
