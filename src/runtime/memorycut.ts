// A program's linear memory in a checkpoint, like CRIU's page dumps (pages-*.img, and its pre-dump and
// incremental dumps that keep the previous pages and write only what changed): base parts of MEMORY_PART
// bytes, copied into a snapshot when the pod is left running, and, over them, one patch layer of the
// 4 KiB pages that changed since those parts were written (image/patch.ts). What a cut keeps for the next
// (KeptMemory: the base as stored, each part's SHA-256, the pages patched over it) lets the next cut find
// what changed by comparing bytes, not hashing them, link the base from the last image, and write only
// the patch (memorydiff.ts compares). A program whose module tracks its writes (wasi/transformed.ts,
// CRIU's --track-mem with soft-dirty bits) says which pages it wrote: its map, read and cleared at every
// cut, spares the compare of every page it does not mark (memorydiff.ts markedPages). A tracked program of
// a pod left running is pre-copied instead (precopy.ts: no snapshot, no kept base); this path is for the
// others, and for one whose pre-copy could not be used (its memory grew during it).
import type { Payload, StagedPayload } from '../image/payload.js';
import { nextTurn } from '../base/turn.js';
import { encodePatch, type PatchRun } from '../image/patch.js';
import { knownZeroHex } from '../image/zerodigest.js';
import type { Task } from '../wasi/scheduler.js';
import { TRACK_PAGE } from '../wasi/transformed.js';
import { anyMarked, changedPages, checkMarks, markedPages, PAGE, sameBytes, type Same } from './memorydiff.js';

export { sameBytes } from './memorydiff.js';

/** Bytes per base part: few enough parts that linking a 256 MiB memory's from the last image costs
 *  little (64 links); the pages that change are written as a patch, not the parts they fall in. */
export const MEMORY_PART = 4 << 20;
/** A part whose patched pages pass this share of it is written whole again (compacted), its pages
 *  dropped from the patch: so a patch stays smaller than a quarter of the memory. */
const COMPACT_SHARE = 1 / 4;
/** The SHA-256 of MEMORY_PART zero bytes (the restore knows it too: image/zerodigest.ts; memorycut.test checks it). */
export const ZERO_PART_HEX = knownZeroHex(MEMORY_PART);

/** A base part as the last image stored it. */
export interface KeptPart {
  /** The SHA-256 hex of its bytes. */
  readonly hex: string;
  /** All zeros (the shared zero array; its bytes are not in the base). */
  readonly zero: boolean;
}

/**
 * What a cut keeps of one program's memory for the next cut. The owner (the sandbox) hands it to the next
 * cut, which updates base and patched in place (a failed checkpoint drops it: the next starts afresh).
 */
export interface KeptMemory {
  /** The base parts' bytes as stored (zero parts and unknown ones excepted): the snapshot buffer. */
  readonly base: Uint8Array;
  /** Each base part by index; null where unknown (its bytes are compared with nothing). */
  readonly parts: readonly (KeptPart | null)[];
  /** The pages, by index, whose bytes at the last cut differed from the base's: those bytes (PAGE each). */
  readonly patched: Map<number, Uint8Array>;
  /** The memory (the WebAssembly.Memory of one instance) the cut was of: a write map tells what changed
   *  since a cut of its own instance's memory only (a restarted program's data segments are unmarked). */
  readonly source?: object | undefined;
}

/**
 * A tracked program's write map (wasi/transformed.ts): memory's real bytes [0, base), byte i non-zero when
 * the guest's page i (real bytes base + i*TRACK_PAGE on) may have been written since it was cleared. Every
 * cut clears it (while the pod is paused, so it then says "since this cut"), and saves it all zeros.
 */
export interface WriteMap {
  /** B, the map's size: the module's TRACK_BASE_EXPORT. */
  readonly base: number;
  /** The memory object the bytes are of (KeptMemory.source). */
  readonly source: object;
  /** Whether the map may stand in for comparing (the cut's parent is the kept cut's image). */
  readonly use: boolean;
  /** A debug check (tests): compare the pages the map does not mark too, and throw for one that changed. */
  readonly check?: boolean;
}

/** A snapshot buffer is faulted in by touching one byte in every page of this size (or smaller). */
const PAGE_STRIDE = 4096;
/** Bytes of snapshot faulted in per turn of the event loop (~5-10 ms). */
const PREPARE_SLICE = 8 << 20;

/** Where snapshot buffers come from when the host has a helper thread (host/cutthread.ts): buffers it
 *  can reach, faulted in by it and this thread together. */
