// End to end: runc's exec through a relay whose reader takes nothing (a slow `ctr task exec` client)
// holds the sandbox to a bounded backlog (issue 12 point 3): the process waits for room instead of the
// sandbox keeping all it writes; once its relay is killed the exec ends and the container ticks on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { amberBin, guest, repo, succeeded } from './testing/amber.js';
import { specBundle } from './testing/bundles.js';
import { sleep, until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m?.[1] !== undefined, `no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

test('runc exec to a relay that reads nothing: the sandbox holds a bounded backlog', async (t) => {
  const w = workspace('relay-backlog', t);
  const bundle = await specBundle(w, 'b', 'ticker', ['--to', '1000000', '--every-ms', '50']);
  copyFileSync(guest('flood'), join(bundle, 'rootfs', 'flood.wasm'));
  const out = openSync(w.path('out.txt'), 'w');
  try {
    succeeded(await w.amber(['create', '--bundle', bundle, '--pid-file', w.path('pid'), 'c1'], { stdio: ['ignore', out, out] }), 'create');
  } finally {
    closeSync(out);
  }
  await w.ok(['start', 'c1']);
  await until('tick 2', () => readFileSync(w.path('out.txt'), 'utf8').includes('tick 2\n'));
  const sandbox = (JSON.parse(readFileSync(join(w.root, 'pods', 'c1', 'record.json'), 'utf8')) as { sandboxPid: number }).sandboxPid;
  const before = rss(sandbox);
  // 100 GiB asked for; the exec's own relay (this command) gets a pipe read once and then never.
  writeFileSync(w.path('proc.json'), JSON.stringify({ args: ['/flood.wasm', '102400'], env: [], cwd: '/' }));
  const cli = spawn(process.execPath, [amberBin, '--root', w.root, 'exec', '--process', w.path('proc.json'), 'c1'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((res) => cli.on('close', () => res()));
  try {
    let first = false;
    cli.stdout.once('data', () => {
      first = true;
      cli.stdout.pause();
    });
    await until('the exec\'s first output', () => first, 60_000);
    await sleep(3000);
    const grew = rss(sandbox) - before;
    t.diagnostic(`the sandbox grew by ${(grew / 2 ** 20).toFixed(1)} MiB in 3 s of a relay whose reader takes nothing`);
    assert.ok(grew < 128 << 20, `the sandbox grew by ${(grew / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    cli.kill('SIGKILL');
  }
  await exited;
  const seen = readFileSync(w.path('out.txt'), 'utf8').length;
  await until('the container ticking on', () => readFileSync(w.path('out.txt'), 'utf8').length > seen + 20, 20_000);
  await w.ok(['delete', '--force', 'c1']);
});
