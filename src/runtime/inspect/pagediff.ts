// Page-by-page comparison of two byte ranges (a program's linear memory in two checkpoints, a file's
// sparse pages), counting pages the same, changed, only in B and only in A, as CRIU's page counts do.
// A page missing from a sparse file reads as zeros, as a hole does.
import { DIFF_PAGE_SIZE } from './imagediff.js';

export interface PageCounts {
  same: number;
  changed: number;
  added: number;
  removed: number;
}

/** Whether a[ao, ao+n) and b[bo, bo+n) hold the same bytes (words at a time where both are aligned). */
function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  const wa = a.byteOffset + ao;
  const wb = b.byteOffset + bo;
  if (wa % 4 === 0 && wb % 4 === 0 && n % 4 === 0) {
    const x = new Uint32Array(a.buffer, wa, n / 4);
    const y = new Uint32Array(b.buffer, wb, n / 4);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

const pagesOf = (bytes: number): number => Math.ceil(bytes / DIFF_PAGE_SIZE);

/** a and b compared page by page; a page past the shorter one's end is added or removed. */
export function comparePages(a: Uint8Array, b: Uint8Array): PageCounts {
  const out: PageCounts = { same: 0, changed: 0, added: 0, removed: 0 };
  const common = Math.min(a.length, b.length);
  for (let off = 0; off < common; off += DIFF_PAGE_SIZE) {
    const n = Math.min(DIFF_PAGE_SIZE, common - off);
    if (sameBytes(a, off, b, off, n) && (n === DIFF_PAGE_SIZE || a.length === b.length)) out.same++;
    else out.changed++;
  }
  out.added = Math.max(0, pagesOf(b.length) - pagesOf(a.length));
  out.removed = Math.max(0, pagesOf(a.length) - pagesOf(b.length));
  return out;
}

const ZERO = new Uint8Array(DIFF_PAGE_SIZE);

/** How many pages of two sparse files (present pages by index, holes zero) differ, up to the longer size. */
export function changedSparsePages(a: ReadonlyArray<readonly [number, Uint8Array]>, b: ReadonlyArray<readonly [number, Uint8Array]>): number {
  const pa = new Map(a);
  const pb = new Map(b);
  let changed = 0;
  for (const index of new Set([...pa.keys(), ...pb.keys()])) {
    const x = pa.get(index) ?? ZERO;
    const y = pb.get(index) ?? ZERO;
    if (x.length !== y.length || !sameBytes(x, 0, y, 0, x.length)) changed++;
  }
  return changed;
}
