// A checkpoint begun on its command's intent (cutintent.ts), before its request arrives, as a detached
// restore's sandbox begins restoring before it is given its pod (restoreearly.ts): the pre-copy pass runs
// while the command's node starts. The request that follows carries it on only if it comes from that
// command and asks for that very cut; any other drops it, and so does the command ending without asking.
import { resolve } from 'node:path';
import { processAlive } from '../host/pidalive.js';
import { dropCut, mapsTrusted, type BegunCut, type LastCut } from './cut.js';
import type { CutIntent } from './cutintent.js';
import type { CheckpointRequest } from './protocol.js';

/** How often the command's process is looked for while its request has not come. */
const WATCH_MS = 100;
/** The longest an intent waits for its request, even with its process alive (a pid taken by another). */
const LONGEST_MS = 60_000;

/**
 * Why a cut is not worth beginning before its request; null when it is. A full pass over a tracked
 * program's memory hashes every part (~100-200 ms at 256 MiB), and an untracked one left running has its
 * snapshot buffers faulted in (and the helper thread started) beforehand: either overlaps the command's
 * start. Not an incremental one (the last cut's image its parent): its pass reads the write maps and stages
 * only the parts written since, a few ms that would only contend with the command's start. Not an
 * untracked pod stopped: nothing of its cut comes before the stop.
 */
export function notWorthBeginning(intent: CutIntent, last: LastCut | null, tracked: boolean): string | null {
  if (!tracked) return intent.leaveRunning ? null : 'an untracked pod stopped: nothing to do before the stop';
  return mapsTrusted({ last, ...(intent.parentPath !== undefined ? { parentPath: intent.parentPath } : {}) }) ? 'an incremental cut, begun when asked' : null;
}

export class EarlyCut {
  readonly intent: CutIntent;
  /** When the intent arrived (performance.now()). */
  readonly at = performance.now();
  /** The last cut the pass was begun against (its write maps read and cleared since). */
  readonly last: LastCut | null;
  readonly #begun: Promise<BegunCut>;
  readonly #watch: ReturnType<typeof setInterval>;

  /**
   * begin: the cut's part before its pause, for the intent (a failure is the request's, once it comes:
   * the same as the request would have met; logged now). onGone: called (once a WATCH_MS) when the command has ended, or waited LONGEST_MS, without asking.
   */
  constructor(intent: CutIntent, last: LastCut | null, begin: () => Promise<BegunCut>, onGone: (why: string) => void) {
    this.intent = intent;
    this.last = last;
    this.#begun = begin();
    this.#begun.catch((e: unknown) => {
      console.log(`checkpoint ${intent.imagePath}: begun on its command's intent, failed: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`);
    });
    this.#watch = setInterval(() => {
      if (!processAlive(intent.pid)) onGone(`its command (pid ${intent.pid}) ended without asking`);
      else if (performance.now() - this.at > LONGEST_MS) onGone(`no request in ${LONGEST_MS / 1000} s`);
    }, WATCH_MS);
    this.#watch.unref();
  }

  /** Why req is not the checkpoint this was begun for (last: the sandbox's last cut now); null when it is. */
  mismatch(req: CheckpointRequest, last: LastCut | null): string | null {
    const i = this.intent;
    if (req.pid !== i.pid) return `asked by pid ${req.pid ?? 'unknown'}, announced by ${i.pid}`;
    if (resolve(req.imagePath) !== resolve(i.imagePath)) return `asked for ${req.imagePath}, announced ${i.imagePath}`;
    if (req.leaveRunning !== i.leaveRunning) return req.leaveRunning ? 'asked to leave the pod running, announced to stop it' : 'asked to stop the pod, announced to leave it running';
    if (req.compress !== undefined) return 'asked for compressed blobs';
    const parent = req.parentPath === undefined ? undefined : resolve(req.parentPath);
    if (parent !== (i.parentPath === undefined ? undefined : resolve(i.parentPath))) return 'asked with another parent';
    if (last !== this.last) return 'the last cut changed';
    return null;
  }

  /** The begun cut, for the request it matches (rejects as beginning it failed). */
  take(): Promise<BegunCut> {
    clearInterval(this.#watch);
    return this.#begun;
  }

  /** Drops it: once its pass is over, what it staged is removed. */
  async drop(): Promise<void> {
    clearInterval(this.#watch);
    const begun = await this.#begun.catch(() => null);
    if (begun !== null) dropCut(begun);
  }
}
