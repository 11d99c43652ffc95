// Pre-copy of a write-tracked program's memory for a checkpoint that leaves its pod running, as live
// migration's pre-copy rounds and CRIU's iterative pre-dump (with soft-dirty bits) do: while the pod runs,
// its write map (wasi/transformed.ts) is read and cleared and every memory part that needs writing is
// hashed and staged straight from live memory, between the guest's turns; then, paused, the map is read
// again and only the pages it marks (written meanwhile) are taken, as a patch. One pass over memory, a
// short pause, and no copy of memory kept for the next cut: its write map says what changed since.
import type { Payload, StagedPayload } from '../image/payload.js';
import { encodePatch, type PatchRun } from '../image/patch.js';
import { nextTurn } from '../base/turn.js';
import type { Task } from '../wasi/scheduler.js';
import { PAGE, sameBytes, type Same } from './memorydiff.js';
import { MEMORY_PART, ZERO_PART_HEX, type KeptPart } from './memorycut.js';

/** A part whose pages to patch pass this share of it is staged whole again (as memorycut.ts compacts). */
const COMPACT_SHARE = 1 / 4;
/** Time on this thread (ms) between two turns of the event loop during the pass: the pod runs between. */
const TURN_MS = 3;

/**
 * What a pre-copied cut keeps of one program's memory for the next: digests and page numbers, not bytes
 * (the write map stands in for a compare with them).
 */
export interface TrackedKept {
  /** The memory object (one instance's) the cut was of: a write map says nothing of another's. */
  readonly source: object;
  /** Its size then, bytes. */
  readonly size: number;
  /** Each base part as the image stores it; null where unknown. */
  readonly parts: readonly (KeptPart | null)[];
  /** The pages the image's patch holds (memory as it was at that cut), by index. */
  readonly patched: ReadonlySet<number>;
  /** The debug check's copy of memory as that cut saved it (PreCopyOptions.check): none otherwise. */
  readonly check?: Uint8Array;
}

/** Where the pass stores parts: the image being written (image/writer.ts Staging), with a helper thread. */
export interface PreCopySink {
  /** Links the part of this digest from the parent image, if it holds one intact: false if not. */
  link(hex: string): boolean;
  /** Hands bytes (a view of live memory, valid during the call alone: copied first) to another thread to
   *  hash and store: the promise of their hex; null when none can take them now. */
  offload(bytes: Uint8Array): Promise<string> | null;
  /** Hashes and stores bytes on this thread before it returns: their hex. */
  put(bytes: Uint8Array): string;
}

export interface PreCopyOptions {
  /** The debug check (AMBER_CHECK_WRITE_MAPS): keep a copy of memory as saved, and at the pause throw for
   *  any page that changed without a mark. Tests. */
  check?: boolean;
  /** Compares two ranges (memcmp where the host has one). */
  same?: Same;
  /** Told of bytes of memory the pass has dealt with. */
  onBytes?: (n: number) => void;
  /** Awaited after the links and after each part staged, instead of a turn now and then (tests: let the
   *  guest run a while mid-pass). */
  betweenParts?: () => Promise<void>;
}

/** What a pass did with the parts: linked (kept), staged on this thread, on another, or found all zeros. */
export interface PreCopyStats {
  linked: number;
  here: number;
  offloaded: number;
  zero: number;
}

/** A part, once the pass dealt with it: its digest (staged, linked) or its hex to come, or zero. */
type PartState = { hex: string } | { pending: Promise<string> } | { zero: true };

/**
 * One program's pre-copy: begun (preCopyBegin) while the pod runs, passed over (runPreCopy), taken at the
 * pause (preCopyPayloads). Invalid once its memory is no longer the one begun with (grown, or another
 * instance): the cut then copies that program's memory as an untracked one's.
 */
export class PreCopy {
  /** The container (its task's key), and its memory payload's name. */
  readonly container: string;
  readonly name: string;
  readonly source: WebAssembly.Memory;
  readonly size: number;
  /** The write map's size B (real bytes [0, B)). */
  readonly mapBytes: number;
  readonly parts: (PartState | null)[];
  /** Pages for the patch (whatever the pause marks besides): of parts linked, changed since the kept cut;
   *  of parts staged, marked after they were. */
  readonly patched = new Set<number>();
  /** Parts to stage, in order; then parts to link (kept digests), before any is staged. */
  readonly todo: number[] = [];
  readonly toLink: number[] = [];
  valid = true;
  /** The debug check: memory as the image will hold it, but for the pages to patch. */
  readonly check: Uint8Array | null;
  /** The kept cut's parts (those of the memory begun with), to link. */
  readonly keptParts: readonly (KeptPart | null)[];
  /** The kept cut's copy (debug check), for parts linked. */
  readonly keptCheck: Uint8Array | null;
  /** Parts linked whose bytes the debug check does not know (no copy kept): not checked. */
  readonly unchecked = new Set<number>();

