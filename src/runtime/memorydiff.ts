// Which 4 KiB pages of a memory part changed since the last cut, found by comparing bytes (memcmp where
// the host gives one), never by hashing: like CRIU's incremental dump, which writes the pages the kernel's
// soft-dirty bits name, but without them (not a guest's linear memory's, nor every kernel's). The whole
// part first (most are unchanged), then 64 KiB blocks, then pages. A module that tracks its writes keeps
// such bits itself (wasi/transformed.ts: its write map): markedPages compares only the pages it marks.

/** The granularity of a patch: a wasm page is 16 of these, a host page one. */
export const PAGE = 4096;
/** Compared at once before its pages are: a part that changed in one place costs a few compares. */
const BLOCK = 64 << 10;

/** Whether two byte ranges of the same length hold the same bytes. */
export type Same = (a: Uint8Array, b: Uint8Array) => boolean;

/** Whether two ranges hold the same bytes, in words where both are 4-aligned; the host may give a memcmp. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const aligned = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0;
  const n = aligned ? a.length >> 2 : 0;
  if (n > 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, n);
    const wb = new Int32Array(b.buffer, b.byteOffset, n);
    for (let i = 0; i < n; i++) if (wa[i] !== wb[i]) return false;
  }
  for (let i = n * 4; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Compares part (memory from byte `from`, a multiple of PAGE) with what the last cut kept of it: base,
 * and over it the pages in patched (by page index: their bytes then). Each page that differs is copied
 * into patched (a page patched already is overwritten in place); returns how many differ. `already` is
 * how many of the part's pages are in patched; once that and the ones added pass limit, returns -1 at
 * once (the caller writes the part whole and drops its pages: some of them may be updated, not all).
 */
export function changedPages(part: Uint8Array, from: number, base: Uint8Array, patched: Map<number, Uint8Array>, already: number, limit: number, same: Same): number {
  if (already === 0 && same(part, base)) return 0;
  const first = from / PAGE;
  let changed = 0;
  let total = already;
  for (let block = 0; block < part.length; block += BLOCK) {
    const end = Math.min(part.length, block + BLOCK);
    if (!hasPatched(patched, first + block / PAGE, first + end / PAGE) && same(part.subarray(block, end), base.subarray(block, end))) continue;
    for (let at = block; at < end; at += PAGE) {
      const n = notePage(part, at, first + at / PAGE, base, patched, same);
      if (n === SAME) continue;
      changed++;
      if (n === ADDED && ++total > limit) return -1;
    }
  }
  return changed;
}

const SAME = 0;
const UPDATED = 1;
const ADDED = 2;

/**
 * One page of part (at byte `at` of it; `page`, its index in the memory) against what the last cut kept of
 * it: its bytes in patched, else base's. A page that differs is copied into patched (in place when it is
 * there already). SAME, UPDATED (it was patched already) or ADDED (patched now). A caller past its limit
 * drops the part's pages from patched, so a page added just before it gives up does no harm.
 */
function notePage(part: Uint8Array, at: number, page: number, base: Uint8Array, patched: Map<number, Uint8Array>, same: Same): typeof SAME | typeof UPDATED | typeof ADDED {
  const now = part.subarray(at, at + PAGE);
  const had = patched.get(page);
  if (same(now, had ?? base.subarray(at, at + PAGE))) return SAME;
  if (had !== undefined) {
    had.set(now);
    return UPDATED;
  }
  patched.set(page, now.slice());
  return ADDED;
}

function hasPatched(patched: ReadonlyMap<number, Uint8Array>, from: number, to: number): boolean {
  if (patched.size === 0) return false;
  for (let page = from; page < to; page++) if (patched.has(page)) return true;
  return false;
}

/**
 * changedPages for a part of a tracked program's memory (wasi/transformed.ts), given the write map's
 * bytes as they were at the cut (marks: byte i for the guest's page i, real bytes base + i*PAGE on) since
 * the kept cut of this same instance's memory: only marked pages can differ, so only they are compared.
 * Real pages below base are the map itself, kept all zeros in every cut (memorycut.ts): never compared.
 * The same result as changedPages for the same inputs when the map is sound.
 */
export function markedPages(part: Uint8Array, from: number, base: Uint8Array, patched: Map<number, Uint8Array>, already: number, limit: number, same: Same, marks: Uint8Array, mapBytes: number): number {
  const first = from / PAGE;
  const skip = mapBytes / PAGE;
  let changed = 0;
  let total = already;
  for (let at = 0; at < part.length; at += PAGE) {
    const page = first + at / PAGE;
    if (page < skip || marks[page - skip] === 0) continue;
    const n = notePage(part, at, page, base, patched, same);
    if (n === SAME) continue;
    changed++;
    if (n === ADDED && ++total > limit) return -1;
  }
  return changed;
}

/** Whether any of marks[from, to) is set (a part's pages in a write map). */
export function anyMarked(marks: Uint8Array, from: number, to: number): boolean {
  for (let i = Math.max(0, from); i < to; i++) if (marks[i] !== 0) return true;
  return false;
}

/**
 * The debug check of a write map (a test turns it on): every page of part that differs from what the
 * kept cut holds for it (its patched bytes, else base) is marked; the map's own pages are equal. Throws
 * naming the first page that is not.
 */
export function checkMarks(part: Uint8Array, from: number, base: Uint8Array, patched: ReadonlyMap<number, Uint8Array>, same: Same, marks: Uint8Array, mapBytes: number): void {
  const first = from / PAGE;
  const skip = mapBytes / PAGE;
  for (let at = 0; at < part.length; at += PAGE) {
    const page = first + at / PAGE;
    if (page >= skip && marks[page - skip] !== 0) continue;
    const now = part.subarray(at, at + PAGE);
    if (same(now, patched.get(page) ?? base.subarray(at, at + PAGE))) continue;
    const where = page < skip ? `page ${page} of the write map itself` : `the guest's page ${page - skip}`;
    throw new Error(`kernel bug: ${where} changed since the last cut, and the write map does not say so`);
  }
}
