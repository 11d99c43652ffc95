// The progress line (cli/progress.ts): drawn in place on a terminal, erased at the end, nothing elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressLine } from './progress.js';

function fakeStream(isTTY: boolean, columns = 80): NodeJS.WriteStream & { out: string } {
  const s = { isTTY, columns, out: '', write(chunk: string) { s.out += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { out: string };
}

test('on a terminal: a bar redrawn in place (not more often than it can be read), then erased', () => {
  const s = fakeStream(true);
  const p = progressLine('checkpoint pod1', s);
  p.phase('pausing');
  p.update(0, 256 << 20); // too soon after the last draw: skipped
  p.update(256 << 20, 256 << 20); // the end is always drawn
  p.done();
  const frames = s.out.split('\r\x1b[K');
  assert.deepEqual(frames.slice(1).map((f) => f.replace(/\s+/g, ' ')), [
    'checkpoint pod1: pausing',
    'checkpoint pod1: [####################] 256.0/256.0 MiB 100%',
    '',
  ]);
});

test('a narrow terminal gets the line cut to fit, never wrapped', () => {
  const s = fakeStream(true, 30);
  const p = progressLine('checkpoint pod1', s);
  p.update(1, 2);
  assert.ok(s.out.split('\r\x1b[K').every((f) => f.length < 30));
});

test('not a terminal: nothing at all', () => {
  const s = fakeStream(false);
  const p = progressLine('restore', s);
  p.phase('starting');
  p.update(1, 2);
  p.done();
  assert.equal(s.out, '');
});