  constructor(container: string, memory: WebAssembly.Memory, mapBytes: number, check: boolean, kept: TrackedKept | undefined) {
    this.container = container;
    this.name = `memory/${container}`;
    this.source = memory;
    this.size = memory.buffer.byteLength;
    this.mapBytes = mapBytes;
    this.parts = new Array<PartState | null>(Math.max(1, Math.ceil(this.size / MEMORY_PART))).fill(null);
    this.check = check ? new Uint8Array(this.size) : null;
    this.keptParts = kept?.parts ?? [];
    this.keptCheck = kept?.check ?? null;
  }

  /** Live memory, if it is still the memory begun with. */
  live(task: Task | undefined): Uint8Array | null {
    if (!this.valid || task === undefined || task.state === 'exited' || task.end !== null || task.fiber.memory !== this.source || this.source.buffer.byteLength !== this.size) {
      this.valid = false;
      return null;
    }
    return new Uint8Array(this.source.buffer);
  }

  /**
   * Reads and clears the write map (the pod is between turns). A marked page of a part done (linked or
   * staged) goes to the patch: its bytes changed since; one of a part still to stage will be staged as it
   * is then. Returns the marked pages (real page numbers), in order.
   */
  takeMarks(memory: Uint8Array, same: Same): number[] {
    const b = this.mapBytes;
    const marked = marksIn(memory.subarray(0, Math.min(b, (memory.length - b) / PAGE)), b / PAGE, same);
    memory.fill(0, 0, b);
    const perPart = MEMORY_PART / PAGE;
    for (const page of marked) if (this.parts[Math.floor(page / perPart)] !== null) this.patched.add(page);
    return marked;
  }
}

/** Map bytes scanned at once for a mark: a compare with zeros (memcmp) skips an unmarked block. */
const SCAN = 4096;

/**
 * The pages a write map marks (byte i non-zero: the guest's page i, real page i + skip), in order: blocks
 * compared with zeros at once, the bytes of a marked block one by one (the loops of a cut run seldom, so
 * mostly unoptimized: as few as can be).
 */
function marksIn(marks: Uint8Array, skip: number, same: Same): number[] {
  const out: number[] = [];
  const zeros = new Uint8Array(SCAN);
  for (let from = 0; from < marks.length; from += SCAN) {
    const block = marks.subarray(from, Math.min(marks.length, from + SCAN));
    if (same(block, zeros.subarray(0, block.length))) continue;
    for (let i = 0; i < block.length; i++) if (block[i] !== 0) out.push(from + i + skip);
  }
  return out;
}

/**
 * Begins the pre-copy of a tracked program (the pod between turns: no guest code runs): its write map
 * read and cleared. With kept (the last cut of this very memory, the new image's parent its image), a
 * part whose digest is kept and few of whose pages changed since is linked, those pages patched; every
 * other part is staged whole. Null for a task with no memory to save or no write map.
 */
export function preCopyBegin(container: string, task: Task, kept: TrackedKept | undefined, options: PreCopyOptions = {}): PreCopy | null {
  if (task.state === 'exited' || task.end !== null || task.fiber.status === 'ready' || task.fiber.trackBase === 0) return null;
  const memory = task.fiber.memory;
  const usable = kept !== undefined && kept.source === memory && kept.size === memory.buffer.byteLength ? kept : undefined;
  const pc = new PreCopy(container, memory, task.fiber.trackBase, options.check === true, usable);
  // No part is done yet: no mark goes to the patch. Without a kept cut the marks say nothing: cleared unread.
  const live = new Uint8Array(memory.buffer);
  const marked = usable !== undefined ? pc.takeMarks(live, options.same ?? sameBytes) : [];
  live.fill(0, 0, pc.mapBytes);
  const perPart = MEMORY_PART / PAGE;
  // Each part's pages to patch if it is linked: patched at the kept cut, or marked since.
  const pages = new Map<number, Set<number>>();
  const add = (page: number): void => {
    const part = Math.floor(page / perPart);
    let set = pages.get(part);
    if (set === undefined) pages.set(part, (set = new Set()));
    set.add(page);
  };
  if (usable !== undefined) {
    for (const page of usable.patched) add(page);
    for (const page of marked) add(page);
  }
  for (let index = 0; index < pc.parts.length; index++) {
    const size = Math.min(MEMORY_PART, pc.size - index * MEMORY_PART);
    const ref = usable?.parts[index] ?? null;
    const patch = pages.get(index);
    if (usable === undefined || ref === null || (patch?.size ?? 0) > Math.floor((size / PAGE) * COMPACT_SHARE)) {
      pc.todo.push(index);
      continue;
    }
    pc.toLink.push(index);
    for (const page of patch ?? []) pc.patched.add(page);
  }
  return pc;
}

