// The last few long paths a process passed, kept with their bytes, like a tiny dcache keyed by the name as
// the user wrote it: SQLite names the same three or four files (tmp/bench.db-journal, tmp/bench.db.lock,
// ...) a dozen times a transaction, and checking strictly that such a path is UTF-8 (a fatal TextDecoder)
// costs ~250 ns where comparing its bytes with the last ones costs ~40.

/** How many paths are kept (replaced round-robin). */
const KEPT = 8;

export class RecentPaths {
  readonly #bytes: Uint8Array[] = [];
  readonly #paths: string[] = [];
  #next = 0;

  /** The path whose bytes are mem[ptr, ptr+len), if it is one of the kept ones; the caller checked the range. */
  find(mem: Uint8Array, ptr: number, len: number): string | undefined {
    const kept = this.#bytes;
    for (let e = 0; e < kept.length; e++) {
      const b = kept[e] as Uint8Array;
      if (b.length !== len) continue;
      let i = 0;
      while (i < len && b[i] === mem[ptr + i]) i++;
      if (i === len) return this.#paths[e];
    }
    return undefined;
  }

  /** Keeps path, decoded (and found valid) from mem[ptr, ptr+len). */
  add(mem: Uint8Array, ptr: number, len: number, path: string): void {
    const e = this.#next;
    this.#bytes[e] = mem.slice(ptr, ptr + len);
    this.#paths[e] = path;
    this.#next = (e + 1) % KEPT;
  }
}
