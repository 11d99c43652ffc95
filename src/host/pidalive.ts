// Whether a host process is still running, as `runc state` decides a container's status from its init's
// pid: kill(pid, 0) says the pid exists, and on Linux /proc/<pid>/stat says whether it is a zombie: a
// process that died (kill -9 of a sandbox) stays a zombie until its parent reaps it, and an orphaned
// sandbox's parent is init, which may take seconds to do so. Either way the process runs no more.
import { readFileSync } from 'node:fs';

/** The state letter of /proc/<pid>/stat ("R", "S", "Z", ...); null when /proc does not say. */
function procState(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (e) {
    // Gone between the two looks: as dead as a zombie. Any other failure (no /proc): unknown.
    return typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT' ? 'X' : null;
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses; the state follows the last ')'.
  const close = stat.lastIndexOf(')');
  return close < 0 ? null : (stat[close + 2] ?? null);
}

/** Whether process pid exists and has not died: false for a zombie or a dead process (X). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (!(typeof e === 'object' && e !== null && 'code' in e && e.code === 'EPERM')) return false;
  }
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}