export interface SnapshotHelper {
  allocate(size: number): Uint8Array;
  faultIn(buf: Uint8Array): Promise<void>;
}

/**
 * Buffers for a checkpoint that leaves the pod running, made while the pod still runs: one per program
 * with memory to save, the size of its memory now, every page faulted in, in slices with a turn of the
 * event loop between them (the pod runs in between), by the helper too where there is one. The cut then
 * copies memory into pages that are there, several times faster than into fresh ones (256 MiB here:
 * ~40 ms against ~200 ms), and that copy is most of the time the pod is paused. A kept base of the right
 * size is used again as it is.
 */
export async function prepareSnapshots(tasks: ReadonlyMap<string, Task>, kept: ReadonlyMap<string, KeptMemory> = new Map(), helper?: SnapshotHelper): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const [name, t] of tasks) {
    if (t.state === 'exited' || t.end !== null || t.fiber.status === 'ready') continue;
    const size = t.fiber.memory.buffer.byteLength;
    const old = kept.get(name)?.base;
    if (old?.length === size) {
      out.set(name, old);
      continue;
    }
    if (helper !== undefined) {
      const buf = helper.allocate(size);
      await helper.faultIn(buf);
      out.set(name, buf);
      continue;
    }
    const buf = new Uint8Array(size);
    for (let from = 0; from < size; from += PREPARE_SLICE) {
      const to = Math.min(size, from + PREPARE_SLICE);
      for (let i = from; i < to; i += PAGE_STRIDE) buf[i] = 0;
      await nextTurn();
    }
    out.set(name, buf);
  }
  return out;
}

export interface MemoryPartsOptions {
  /** Copy memory into snapshot (the pod runs again before the image is written); else views of live memory. */
  copy: boolean;
  /** Where to copy it (prepareSnapshots'); one that does not fit is replaced by a fresh buffer. */
  snapshot?: Uint8Array | undefined;
  /** The last cut's, to compare with; used when its base is the snapshot (or, without copy, of the
   *  memory's size), and updated in place: its parts then link, and changed pages go to a patch. */
  kept?: KeptMemory | undefined;
  /** The one shared all-zero array of MEMORY_PART bytes. */
  zeroPart: () => Uint8Array;
  /** Compares two ranges; sameBytes unless the host has a faster one (memcmp). */
  same?: Same;
  /** Told of each part that is new since the kept cut, or has pages that are (every non-zero part when
   *  none is kept). */
  onChanged?: (index: number) => void;
  /** The program's write map, for a module that tracks its writes. */
  track?: WriteMap | undefined;
}

if (TRACK_PAGE !== PAGE) throw new Error('a write map page must be a patch page');

/**
 * Reads and clears a tracked memory's write map: its marks (one byte per guest page, a copy), and the map
 * all zeros in memory, as every cut saves it. The marks are null unless the map may stand in for
 * comparing with kept: a cut of this very instance's memory, of the same size.
 */
function takeMarks(memory: Uint8Array, track: WriteMap | undefined, kept: KeptMemory | undefined): Uint8Array | null {
  if (track === undefined || track.base === 0) return null;
  const b = track.base;
  const marks = track.use && kept?.source === track.source ? memory.slice(0, Math.min(b, (memory.length - b) / TRACK_PAGE)) : null;
  memory.fill(0, 0, b);
  return marks;
}

/**
 * A program's linear memory as payloads: base parts of MEMORY_PART bytes, then, when kept is used and
 * pages differ from its base, one patch of them. An all-zero part (untouched heap: most of a fresh
 * program's memory) is the one shared zero array, neither copied nor hashed again (the writer knows an
 * array it has seen). With kept, a part is compared with its base and the pages patched over it: the
 * pages that differ are copied into kept.patched, and the part is the kept base with its digest
 * (contentHex), unless its patched pages pass COMPACT_SHARE of it; such a part, and any other, is
 * copied into the snapshot (with copy; else a view of live memory) and written whole, its pages no
 * longer patched.
 */
