// What a checkpoint leaves beside an image path when its process dies mid-way (kill -9 of a sandbox), and
// how the next checkpoint or restore of that path cleans it, as CRIU's and runc's next run clean a dead
// dump's work directory. The writer names its two siblings after its process (writer.ts):
//   DIR.tmp-<owner>-<random>  an image being written (never the image: DIR is replaced only whole);
//   DIR.old-<owner>-<random>  the image DIR held, set aside until the new one is flushed (deferFlush).
// Leftovers of a process still running are not touched (it may be writing or flushing them); of one
// that died, the temporary image is removed and the whole image kept: DIR when it reads and verifies
// (flushed now, then the old ones removed), else the newest old one that does put back at DIR. Names
// without an owner (older Amber) are left alone.
import { BLOBS_DIR, LAYOUT_FILE } from './layout.js';
import { openImage } from './manifest.js';
import { readImage } from './reader.js';
import { ImageError } from './error.js';
import type { ImageStore } from './store.js';

/** A sibling of an image path that a checkpoint left: its path, which kind, and the process it names. */
export interface Leftover {
  readonly path: string;
  readonly kind: 'tmp' | 'old';
  readonly owner: string;
}

const LEFTOVER = /^(tmp|old)-([A-Za-z0-9]+)-([0-9a-f]+)$/;

/** The name of a sibling of target for the writer: "<target>.tmp-<owner>-<random>" ("old" likewise). */
export function siblingName(store: ImageStore, target: string, kind: 'tmp' | 'old'): string {
  const owner = store.ownerTag?.();
  return `${target}.${kind}-${owner === undefined ? '' : `${owner}-`}${store.randomSuffix()}`;
}

/**
 * The siblings of target of one kind that this process's writer made (siblingName's names, with this
 * store's owner tag), as paths.
 */
export function ownSiblings(store: ImageStore, target: string, kind: 'tmp' | 'old'): string[] {
  const owner = store.ownerTag?.();
  const { parent, base } = split(target);
  const prefix = `${base}.${kind}-${owner === undefined ? '' : `${owner}-`}`;
  return (store.list(parent) ?? [])
    .filter((n) => n.startsWith(prefix) && /^[0-9a-f]+$/.test(n.slice(prefix.length)))
    .map((n) => `${parent === '/' ? '' : parent}/${n}`);
}

function split(target: string): { parent: string; base: string } {
  const slash = target.lastIndexOf('/');
  return { parent: target.slice(0, Math.max(1, slash)), base: target.slice(slash + 1) };
}

/** The leftovers beside target whose process is no longer running (none if the store cannot tell). */
export function staleLeftovers(store: ImageStore, target: string): Leftover[] {
  const alive = store.ownerAlive?.bind(store);
  if (alive === undefined) return [];
  const { parent, base } = split(target);
  const out: Leftover[] = [];
  for (const name of store.list(parent) ?? []) {
    if (!name.startsWith(`${base}.`)) continue;
    const m = LEFTOVER.exec(name.slice(base.length + 1));
    if (m === null || alive(m[2] as string)) continue;
    out.push({ path: `${parent === '/' ? '' : parent}/${name}`, kind: m[1] as 'tmp' | 'old', owner: m[2] as string });
  }
  return out;
}

/** Whether the image at dir reads and every blob verifies (any ImageError: it does not). */
async function whole(store: ImageStore, dir: string): Promise<boolean> {
  try {
    await readImage(store, dir).verified();
    return true;
  } catch (e) {
    if (e instanceof ImageError) return false;
    throw e;
  }
}

/** Images set aside, the newest (by when each was created) first; one that cannot be opened last. */
function newestFirst(store: ImageStore, olds: readonly Leftover[]): Leftover[] {
  const at = (o: Leftover): number => {
    try {
      const t = Date.parse(openImage(store, o.path, true).config.created);
      return Number.isNaN(t) ? -Infinity : t;
    } catch {
      return -Infinity;
    }
  };
  return olds.map((o) => ({ o, t: at(o) })).sort((a, b) => b.t - a.t).map((r) => r.o);
}

/** Flushes every file of the image at dir, then its directories, as the interrupted flush would have. */
function flushImage(store: ImageStore, dir: string): void {
  const blobs = `${dir}/${BLOBS_DIR}`;
  for (const name of store.list(blobs) ?? []) store.sync(`${blobs}/${name}`);
  for (const name of store.list(dir) ?? []) if (store.stat(`${dir}/${name}`)?.kind === 'file') store.sync(`${dir}/${name}`);
  for (const d of [blobs, `${dir}/blobs`, dir, split(dir).parent]) store.sync(d);
}

/**
 * Cleans what dead checkpoints left beside target, keeping whichever image is whole; what it did, one
 * line each (for a log). Touches nothing when nothing is stale. Throws only what the store throws.
 */
export async function recoverImagePath(store: ImageStore, target: string): Promise<string[]> {
  const stale = staleLeftovers(store, target);
  const done: string[] = [];
  for (const t of stale.filter((l) => l.kind === 'tmp')) {
    store.remove(t.path);
    done.push(`removed ${t.path}: the unfinished image of a checkpoint whose process (${t.owner}) died`);
  }
  const olds = stale.filter((l) => l.kind === 'old');
  if (olds.length === 0) return done;
  const at = store.stat(target);
  const names = at?.kind === 'directory' ? (store.list(target) ?? []) : null;
  if (at !== null && (names === null || (names.length > 0 && !names.includes(LAYOUT_FILE)))) return done; // not ours to judge
  if (names !== null && names.length > 0 && await whole(store, target)) {
    flushImage(store, target);
    for (const o of olds) {
      store.remove(o.path);
      done.push(`removed ${o.path}: the image before ${target}, kept until a flush its process (${o.owner}) did not finish; ${target} verified and flushed`);
    }
    return done;
  }
  // DIR is missing, empty or damaged: the newest image set aside that is whole is put back (a writer
  // whose flushes a later image overtook may have set aside more than one).
  for (const o of newestFirst(store, olds)) {
    if (!(await whole(store, o.path))) continue;
    if (at !== null) store.remove(target);
    store.rename(o.path, target);
    store.sync(split(target).parent);
    done.push(`put ${o.path} back at ${target}: ${at === null ? 'nothing was there' : `${target} was ${names?.length === 0 ? 'empty' : 'damaged'}`} after a checkpoint whose process (${o.owner}) died`);
    for (const other of olds) {
      if (other === o) continue;
      store.remove(other.path);
      done.push(`removed ${other.path}: an older image of ${target} set aside by a process (${other.owner}) that died`);
    }
    return done;
  }
  done.push(`kept ${olds.map((o) => o.path).join(', ')}: no image there or at ${target} verifies`);
  return done;
}
