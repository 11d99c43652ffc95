// A rehearsal the command's snapshots run while they are built (cli/snapshot.ts, cli/ctlsnapshot.ts), as a
// JIT warms up: every verb's command built, and two requests over a control socket to a server in this
// process. V8 compiles a function on its first call; what ran here is in the snapshot already compiled
// (Node's internals for a Unix socket's connect, write, read and close included), ~5 ms less of every
// command that talks to a sandbox. Nothing of it is left running or on disk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callControl, serveControl } from '../host/control.js';
import { buildProgram } from './program.js';

export async function rehearse(): Promise<void> {
  buildProgram({ args: [], log: null, ranGuests: false, sandbox: null });
  let dir: string | null = null;
  try {
    dir = mkdtempSync(join(tmpdir(), 'amber-rehearsal-'));
    const path = join(dir, 'control.sock');
    const server = await serveControl(path, () => ({ ok: true }));
    try {
      for (let i = 0; i < 2; i++) await callControl(path, { op: 'rehearsal' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  } catch (e) {
    // A machine that builds without a Unix socket gets a snapshot that compiles these on first use instead;
    // scripts/bundle.mjs shows the builder's lines that begin with "amber:".
    process.stderr.write(`amber: the snapshot's rehearsal failed (${e instanceof Error ? e.message : String(e)}): what it would have compiled compiles on first use\n`);
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}
