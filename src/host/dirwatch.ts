// Waiting for a folder to change, as a process waits on inotify with a timeout: a watch on the folder
// (none where the host gives none: the timeout alone then wakes the waiter), and a wait that ends at the
// first change or after its time, whichever comes first. Used while a client waits for its sandbox to
// start a pod and while a sandbox started early waits for its pod's id.
import { watch, type FSWatcher } from 'node:fs';

/** A watch on dir that keeps no process alive, or null where the host gives none. */
export function watchDir(dir: string): FSWatcher | null {
  try {
    const w = watch(dir, { persistent: false });
    w.on('error', () => {}); // the folder removed: the waiter's own check notices
    return w;
  } catch {
    return null;
  }
}

/** Resolves after ms, or at once when the watched folder changes. */
export function changeOrTimeout(watcher: FSWatcher | null, ms: number): Promise<void> {
  return new Promise((res) => {
    const done = (): void => {
      clearTimeout(timer);
      watcher?.off('change', done);
      res();
    };
    const timer = setTimeout(done, ms);
    watcher?.on('change', done);
  });
}
