// SparseBytes: the contents of a regular file kept as fixed-size pages, absent pages reading as zeros,
// like a tmpfs file's page cache (mm/shmem.c). Holes cost nothing; a checkpoint can later walk pages.
// Pages come from a PageSource (the page allocator: a tmpfs keeps freed pages for its next files).

export const PAGE_SIZE = 4096;

/** Where a file's pages come from and go back to, as the page allocator is to shmem. */
export interface PageSource {
  /** A page of zeros, now the file's own. */
  take(): Uint8Array;
  /** A page the file no longer holds (it may be handed out again, zeroed). */
  give(page: Uint8Array): void;
}

/** Each page a fresh buffer, dropped when freed. */
const FRESH_PAGES: PageSource = Object.freeze({ take: () => new Uint8Array(PAGE_SIZE), give: () => {} });

export class SparseBytes {
  #pages = new Map<number, Uint8Array>();
  #size = 0;
  #source: PageSource;

  constructor(source: PageSource = FRESH_PAGES) {
    this.#source = source;
  }

  /** Takes its pages from source from now on, and gives them back there (a loaded file joining its filesystem). */
  drawFrom(source: PageSource): void {
    this.#source = source;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes actually held, in pages (st_blocks counts 512-byte units of this). */
  get allocatedBytes(): number {
    return this.#pages.size * PAGE_SIZE;
  }

  /** The bytes of the pages a write of len bytes at offset would add (those absent now). */
  newPageBytes(offset: number, len: number): number {
    if (len <= 0) return 0;
    let n = 0;
    const last = Math.floor((offset + len - 1) / PAGE_SIZE);
    for (let i = Math.floor(offset / PAGE_SIZE); i <= last; i++) if (!this.#pages.has(i)) n++;
    return n * PAGE_SIZE;
  }

  /** Copies up to dst.length bytes from offset into dst; returns how many (0 at or past the end). */
  read(dst: Uint8Array, offset: number): number {
    if (offset >= this.#size) return 0;
    const n = Math.min(dst.length, this.#size - offset);
    let done = 0;
    while (done < n) {
      const pos = offset + done;
      const index = Math.floor(pos / PAGE_SIZE);
      const inPage = pos - index * PAGE_SIZE;
      const len = Math.min(PAGE_SIZE - inPage, n - done);
      const page = this.#pages.get(index);
      if (page === undefined) dst.fill(0, done, done + len);
      else dst.set(page.subarray(inPage, inPage + len), done);
      done += len;
    }
    return n;
  }

  /** Writes all of src at offset, growing the size if it ends past it. */
  write(src: Uint8Array, offset: number): number {
    const first = Math.floor(offset / PAGE_SIZE);
    const start = offset - first * PAGE_SIZE;
    if (src.length !== 0 && start + src.length <= PAGE_SIZE) {
      // Inside one page, the common small write: no subarray, no loop.
      this.#page(first).set(src, start);
      if (offset + src.length > this.#size) this.#size = offset + src.length;
      return src.length;
    }
    let done = 0;
    while (done < src.length) {
      const pos = offset + done;
      const index = Math.floor(pos / PAGE_SIZE);
      const inPage = pos - index * PAGE_SIZE;
      const len = Math.min(PAGE_SIZE - inPage, src.length - done);
      this.#page(index).set(src.subarray(done, done + len), inPage);
      done += len;
    }
    if (offset + src.length > this.#size) this.#size = offset + src.length;
    return src.length;
  }

  /** The page at index, made (zeros) if absent. */
  #page(index: number): Uint8Array {
    let page = this.#pages.get(index);
    if (page === undefined) {
      page = this.#source.take();
      this.#pages.set(index, page);
    }
    return page;
  }

  /** Sets the size; bytes past a shrunk end are dropped, so growing again reads zeros. */
  truncate(size: number): void {
    if (size < this.#size) {
      const keep = Math.ceil(size / PAGE_SIZE);
      for (const [index, page] of this.#pages) {
        if (index < keep) continue;
        this.#pages.delete(index);
        this.#source.give(page);
      }
      const tail = this.#pages.get(Math.floor(size / PAGE_SIZE));
      if (tail !== undefined) tail.fill(0, size % PAGE_SIZE);
    }
    this.#size = size;
  }

  /** The pages present, in index order (for checkpointing and tests). */
  *pages(): IterableIterator<[number, Uint8Array]> {
    const indexes = [...this.#pages.keys()].sort((a, b) => a - b);
    for (const i of indexes) yield [i, this.#pages.get(i) as Uint8Array];
  }
}
