// End to end: runc's exec through a relay whose reader takes nothing (a slow `ctr task exec` client)
// holds the sandbox to a bounded backlog (issue 12 point 3): the process waits for room instead of the
// sandbox keeping all it writes; once its relay is killed the exec ends and the container ticks on.
import { closeSync, copyFileSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { guest, succeeded } from './testing/amber.js';
import { stallCaller } from './testing/backlog.js';
import { specBundle } from './testing/bundles.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

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
  // 100 GiB asked for; the exec's own relay (this command) gets a pipe read once and then never.
  writeFileSync(w.path('proc.json'), JSON.stringify({ args: ['/flood.wasm', '102400'], env: [], cwd: '/' }));
  await stallCaller(t, { root: w.root, args: ['exec', '--process', w.path('proc.json'), 'c1'], sandbox });
  const seen = readFileSync(w.path('out.txt'), 'utf8').length;
  await until('the container ticking on', () => readFileSync(w.path('out.txt'), 'utf8').length > seen + 20, 20_000);
  await w.ok(['delete', '--force', 'c1']);
});
