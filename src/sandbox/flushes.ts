// The images a sandbox's checkpoints have answered for but not yet flushed to stable storage (image/
// writer.ts deferFlush: in place, then every file it holds fsynced, then the image it replaced removed),
// like a journal's transactions written but not yet committed. A checkpoint waits for them before it
// starts only when it would write into or around an image still flushing (a flush syncs its image by
// path, and a directory renamed around it moves it). One into a new path, or into the path of an image
// (flushing or not), goes on at once: the writer makes each image durable by itself, linked blobs
// included, and keeps the image on disk set aside until the one replacing it is flushed. The image a
// checkpoint makes is complete and in place when it answers, and counts as on disk once its own flush
// and every earlier one are done (done() says when: it may link their blobs).
import { resolve, sep } from 'node:path';

/** Whether one path is the other or holds it. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}${sep}`) || b.startsWith(`${a}${sep}`);
}

export class PendingFlushes {
  /** Each image's flush under way, by its path (absolute); gone once done. */
  readonly #pending = new Map<string, Promise<void>>();

  /**
   * Resolves once a checkpoint into path may begin: at once unless an image flushing is inside path or
   * holds it, else once every flush under way is done.
   */
  before(path: string): Promise<void> {
    const target = resolve(path);
    if (![...this.#pending.keys()].some((p) => p !== target && overlaps(p, target))) return Promise.resolve();
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
