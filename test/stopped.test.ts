// After `checkpoint` without leaveRunning, and after `kill`, returns, the pod is recorded as stopped
// (DESIGN.md §1: "After checkpoint without --leave-running the pod is stopped (state says so) until
// delete"): the sandbox writes the record before it answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pod } from '../src/index.js';
import { manifest } from './testing/manifests.js';
import { workspace } from './testing/workspace.js';

test('state says stopped, and delete works, as soon as checkpoint (or kill) returns', async (t) => {
  const s = workspace('race', t);
  const root = s.root;
  const pod = manifest(s.dir, 'pod.yaml', 'race', [{ name: 'c', guest: 'e2e_counter', args: ['--ticks', '100000', '--every-ms', '20'] }], []);
  const a = await Pod.run(pod, { root, name: 'a' });
  const b = await Pod.run(pod, { root, name: 'b' });
  await a.checkpoint(s.path('img'));
  assert.equal(a.state().status, 'stopped', 'state right after checkpoint');
  await a.delete();
  await b.kill();
  assert.equal(b.state().status, 'stopped', 'state right after kill');
});