/** Whether part is all zeros: first and last bytes first, then a compare with zero (a shorter view of it:
 *  the zero part is made only then). */
function isZero(part: Uint8Array, zeroPart: () => Uint8Array, same: Same): boolean {
  return part[0] === 0 && part[part.length - 1] === 0 && same(part, zeroPart().subarray(0, part.length));
}

/**
 * The pass, with the pod running: for each pre-copy, its kept parts linked (a part whose blob cannot be
 * linked is staged instead), then each part to stage, in order, hashed and stored from live memory in one
 * synchronous step (the guest cannot run, grow or write memory during it: it runs on this thread, between
 * these steps), on this thread or copied to a helper's (sink.offload). The guest writes between steps are
 * marked in its write map, which preCopyPayloads reads at the pause. Resolves once every part is stored,
 * with how each was.
 */
export async function runPreCopy(pcs: readonly PreCopy[], tasks: ReadonlyMap<string, Task>, sink: PreCopySink, zeroPart: () => Uint8Array, options: PreCopyOptions = {}): Promise<PreCopyStats> {
  const same = options.same ?? sameBytes;
  const stats: PreCopyStats = { linked: 0, here: 0, offloaded: 0, zero: 0 };
  for (const pc of pcs) {
    for (const index of pc.toLink) {
      const ref = pc.keptParts[index] as KeptPart;
      // A zero part too is linked where the parent holds its blob: then no zero part need be made for it.
      const linked = sink.link(ref.hex);
      if (linked || ref.zero) {
        pc.parts[index] = linked ? { hex: ref.hex } : { zero: true };
        stats.linked++;
        if (pc.keptCheck !== null) pc.check?.set(pc.keptCheck.subarray(index * MEMORY_PART, (index + 1) * MEMORY_PART), index * MEMORY_PART);
        else pc.unchecked.add(index);
        options.onBytes?.(Math.min(MEMORY_PART, pc.size - index * MEMORY_PART));
        continue;
      }
      // Not linkable (the parent gone or damaged): staged whole, its pages no longer patched.
      const first = index * (MEMORY_PART / PAGE);
      for (let p = first; p < first + MEMORY_PART / PAGE; p++) pc.patched.delete(p);
      pc.todo.push(index);
    }
    pc.todo.sort((a, b) => a - b);
  }
  await options.betweenParts?.();
  let failure: { e: unknown } | null = null;
  try {
    await stageParts(pcs, tasks, sink, zeroPart, same, stats, options);
  } catch (e) {
    failure = { e };
  }
  // Every part handed off settles before this returns or throws: nothing staged is dropped while another
  // thread still writes it, and no failure goes unseen.
  for (const pc of pcs) {
    for (let i = 0; i < pc.parts.length; i++) {
      const s = pc.parts[i];
      if (s === null || s === undefined || !('pending' in s)) continue;
      try {
        pc.parts[i] = { hex: await s.pending };
      } catch (e) {
        failure ??= { e };
      }
    }
  }
  if (failure !== null) throw failure.e;
  return stats;
}

/** runPreCopy's staging of each part to stage, in order, a turn of the event loop now and then. */
async function stageParts(pcs: readonly PreCopy[], tasks: ReadonlyMap<string, Task>, sink: PreCopySink, zeroPart: () => Uint8Array, same: Same, stats: PreCopyStats, options: PreCopyOptions): Promise<void> {
  let turn = performance.now();
  // Parts not dealt with yet (this one included), and those handed off that the other thread has not done.
  let remaining = pcs.reduce((n, pc) => n + pc.todo.length, 0);
  let handedOff = 0;
  const settled = (): void => {
    handedOff--;
  };
  for (const pc of pcs) {
    for (const index of pc.todo) {
      const live = pc.live(tasks.get(pc.container));
      if (live === null) break;
      const from = index * MEMORY_PART;
      const view = live.subarray(from, Math.min(pc.size, from + MEMORY_PART));
      // The map's own pages, in part 0, are saved all zeros: cleared here, in the step that stages them.
      if (from < pc.mapBytes) pc.takeMarks(live, same);
      let state: PartState;
      if (isZero(view, zeroPart, same)) {
        state = { zero: true };
        stats.zero++;
      } else {
        // Handed off only if the other thread, its backlog done first, would finish it before this one has
        // done the parts after it (the two take about as long a part): else the pass would end waiting for
        // the other thread's last few parts, this one idle.
        const pending = handedOff <= remaining - 2 ? sink.offload(view) : null;
        state = pending !== null ? { pending } : { hex: sink.put(view) };
        if (pending !== null) {
          stats.offloaded++;
          handedOff++;
          pending.then(settled, settled);
        } else {
          stats.here++;
        }
      }
      remaining--;
      pc.parts[index] = state;
      pc.check?.set(view, from);
      options.onBytes?.(view.length);
      if (options.betweenParts !== undefined) await options.betweenParts();
      else if (performance.now() - turn >= TURN_MS) {
        await nextTurn();
        turn = performance.now();
      }
    }
  }
}

