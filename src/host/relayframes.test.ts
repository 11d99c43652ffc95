// The frames between a sandbox and its relays: split anywhere, read whole, a big one joined once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAME, FrameReader, frame, u32Frame } from './relayframes.js';

test('frames split at every byte come out whole and in order', () => {
  const frames = [frame(FRAME.stdout, Buffer.from('hello')), frame(FRAME.wantStdin), u32Frame(FRAME.exit, 7), frame(FRAME.stderr, Buffer.from('x'))];
  const wire = Buffer.concat(frames);
  for (let cut = 0; cut <= wire.length; cut++) {
    const r = new FrameReader();
    const got = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
    assert.deepEqual(got.map((f) => [f.type, f.payload.toString('hex')]), [
      [FRAME.stdout, Buffer.from('hello').toString('hex')], [FRAME.wantStdin, ''], [FRAME.exit, '00000007'], [FRAME.stderr, '78'],
    ], `cut at ${cut}`);
  }
  const r = new FrameReader();
  const one = [...wire].flatMap((b) => r.push(Buffer.from([b])));
  assert.equal(one.length, 4, 'one byte at a time');
});

test('a frame of a MiB in 4 KiB chunks: each chunk kept as it comes, the payload exact', () => {
  const payload = Buffer.alloc(1 << 20);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const wire = Buffer.concat([frame(FRAME.stdout, payload), u32Frame(FRAME.exit, 0)]);
  const r = new FrameReader();
  const got = [];
  for (let at = 0; at < wire.length; at += 4096) got.push(...r.push(wire.subarray(at, at + 4096)));
  assert.equal(got.length, 2);
  assert.ok(got[0]?.payload.equals(payload));
  assert.equal(got[1]?.type, FRAME.exit);
});
