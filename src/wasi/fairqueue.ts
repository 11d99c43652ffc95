// Who runs next among a pod's runnable processes, in the spirit of Linux's CFS (kernel/sched/fair.c):
// each process accrues virtual runtime as the CPU milliseconds it ran, the one with the least runs next, for
// a slice of time that shrinks as more compete; one waking from a sleep is placed a little behind the
// least (place_entity's sleeper credit), so a ticker runs soon after its timer fires however busy its
// neighbours are, and one that sleeps often cannot bank time to hog the thread later.

/** What the queue keeps on each process. */
export interface FairEntity {
  /** Milliseconds of guest time it ran, shifted as it sleeps and wakes; only differences matter. */
  vruntime: number;
}

/** The period in which every runnable process should run once (sched_latency). */
export const LATENCY_MS = 20;
/** The shortest slice, however many compete (sched_min_granularity). */
export const MIN_SLICE_MS = 2;
/** The longest slice: the host's event loop (control requests) waits no longer for a running guest. */
export const MAX_SLICE_MS = 10;
/**
 * The least a running process keeps the thread once a sleeper's time has come (sched_wakeup_granularity):
 * a short burst of calls (a tick's open, write and close) is not cut in the middle for another's wake-up.
 */
export const WAKEUP_GRANULARITY_MS = 1;
/** How far behind the least vruntime a waking process is placed (GENTLE_FAIR_SLEEPERS: half the period). */
const SLEEPER_CREDIT_MS = LATENCY_MS / 2;

export class FairQueue {
  /** Never decreases: the least vruntime of the runnable processes, as of the last slice. */
  #min = 0;

  get minVruntime(): number {
    return this.#min;
  }

  /** A new process starts level with the least (it gets no credit for time it never waited). */
  placeNew(e: FairEntity): void {
    e.vruntime = this.#min;
  }

  /** A process that was blocked is runnable again. */
  placeWoken(e: FairEntity): void {
    e.vruntime = Math.max(e.vruntime, this.#min - SLEEPER_CREDIT_MS);
  }

  /** The runnable process with the least vruntime (the first of equals, so ties go round in order). */
  pick<T extends FairEntity>(runnable: readonly T[]): T | undefined {
    let best: T | undefined;
    for (const e of runnable) if (best === undefined || e.vruntime < best.vruntime) best = e;
    return best;
  }

  /** How long the next slice may run with n processes runnable. */
  sliceMs(n: number): number {
    return Math.min(MAX_SLICE_MS, Math.max(MIN_SLICE_MS, LATENCY_MS / Math.max(1, n)));
  }

  /** e ran ms; runnable are the processes runnable now (e among them if it still is). */
  charge(e: FairEntity, ms: number, runnable: readonly FairEntity[]): void {
    e.vruntime += Math.max(0, ms);
    let least = Infinity;
    for (const r of runnable) least = Math.min(least, r.vruntime);
    if (Number.isFinite(least)) this.#min = Math.max(this.#min, least);
  }
}
