// host/entryscript: a sandbox's snapshot is used only by the node, flags and place it was built for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foregroundPodSnapshot, snapshotFacts, snapshotFits } from './entryscript.js';

test('a snapshot fits only the same node, architecture, V8 flags and script', () => {
  const here = snapshotFacts(['--stack-size=7000']);
  assert.equal(snapshotFits(JSON.parse(JSON.stringify(here)), here), true);
  assert.equal(snapshotFits({ ...here, node: 'v20.0.0' }, here), false);
  assert.equal(snapshotFits({ ...here, execPath: '/elsewhere/node' }, here), false);
  assert.equal(snapshotFits({ ...here, arch: 'arm64' }, here), false);
  assert.equal(snapshotFits({ ...here, script: '/moved/dist/bundle/sandbox-snapshot.cjs' }, here), false);
  assert.equal(snapshotFits({ ...here, flags: [] }, here), false);
  assert.equal(snapshotFits({ ...here, flags: ['--stack-size=6000'] }, here), false);
  assert.equal(snapshotFits({ ...here, flags: ['--stack-size=7000', '--no-liftoff'] }, here), false);
  for (const bad of [null, 'x', 7, [], { ...here, flags: '--stack-size=7000' }]) assert.equal(snapshotFits(bad, here), false);
});

test("the command's snapshot for a foreground pod fits only the flags it was built with", () => {
  const pod = snapshotFacts(['--stack-size=7000'], 'cli-pod');
  assert.match(pod.script, /cli-snapshot\.cjs$/);
  assert.equal(snapshotFits(pod, snapshotFacts(['--stack-size=7000'])), false);
  assert.equal(foregroundPodSnapshot(['--stack-size=7000', '--no-liftoff']), null);
});
