// The pod id of a sandbox started before its pod was made (client/launch.ts prestartSandbox), as a
// pre-forked server worker waits for its job: the client writes it on the sandbox's stdin, one line, once
// the pod's record and launch.json are in place, and closes it. A client that gave up (or died) closes it
// with no line: the sandbox then removes its early log and ends.
import { rmSync } from 'node:fs';

/** The id the client wrote on stdin, or null at end of input without one (its early log removed). */
export async function idOnStdin(earlyLog: string): Promise<string | null> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  process.stdin.destroy();
  const id = text.split('\n')[0] ?? '';
  if (text.includes('\n') && id !== '') return id;
  rmSync(earlyLog, { force: true });
  return null;
}
