// The control protocol (host/control.ts): one request, progress lines only when asked for, one reply.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { callControl, fileProgress, PROGRESS_EVERY_MS, progressFile, readProgress, serveControl } from './control.js';
import { scratch } from './testing/scratch.js';

const dir = scratch('control');

test('progress lines before the reply when asked for, the reply alone otherwise', async () => {
  const socket = join(dir, 'control.sock');
  const server = await serveControl(socket, async (req, progress) => {
    for (let done = 0; done <= 3; done++) {
      progress(done, 3);
      await new Promise((res) => setTimeout(res, PROGRESS_EVERY_MS + 20));
    }
    return { ok: true, echo: (req as { n?: unknown }).n };
  });
  try {
    const seen: Array<[number, number]> = [];
    const reply = await callControl(socket, { op: 'x', n: 1 }, 10_000, { onProgress: (done, total) => void seen.push([done, total]) });
    assert.deepEqual(reply, { ok: true, echo: 1 });
    assert.deepEqual(seen, [[0, 3], [1, 3], [2, 3], [3, 3]]);
    assert.deepEqual(await callControl(socket, { op: 'x', n: 2 }, 10_000), { ok: true, echo: 2 });
  } finally {
    server.close();
  }
});

test('progress is sent at most every PROGRESS_EVERY_MS', async () => {
  const socket = join(dir, 'control2.sock');
  const server = await serveControl(socket, (_req, progress) => {
    for (let done = 0; done < 1000; done++) progress(done, 1000);
    return { ok: false, error: 'no' };
  });
  try {
    const seen: number[] = [];
    const reply = await callControl(socket, { op: 'x' }, 10_000, { onProgress: (done) => void seen.push(done) });
    assert.deepEqual(reply, { ok: false, error: 'no' });
    assert.deepEqual(seen, [0]);
  } finally {
    server.close();
  }
});

test('a restoring sandbox\'s progress file', () => {
  const file = progressFile(dir);
  assert.equal(readProgress(file), null);
  const report = fileProgress(file);
  report(5, 10);
  assert.deepEqual(readProgress(file), { done: 5, total: 10 });
  report(6, 10); // too soon: not written
  assert.deepEqual(readProgress(file), { done: 5, total: 10 });
  report(10, 10); // the end always is
  assert.deepEqual(readProgress(file), { done: 10, total: 10 });
});
