import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { processAlive } from './pidalive.js';

const state = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat[stat.lastIndexOf(')') + 2] ?? '?';
};

test('a running process is alive; a zombie its parent has not reaped is not; nor is a pid that is gone', async () => {
  assert.equal(processAlive(process.pid), true);
  // sh starts a short sleep, prints its pid and becomes a long sleep that never reaps it: a zombie.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const pid = await new Promise<number>((res) => parent.stdout.once('data', (d: Buffer) => res(Number(String(d).trim()))));
    assert.equal(processAlive(pid), true, 'the short sleep is running');
    const deadline = Date.now() + 10_000;
    while (state(pid) !== 'Z') {
      assert.ok(Date.now() < deadline, 'the short sleep never became a zombie');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(processAlive(pid), false, 'a zombie runs no more');
  } finally {
    parent.kill('SIGKILL');
  }
  assert.equal(processAlive(0), false);
  assert.equal(processAlive(2 ** 31 - 2), false);
});
