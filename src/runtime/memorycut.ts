// A program's linear memory in a checkpoint, like CRIU's page dumps (pages-*.img, and its pre-dump and
// incremental dumps that keep the previous pages and write only what changed): parts of MEMORY_PART bytes,
// copied into a snapshot when the pod is left running. What a cut keeps for the next (KeptMemory: the
// snapshot as cut and each part's SHA-256) lets the next cut find what changed by comparing bytes, not by
// hashing all of them, and give the writer the digests of the parts that did not change.
import type { Payload } from '../image/payload.js';
import { nextTurn } from '../base/turn.js';
import type { Task } from '../wasi/scheduler.js';

/** Bytes per memory part: 4 wasm pages, so the few pages a parked program dirties cost little to write. */
export const MEMORY_PART = 256 << 10;

/** What a cut keeps of one program's memory for the next cut. The owner (the sandbox) never changes it
 *  but through memoryParts. */
export interface KeptMemory {
  /** The memory as cut (parts that were all zeros excepted: their hex is null). */
  readonly snapshot: Uint8Array;
  /** Each part's SHA-256 hex as written, by part index; null where unknown. */
  readonly hexes: readonly (string | null)[];
}

/** A snapshot buffer is faulted in by touching one byte in every page of this size (or smaller). */
const PAGE_STRIDE = 4096;
/** Bytes of snapshot faulted in per turn of the event loop (~5-10 ms). */
const PREPARE_SLICE = 8 << 20;

/**
 * Buffers for a checkpoint that leaves the pod running, made while the pod still runs: one per program
 * with memory to save, the size of its memory now, every page faulted in, in slices with a turn of the
 * event loop between them (the pod runs in between). The cut then copies memory into pages that are
 * there, several times faster than into fresh ones (256 MiB here: ~40 ms against ~200 ms), and that copy
 * is most of the time the pod is paused. A kept snapshot of the right size is used again as it is.
 */
export async function prepareSnapshots(tasks: ReadonlyMap<string, Task>, kept: ReadonlyMap<string, KeptMemory> = new Map()): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const [name, t] of tasks) {
    if (t.state === 'exited' || t.end !== null || t.fiber.status === 'ready') continue;
    const size = t.fiber.memory.buffer.byteLength;
    const old = kept.get(name)?.snapshot;
    if (old?.length === size) {
      out.set(name, old);
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

/** Whether a whole part (a multiple of 32 bytes, 4-aligned, as memory parts are) is all zeros. */
function isZero(b: Uint8Array): boolean {
  const w = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  if (w.length === 0) return true;
  // Most parts that are not zero show it in their first or last word: no scan.
  if (w[0] !== 0 || w[w.length - 1] !== 0) return false;
  for (let i = 0; i < w.length; i += 8) {
    if (((w[i] as number) | (w[i + 1] as number) | (w[i + 2] as number) | (w[i + 3] as number) |
      (w[i + 4] as number) | (w[i + 5] as number) | (w[i + 6] as number) | (w[i + 7] as number)) !== 0) return false;
  }
  return true;
}

/** Whether two parts hold the same bytes, in words (parts are 4-aligned); the host may give a memcmp. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const n = a.length >> 2;
  const wa = new Int32Array(a.buffer, a.byteOffset, n);
  const wb = new Int32Array(b.buffer, b.byteOffset, n);
  for (let i = 0; i < n; i++) if (wa[i] !== wb[i]) return false;
  for (let i = n * 4; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface MemoryPartsOptions {
  /** Copy memory into snapshot (the pod runs again before the image is written); else views of live memory. */
  copy: boolean;
  /** Where to copy it (prepareSnapshots'); one that does not fit is replaced by a fresh buffer. */
  snapshot?: Uint8Array | undefined;
  /** The last cut's, to compare with: a part whose bytes are the same carries its kept hex. */
  kept?: KeptMemory | undefined;
  /** The one shared all-zero array of MEMORY_PART bytes. */
  zeroPart: () => Uint8Array;
  /** Compares two parts; sameBytes unless the host has a faster one (memcmp). */
  same?: (a: Uint8Array, b: Uint8Array) => boolean;
  /** Told of each part that is new since the kept cut (or every non-zero part when none is kept). */
  onChanged?: (index: number) => void;
}

/**
 * A program's linear memory as payload parts of MEMORY_PART bytes. An all-zero part (untouched heap:
 * most of a fresh program's memory) is the one shared zero array, so it is neither copied nor hashed
 * again (the writer knows an array it has seen); a part the same as in the kept cut carries the kept
 * digest (contentHex), and is not copied again when the snapshot is the kept one; any other part is a
 * view of live memory or, with copy, of the snapshot (only its non-zero parts written, so the rest is
 * never faulted in).
 */
export function memoryParts(name: string, memory: Uint8Array, opts: MemoryPartsOptions): Payload[] {
  const size = MEMORY_PART;
  const count = Math.max(1, Math.ceil(memory.length / size));
  const snapshot = !opts.copy ? null : opts.snapshot?.length === memory.length ? opts.snapshot : new Uint8Array(memory.length);
  const kept = opts.kept?.snapshot.length === memory.length ? opts.kept : undefined;
  const parts: Payload[] = [];
  for (let index = 0; index < count; index++) {
    const from = index * size;
    const view = memory.subarray(from, Math.min(memory.length, from + size));
    const base = { name, kind: 'memory', part: { index, count } };
    if (view.length === size && isZero(view)) {
      parts.push({ ...base, bytes: opts.zeroPart() });
      continue;
    }
    const hex = kept?.hexes[index] ?? null;
    const old = kept?.snapshot.subarray(from, from + view.length);
    if (hex !== null && old !== undefined && (opts.same ?? sameBytes)(view, old)) {
      // Unchanged since the last cut: its bytes are there already when the snapshot is the kept one.
      let bytes = old;
      if (snapshot !== null && snapshot !== kept?.snapshot) (bytes = snapshot.subarray(from, from + view.length)).set(view);
      else if (snapshot === null) bytes = view;
      parts.push({ ...base, bytes, contentHex: hex });
      continue;
    }
    opts.onChanged?.(index);
    let bytes = view;
    if (snapshot !== null) (bytes = snapshot.subarray(from, from + view.length)).set(view);
    parts.push({ ...base, bytes });
  }
  return parts;
}

/**
 * What the cut written as payloads (with their digests, contentHexes[i] for payloads[i]) keeps of the
 * memory of container name for the next cut: snapshot, and the hex of each part whose bytes are in it.
 */
export function keptAfter(name: string, snapshot: Uint8Array, payloads: readonly Payload[], contentHexes: readonly string[]): KeptMemory {
  const hexes: (string | null)[] = [];
  payloads.forEach((p, i) => {
    if (p.name !== name || p.part === undefined) return;
    const inSnapshot = p.bytes.buffer === snapshot.buffer && p.bytes.byteOffset === snapshot.byteOffset + p.part.index * MEMORY_PART;
    hexes[p.part.index] = inSnapshot ? contentHexes[i] ?? null : null;
  });
  return { snapshot, hexes };
}
