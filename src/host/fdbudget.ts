// How many descriptors a sandbox lets its pod's guests hold, like fs.file-max against the host's own
// needs: its soft RLIMIT_NOFILE (Node raises it to the hard limit at start) less what the sandbox keeps
// for itself (its control and attach sockets, logs, an image's files, the hostdir handle caches, Node's
// own). A guest past it gets ENFILE, and the sandbox can still answer `checkpoint`.
import { readFileSync } from 'node:fs';

/** Kept for the sandbox itself. */
export const SANDBOX_RESERVE = 512;

/** The soft RLIMIT_NOFILE from /proc/self/limits, Infinity when unlimited, null when it does not say. */
function nofileSoft(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Infinity;
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The most descriptors a pod's guests may hold at once in this process (at least 64). */
export function guestFileBudget(): number {
  const soft = nofileSoft();
  return soft === null || soft === Infinity ? 1 << 20 : Math.max(64, soft - SANDBOX_RESERVE);
}