/** The runs of a patch of pages (sorted page numbers), each run of consecutive pages one view of memory. */
function runsOf(memory: Uint8Array, pages: readonly number[]): PatchRun[] {
  const runs: PatchRun[] = [];
  for (let i = 0; i < pages.length;) {
    let j = i + 1;
    while (j < pages.length && pages[j] === (pages[j - 1] as number) + 1) j++;
    const from = (pages[i] as number) * PAGE;
    runs.push({ offset: from, bytes: memory.subarray(from, (pages[j - 1] as number) * PAGE + PAGE) });
    i = j;
  }
  return runs;
}

/**
 * A pre-copied program's memory at the pause (the pod paused: no guest code runs): its write map read and
 * cleared once more, so every page written since the pass began is marked (the mark follows each store,
 * and a pause falls only between turns); its parts as the pass stored them (staged, linked, or the shared
 * zero array), and one patch of every page marked since its part was stored, copied from memory now. The
 * image so holds memory exactly as it is at the pause. Null when the pre-copy cannot be used (its memory
 * grew or is another instance's): the caller saves that memory as an untracked one's. `kept` is what the
 * next cut keeps.
 */
export function preCopyPayloads(pc: PreCopy, task: Task, zeroPart: () => Uint8Array, options: PreCopyOptions = {}): { payloads: (Payload | StagedPayload)[]; kept: TrackedKept } | null {
  const live = pc.live(task);
  if (live === null || pc.parts.some((s) => s === null || 'pending' in s)) return null;
  pc.takeMarks(live, options.same ?? sameBytes);
  const count = pc.parts.length;
  const payloads: (Payload | StagedPayload)[] = [];
  const parts: (KeptPart | null)[] = [];
  pc.parts.forEach((s, index) => {
    const size = Math.min(MEMORY_PART, pc.size - index * MEMORY_PART);
    const base = { name: pc.name, kind: 'memory', part: { index, count } };
    if (s !== null && 'hex' in s) {
      payloads.push({ ...base, staged: { contentHex: s.hex, size } });
      parts.push({ hex: s.hex, zero: s.hex === ZERO_PART_HEX });
    } else {
      const full = size === MEMORY_PART;
      payloads.push({ ...base, bytes: zeroPart().subarray(0, size), ...(full ? { contentHex: ZERO_PART_HEX } : {}) });
      parts.push(full ? { hex: ZERO_PART_HEX, zero: true } : null);
    }
  });
  const skip = pc.mapBytes / PAGE;
  const pages = [...pc.patched].filter((p) => p >= skip).sort((a, b) => a - b);
  if (pc.check !== null) checkPreCopy(pc, live, new Set(pages), options.same ?? sameBytes);
  if (pages.length > 0) payloads.push({ name: pc.name, kind: 'memory', patch: { index: 0, count: 1 }, bytes: encodePatch(runsOf(live, pages)) });
  const kept: TrackedKept = { source: pc.source, size: pc.size, parts, patched: new Set(pages), ...(pc.check !== null ? { check: live.slice() } : {}) };
  return { payloads, kept };
}

/**
 * The debug check of a pre-copy (PreCopyOptions.check): every page the image takes from its base, not its
 * patch, holds what the base does (the bytes as staged, or the kept cut's for a part linked), and the write
 * map is all zeros. Throws naming the first page that is not: one changed without a mark.
 */
function checkPreCopy(pc: PreCopy, live: Uint8Array, patched: ReadonlySet<number>, same: Same): void {
  const check = pc.check as Uint8Array;
  const skip = pc.mapBytes / PAGE;
  for (let page = 0; page < pc.size / PAGE; page++) {
    if (patched.has(page) || pc.unchecked.has(Math.floor((page * PAGE) / MEMORY_PART))) continue;
    const at = page * PAGE;
    if (page < skip ? live.subarray(at, at + PAGE).every((b) => b === 0) : same(live.subarray(at, at + PAGE), check.subarray(at, at + PAGE))) continue;
    const where = page < skip ? `page ${page} of the write map itself is not cleared` : `the guest's page ${page - skip} changed since it was saved, and the write map does not say so`;
    throw new Error(`kernel bug: ${where}`);
  }
}
