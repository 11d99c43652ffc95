// What a first cut written straight from a paused pod's memory keeps for the next cut (cut.ts), like
// CRIU's next incremental dump finding the previous pages in the images directory: each program's memory
// read back from the blobs the cut wrote, after the pod runs again and its checkpoint has answered. A part
// counts as known (the next cut compares with it, and gives its digest for bytes it did not hash) only if
// the bytes read back hash to its digest: a blob changed since it was written is compared with nothing.
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { blobPath } from '../image/blobs.js';
import type { Payload } from '../image/payload.js';
import type { WriteResult } from '../image/writer.js';
import type { ImageStore } from '../image/store.js';
import { MEMORY_PART, ZERO_PART_HEX, type KeptMemory, type KeptPart } from '../runtime/memorycut.js';
import type { LastCut } from './cut.js';

/** Parts read back at once (each a read on libuv's pool, faulting its pages in there, while this thread
 *  hashes the one before). */
const IN_FLIGHT = 4;

/** Reads file path, which must be exactly into.length bytes, into `into`; false if it is not. */
async function readWhole(path: string, into: Uint8Array): Promise<boolean> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let at = 0;
    while (at < into.length) {
      const { bytesRead } = await handle.read(into, at, into.length - at, at);
      if (bytesRead === 0) return false;
      at += bytesRead;
    }
    return (await handle.read(new Uint8Array(1), 0, 1, at)).bytesRead === 0;
  } finally {
    await handle.close();
  }
}

/**
 * The LastCut of a cut whose memory payloads were views of live memory (raw blobs: no codec), written
 * as result: each program's memory read back from result's blobs into a new base, each part hashed. Never
 * rejects: a part that cannot be read back as written is unknown (null), and the next cut writes it whole
 * if it is not zero.
 */
export async function keptFromImage(store: ImageStore, payloads: readonly Payload[], result: WriteResult): Promise<LastCut> {
  const memory = new Map<string, KeptMemory>();
  const jobs: (() => Promise<void>)[] = [];
  const byName = new Map<string, { payload: Payload; hex: string | undefined }[]>();
  payloads.forEach((p, i) => {
    if (p.kind !== 'memory' || p.part === undefined) return;
    const list = byName.get(p.name) ?? [];
    list.push({ payload: p, hex: result.contentHexes[i] });
    byName.set(p.name, list);
  });
  for (const [payloadName, list] of byName) {
    const size = list.reduce((n, { payload }) => n + payload.bytes.length, 0);
    const base = new Uint8Array(size);
    const parts: (KeptPart | null)[] = [];
    for (const { payload, hex } of list) {
      const index = payload.part?.index ?? 0;
      parts[index] = null;
      if (hex === undefined) continue;
      if (hex === ZERO_PART_HEX) {
        parts[index] = { hex, zero: true }; // the base is zeros there already
        continue;
      }
      const path = blobPath(result.dir, hex);
      const into = base.subarray(index * MEMORY_PART, index * MEMORY_PART + payload.bytes.length);
      jobs.push(async () => {
        try {
          if (!(await readWhole(path, into))) return;
          const hash = store.sha256();
          hash.update(into);
          if (hash.hexDigest() === hex) parts[index] = { hex, zero: false };
        } catch {
          // Unknown: compared with nothing next time.
        }
      });
    }
    // The memory payload is named memory/<container>; KeptMemory is kept by container.
    memory.set(payloadName.slice('memory/'.length), { base, parts, patched: new Map() });
  }
  const queue = [...jobs];
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await job();
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { image: result.dir, memory, identities: result.identities };
}