export function memoryParts(name: string, memory: Uint8Array, opts: MemoryPartsOptions): Payload[] {
  const size = MEMORY_PART;
  const count = Math.max(1, Math.ceil(memory.length / size));
  const snapshot = !opts.copy ? null : opts.snapshot?.length === memory.length ? opts.snapshot : new Uint8Array(memory.length);
  const k = opts.kept;
  const kept = k !== undefined && k.base.length === memory.length && (snapshot === null || snapshot === k.base) ? k : undefined;
  const same = opts.same ?? sameBytes;
  const marks = takeMarks(memory, opts.track, kept);
  const mapBytes = opts.track?.base ?? 0;
  const zero = opts.zeroPart();
  const isZero = (b: Uint8Array): boolean => b.length === size && b[0] === 0 && b[b.length - 1] === 0 && same(b, zero);
  const patchedIn = new Map<number, number>();
  if (kept !== undefined) {
    for (const page of kept.patched.keys()) {
      const part = Math.floor((page * PAGE) / size);
      patchedIn.set(part, (patchedIn.get(part) ?? 0) + 1);
    }
  }
  const parts: Payload[] = [];
  for (let index = 0; index < count; index++) {
    const from = index * size;
    const view = memory.subarray(from, Math.min(memory.length, from + size));
    const base = { name, kind: 'memory', part: { index, count } };
    const ref = kept?.parts[index] ?? null;
    if (kept !== undefined && ref !== null) {
      const baseBytes = ref.zero ? zero.subarray(0, view.length) : kept.base.subarray(from, from + view.length);
      const limit = Math.floor((view.length * COMPACT_SHARE) / PAGE);
      const already = patchedIn.get(index) ?? 0;
      let n: number;
      if (marks === null) {
        n = changedPages(view, from, baseBytes, kept.patched, already, limit, same);
      } else {
        if (opts.track?.check === true) checkMarks(view, from, baseBytes, kept.patched, same, marks, mapBytes);
        // A part the guest wrote no page of links to the kept base as it is, without a compare.
        const g = (from - mapBytes) / PAGE;
        n = anyMarked(marks, g, g + view.length / PAGE) ? markedPages(view, from, baseBytes, kept.patched, already, limit, same, marks, mapBytes) : 0;
      }
      if (n > 0) opts.onChanged?.(index);
      if (n >= 0) {
        parts.push({ ...base, bytes: baseBytes, contentHex: ref.hex });
        continue;
      }
      // Past the share: the part is written whole again, its pages no longer patched.
      for (let page = from / PAGE; page < (from + view.length) / PAGE; page++) kept.patched.delete(page);
    } else if (kept !== undefined && patchedIn.has(index)) {
      for (let page = from / PAGE; page < (from + view.length) / PAGE; page++) kept.patched.delete(page);
    }
    if (isZero(view)) {
      parts.push({ ...base, bytes: zero });
      continue;
    }
    opts.onChanged?.(index);
    let bytes = view;
    if (snapshot !== null) (bytes = snapshot.subarray(from, from + view.length)).set(view);
    parts.push({ ...base, bytes });
  }
  if (kept !== undefined && kept.patched.size > 0) parts.push(patchOf(name, kept.patched));
  return parts;
}

/** The patch of a memory's patched pages: one run of each, in order. */
function patchOf(name: string, patched: ReadonlyMap<number, Uint8Array>): Payload {
  const runs: PatchRun[] = [...patched.keys()].sort((a, b) => a - b).map((page) => ({ offset: page * PAGE, bytes: patched.get(page) as Uint8Array }));
  return { name, kind: 'memory', patch: { index: 0, count: 1 }, bytes: encodePatch(runs) };
}

/**
 * What the cut written as payloads (with their digests, contentHexes[i] for payloads[i]) keeps of the
 * memory of payload name for the next cut: snapshot as the base, the digest of each part whose bytes are
 * in it at their place or are zeros (their digest says so), and the pages patched over them (used, the
 * kept memory the cut was given: its map, updated, if the cut used it; else none); source: the memory
 * object the cut was of (KeptMemory.source).
 */
export function keptAfter(name: string, snapshot: Uint8Array, payloads: readonly (Payload | StagedPayload)[], contentHexes: readonly string[], used: KeptMemory | undefined, source?: object): KeptMemory {
  const parts: (KeptPart | null)[] = [];
  payloads.forEach((p, i) => {
    if (p.name !== name || p.part === undefined || 'staged' in p) return;
    const hex = contentHexes[i];
    const inSnapshot = p.bytes.buffer === snapshot.buffer && p.bytes.byteOffset === snapshot.byteOffset + p.part.index * MEMORY_PART;
    const zero = hex === ZERO_PART_HEX;
    parts[p.part.index] = hex !== undefined && (inSnapshot || zero) ? { hex, zero } : null;
  });
  return { base: snapshot, parts, patched: used !== undefined && used.base === snapshot ? used.patched : new Map(), source };
}
