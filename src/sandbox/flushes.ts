// The images a sandbox's checkpoints have answered for but not yet flushed to stable storage (image/
// writer.ts deferFlush: in place, then every file fsynced, then the image it replaced removed), like a
// journal's transactions written but not yet committed. A checkpoint waits for them before it starts only
// when it would replace an image, or write into or around one still flushing: its writer sets an image at
// its path aside and removes that once its own files are flushed, which must not happen while blobs it
// links (a parent's, of an image still flushing) may not yet be on disk; and a flush syncs its image by
// path. A checkpoint into a new path goes on at once: the image it makes is complete and in place when it
// answers, and on disk once its own flush and every earlier one are done (done() says when).
import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';

/** Whether one path is the other or holds it. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}${sep}`) || b.startsWith(`${a}${sep}`);
}

export class PendingFlushes {
  /** Each image's flush under way, by its path (absolute); gone once done. */
  readonly #pending = new Map<string, Promise<void>>();

  /**
   * Resolves once a checkpoint into path may begin: at once for a new path (nothing there, none of the
   * images flushing in it or around it), else once every flush under way is done.
   */
  before(path: string): Promise<void> {
    const target = resolve(path);
    if (this.#pending.size === 0) return Promise.resolve();
    if (!existsSync(target) && ![...this.#pending.keys()].some((p) => overlaps(p, target))) return Promise.resolve();
    return this.done();
  }

  /**
   * Records the flush of the image now in place at path (a promise that never rejects); the image is on
   * disk once it and every flush recorded before it are done, which the returned promise says.
   */
  add(path: string, flush: Promise<void>): Promise<void> {
    const target = resolve(path);
    const onDisk = Promise.all([this.done(), flush]).then(() => {});
    this.#pending.set(target, onDisk);
    void onDisk.then(() => {
      if (this.#pending.get(target) === onDisk) this.#pending.delete(target);
    });
    return onDisk;
  }

  /** Resolves once every flush recorded so far is done. */
  done(): Promise<void> {
    return Promise.all(this.#pending.values()).then(() => {});
  }
}
