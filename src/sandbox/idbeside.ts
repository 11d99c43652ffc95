// The pod id of a sandbox that bin/amber started beside the command (a detached `restore`), as a pre-forked
// worker waits for its job: its node starts while the command's own node does. The command writes the id
// into the file named after the sandbox's early log (client/launch.ts adoptSandbox) once the pod's record
// and launch.json are in place, or ends the sandbox; if the command ends first (a usage error, another verb
// after all), the sandbox removes its early log and ends.
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { changeOrTimeout, watchDir } from '../host/dirwatch.js';
import { processAlive } from '../host/pidalive.js';

/** How often a waiting sandbox looks whether its command still runs (the id file wakes it at once). */
const COMMAND_CHECK_MS = 100;

/** The file the command writes the pod's id to: ROOT/starting/PID.sandbox.log → ROOT/starting/PID.sandbox.id. */
export function besideIdFile(earlyLog: string): string {
  return earlyLog.replace(/\.log$/, '.id');
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The id command pid wrote beside earlyLog; null once it has ended without one (the early log removed). */
export async function idBeside(earlyLog: string, command: number): Promise<string | null> {
  const file = besideIdFile(earlyLog);
  const watcher = watchDir(dirname(file));
  try {
    for (;;) {
      const text = readOrNull(file);
      if (text !== null) {
        rmSync(file, { force: true });
        const id = text.split('\n')[0] ?? '';
        if (text.includes('\n') && id !== '') return id;
        break;
      }
      if (!processAlive(command)) break;
      await changeOrTimeout(watcher, COMMAND_CHECK_MS);
    }
  } finally {
    watcher?.close();
  }
  rmSync(earlyLog, { force: true });
  return null;
}
