// A caller that stops reading (issue 12 point 3): runs an `amber` command whose stdout is read once and
// then never, as a stuck `amber exec` or `ctr task exec` client, and measures what the sandbox holds
// for it meanwhile by VmRSS. Shared by test/execbacklog and test/relaybacklog.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { amberBin, repo } from './amber.js';
import { sleep, until } from './wait.js';

/** What the sandbox may grow by in 3 s of a caller that reads nothing. */
const BOUND = 128 << 20;

/** VmRSS of a live process, in bytes. */
export function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m?.[1] !== undefined, `no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Runs `amber --root root ...args`, takes its first output and then reads nothing for 3 s, asserts
 * that the sandbox (pid) grew by less than BOUND meanwhile, runs whileStalled, and kills the command,
 * returning once it has exited.
 */
export async function stallCaller(t: TestContext, opts: { root: string; args: string[]; sandbox: number; whileStalled?: () => Promise<void> }): Promise<void> {
  const before = rss(opts.sandbox);
  const cli = spawn(process.execPath, [amberBin, '--root', opts.root, ...opts.args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((res) => cli.on('close', () => res()));
  try {
    let first = false;
    cli.stdout.once('data', () => {
      first = true;
      cli.stdout.pause();
    });
    await until('the exec\'s first output', () => first, 60_000);
    await sleep(3000);
    const grew = rss(opts.sandbox) - before;
    t.diagnostic(`the sandbox grew by ${(grew / 2 ** 20).toFixed(1)} MiB in 3 s of a caller that reads nothing`);
    assert.ok(grew < BOUND, `the sandbox grew by ${(grew / 2 ** 20).toFixed(0)} MiB with a caller that reads nothing`);
    await opts.whileStalled?.();
  } finally {
    cli.kill('SIGKILL');
  }
  await exited;
}
