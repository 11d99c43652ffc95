// A sandbox killed (kill -9) through the built command (issue 12.6): `state` and `list` say stopped at
// once, though the dead process lingers as a zombie until init reaps it; a checkpoint it was writing
// leaves its siblings of the image path (DIR.tmp-<pid>-*, and, killed between its renames or before its
// flush, DIR.old-<pid>-*), which the next restore or checkpoint of that path cleans, keeping the whole
// image; `inspect` reads and never cleans.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { guest, userError } from './testing/amber.js';
import { fingerprint } from './testing/images.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const sandboxPid = (root: string, id: string): number => (JSON.parse(readFileSync(join(root, 'pods', id, 'record.json'), 'utf8')) as { sandboxPid: number }).sandboxPid;

test('a killed sandbox: stopped at once; its checkpoint leftovers cleaned by the next restore and checkpoint', async (t) => {
  const w = workspace('sandboxdeath', t);
  const spec = w.path('pod.yaml');
  writeFileSync(spec, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' }, spec: { containers: [{ name: 'mem', image: guest('bench_mem'), args: ['48'] }] } }));
  await w.ok(['pod', 'run', '--detach', spec]);
  await until('memory filled', async () => (await w.ok(['logs', 'mem'])).stdout.includes('ready 48'));
  const dir = w.path('images');
  mkdirSync(dir);
  const img = join(dir, 'img');
  await w.ok(['checkpoint', 'mem', '--image-path', img, '--leave-running']);
  const whole = fingerprint(img);

  // A second checkpoint (gzip: every blob written anew, slowly), its sandbox killed while it writes.
  const pid = sandboxPid(w.root, 'mem');
  const second = w.amber(['checkpoint', 'mem', '--image-path', img, '--leave-running', '--compress', 'gzip']);
  await until('the checkpoint writing', () => readdirSync(dir).some((f) => f.startsWith(`img.tmp-${pid}-`)), 30_000);
  process.kill(pid, 'SIGKILL');
  assert.notEqual((await second).code, 0, 'the checkpoint of a killed sandbox failed');

  // At once, whether or not init has reaped it yet.
  const state = await w.json<{ status: string }>(['state', 'mem']);
  assert.equal(state.status, 'stopped');
  const list = await w.json<Array<{ id: string; status: string }>>(['list', '--json']);
  assert.deepEqual(list.map((p) => [p.id, p.status]), [['mem', 'stopped']]);

  // Left: its unfinished image; the image at img is the first, whole. Killed between its renames would
  // also have left img itself aside, at img.old-<pid>-*: made so here (the first image is what it holds).
  const tmp = readdirSync(dir).filter((f) => f.startsWith(`img.tmp-${pid}-`));
  assert.equal(tmp.length, 1);
  assert.deepEqual(fingerprint(img), whole);
  const aside = join(dir, `img.old-${pid}-0123456789ab`);
  renameSync(img, aside);
  // inspect only reads: it names the image set aside, and cleans nothing.
  const r = await w.amber(['inspect', img]);
  userError(r, 'inspect of the path whose image is set aside');
  assert.match(r.stderr, new RegExp(`img: no such image directory \\(an interrupted checkpoint left the previous image at ${aside}\\)`));
  assert.deepEqual(readdirSync(dir).sort(), [`img.old-${pid}-0123456789ab`, tmp[0]]);

  // The next restore of that path puts the whole image back and removes the unfinished one.
  await w.ok(['restore', '--image-path', img, '--detach', '--name', 'back']);
  assert.deepEqual(readdirSync(dir), ['img']);
  assert.deepEqual(fingerprint(img), whole);
  await until('the restored program runs', async () => (await w.ok(['logs', 'back'])).stdout.includes('resumed'));

  // The next checkpoint of that path removes what a dead checkpoint left there too.
  const restoredPid = sandboxPid(w.root, 'back');
  mkdirSync(join(dir, `img.tmp-${pid}-abcdefabcdef`, 'blobs'), { recursive: true });
  mkdirSync(join(dir, `img.tmp-${restoredPid}-abcdefabcdef`), { recursive: true }); // a live sandbox's: kept
  await w.ok(['checkpoint', 'back', '--image-path', img]);
  await until('the flush done', () => !readdirSync(dir).some((f) => f.startsWith('img.old-')));
  assert.deepEqual(readdirSync(dir).sort(), ['img', `img.tmp-${restoredPid}-abcdefabcdef`]);
  assert.match(readFileSync(join(w.root, 'pods', 'back', 'sandbox.log'), 'utf8'), new RegExp(`removed ${dir}/img\\.tmp-${pid}-abcdefabcdef: the unfinished image of a checkpoint whose process \\(${pid}\\) died`));
  assert.notDeepEqual(fingerprint(img), whole, 'a new image');
  await w.ok(['inspect', img]);
});
