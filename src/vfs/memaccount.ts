// MemoryAccount: a memory cgroup's charge, reduced to what a pod holds: the linear memory of its
// programs (the scheduler's to report) and the pages of the tmpfs mounts it owns, against a limit. A
// container's account has the pod's as parent, as a container's cgroup sits under its pod's; a charge
// must fit every limit on the way up, or it fails with ENOMEM (as a tmpfs write charged to a memcg at
// its limit does). Not saved: a restore makes the accounts again from the spec.
import { ENOMEM } from '../abi/errno.js';
import { KernelError } from '../base/error.js';

export class MemoryAccount {
  readonly limit: number;
  readonly parent: MemoryAccount | null;
  /** Bytes of linear memory its programs hold now; set by what runs them. */
  linear: () => number = () => 0;
  readonly #children: MemoryAccount[] = [];
  #tmpfs = 0;
  readonly #reclaimers = new Set<() => void>();

  constructor(limit: number, parent: MemoryAccount | null = null) {
    this.limit = limit;
    this.parent = parent;
    if (parent !== null) parent.#children.push(this);
  }

  /** Linear memory and tmpfs pages charged here and to every account below. */
  used(): number {
    return this.linear() + this.#tmpfs + this.#children.reduce((n, c) => n + c.used(), 0);
  }

  /** bytes more of tmpfs pages; ENOMEM past this limit or one above it. */
  charge(bytes: number): void {
    if (bytes <= 0) return;
    for (let a: MemoryAccount | null = this; a !== null; a = a.parent) if (a.limit !== Infinity && a.used() + bytes > a.limit) throw new KernelError(ENOMEM);
    this.#tmpfs += bytes;
  }

  /** Pages freed; or counted without a limit (a load). */
  uncharge(bytes: number): void {
    this.#tmpfs -= bytes;
  }

  /**
   * Registers what gives back, when asked, memory charged here that nothing uses (a tmpfs's spare pages, as
   * memcg reclaim frees clean pages before a charge fails or the OOM killer chooses); returns its removal.
   */
  reclaimable(free: () => void): () => void {
    this.#reclaimers.add(free);
    return () => this.#reclaimers.delete(free);
  }

  /** Gives back all that can be, in the whole tree of accounts this one is in. */
  reclaim(): void {
    let top: MemoryAccount = this;
    while (top.parent !== null) top = top.parent;
    top.#reclaimTree();
  }

  #reclaimTree(): void {
    for (const free of this.#reclaimers) free();
    for (const c of this.#children) c.#reclaimTree();
  }
}
