// After `checkpoint` without leaveRunning, and after `kill`, returns, the pod is recorded as stopped
// (DESIGN.md §1: "After checkpoint without --leave-running the pod is stopped (state says so) until
// delete"): the sandbox writes the record before it answers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pod } from '../src/index.js';
import { guest } from './cli.js';

test('state says stopped, and delete works, as soon as checkpoint (or kill) returns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amber-race-'));
  const root = join(dir, 'root');
  const pod = join(dir, 'pod.yaml');
  writeFileSync(pod, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'race' },
    spec: { containers: [{ name: 'c', image: guest('e2e_counter'), args: ['--ticks', '100000', '--every-ms', '20'] }] } }));
  const a = await Pod.run(pod, { root, name: 'a' });
  const b = await Pod.run(pod, { root, name: 'b' });
  try {
    await a.checkpoint(join(dir, 'img'));
    assert.equal(a.state().status, 'stopped', 'state right after checkpoint');
    await a.delete();
    await b.kill();
    assert.equal(b.state().status, 'stopped', 'state right after kill');
  } finally {
    for (const p of [a, b]) await p.delete({ force: true }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});
