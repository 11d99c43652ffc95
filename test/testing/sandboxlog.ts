// A pod sandbox's log (ROOT/pods/ID/sandbox.log) as end-to-end tests read it: the line its server writes
// for each checkpoint (sandbox/server.ts), with what the cut did.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** The sandbox's line for the checkpoint to image ("checkpoint IMAGE: N bytes, N written, ..."); fails the test if there is none. */
export function cutLine(sandboxLog: string, image: string): string {
  const line = readFileSync(sandboxLog, 'utf8').split('\n').find((l) => l.startsWith(`checkpoint ${image}: `) && l.includes(' written, '));
  assert.ok(line !== undefined, `no checkpoint line for ${image} in ${sandboxLog}`);
  return line;
}
