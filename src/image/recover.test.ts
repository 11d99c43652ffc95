// recover.ts: the siblings a checkpoint leaves when its process dies (DIR.tmp-<owner>-*, DIR.old-<owner>-*)
// are cleaned by the next checkpoint or restore of DIR, keeping whichever image is whole; a live owner's,
// an unowned name and a DIR that is not an image are left alone.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { readImage } from './reader.js';
import { recoverImagePath, staleLeftovers } from './recover.js';
import { writeImage } from './writer.js';

const root = scratch('image-recover');

/** A store whose owner tags are "live1", "live2"...: alive; "dead1"...: dead. */
class Owners extends NodeImageStore {
  override ownerAlive(tag: string): boolean {
    return tag.startsWith('live');
  }
}
const store = new Owners();

let n = 0;
/** A fresh folder with an image of pod `pod` at <folder>/img; the folder. */
async function withImage(pod: string): Promise<string> {
  const dir = join(root, `case${n++}`);
  mkdirSync(dir);
  await writeImage(store, join(dir, 'img'), { podId: pod, payloads: [{ name: 'kernel', bytes: new Uint8Array(5000).fill(n) }] });
  return dir;
}

const podAt = (dir: string): string => readImage(store, dir).config.podId;
const names = (dir: string): string[] => readdirSync(dir).sort();

describe('recovering an image path after a checkpoint whose process died', () => {
  test('the writer names its siblings after its process', async () => {
    const dir = await withImage('a');
    const img = join(dir, 'img');
    const r = await writeImage(new NodeImageStore(), img, { podId: 'b', payloads: [{ name: 'kernel', bytes: new Uint8Array([1]) }] }, { deferFlush: true });
    assert.deepEqual(names(dir).filter((f) => f !== 'img').map((f) => f.replace(/[0-9a-f]{12}$/, 'X')), [`img.old-${process.pid}-X`]);
    assert.deepEqual(staleLeftovers(new NodeImageStore(), img), [], 'this process is alive: its flush is not a leftover');
    await r.flushed;
    assert.deepEqual(names(dir), ['img']);
  });

  test("a dead writer's temporary image is removed; a live one's and an unowned name are kept", async () => {
    const dir = await withImage('a');
    for (const s of ['img.tmp-dead1-0a0a0a0a0a0a', 'img.tmp-live1-0b0b0b0b0b0b', 'img.tmp-0c0c0c0c0c0c', 'imgx.tmp-dead2-0d0d0d0d0d0d']) {
      mkdirSync(join(dir, s, 'blobs'), { recursive: true });
    }
    const done = await recoverImagePath(store, join(dir, 'img'));
    assert.equal(done.length, 1);
    assert.match(done[0] ?? '', /^removed .*img\.tmp-dead1-0a0a0a0a0a0a: the unfinished image of a checkpoint whose process \(dead1\) died$/);
    assert.deepEqual(names(dir), ['img', 'img.tmp-0c0c0c0c0c0c', 'img.tmp-live1-0b0b0b0b0b0b', 'imgx.tmp-dead2-0d0d0d0d0d0d']);
    assert.equal(podAt(join(dir, 'img')), 'a');
    assert.deepEqual(await recoverImagePath(store, join(dir, 'img')), [], 'nothing stale: nothing done');
  });

  test('killed between the renames: DIR missing, the image set aside is put back', async () => {
    const dir = await withImage('before');
    // The first rename done (img set aside), the second not (the new image still at its temporary name).
    cpSync(join(dir, 'img'), join(dir, 'img.tmp-dead1-0b0b0b0b0b0b'), { recursive: true });
    renameSync(join(dir, 'img'), join(dir, 'img.old-dead1-0a0a0a0a0a0a'));
    const done = await recoverImagePath(store, join(dir, 'img'));
    assert.deepEqual(names(dir), ['img']);
    assert.equal(podAt(join(dir, 'img')), 'before');
    assert.ok(done.some((l) => /put .*img\.old-dead1-0a0a0a0a0a0a back at .*img: nothing was there/.test(l)), done.join('\n'));
  });

  test('DIR damaged, two images set aside: the newest whole one is put back, whatever the names say', async () => {
    const dir = join(root, `case${n++}`);
    mkdirSync(dir);
    await writeImage(store, join(dir, 'img'), { podId: 'older', created: '2026-01-01T00:00:00.000Z', payloads: [{ name: 'kernel', bytes: new Uint8Array([0]) }] });
    renameSync(join(dir, 'img'), join(dir, 'img.old-dead1-0a0a0a0a0a0a'));
    await writeImage(store, join(dir, 'img'), { podId: 'newer', created: '2026-01-02T00:00:00.000Z', payloads: [{ name: 'kernel', bytes: new Uint8Array([1]) }] });
    renameSync(join(dir, 'img'), join(dir, 'img.old-dead1-0b0b0b0b0b0b'));
    await writeImage(store, join(dir, 'img'), { podId: 'newest', payloads: [{ name: 'kernel', bytes: new Uint8Array([2]) }] });
    writeFileSync(join(dir, 'img', 'index.json'), '{');
    const done = await recoverImagePath(store, join(dir, 'img'));
    assert.deepEqual(names(dir), ['img']);
    assert.equal(podAt(join(dir, 'img')), 'newer', done.join('\n'));
  });

  test('killed before the flush finished: DIR verifies, so it is flushed and the one set aside removed', async () => {
    const dir = await withImage('before');
    cpSync(join(dir, 'img'), join(dir, 'img.old-dead1-0a0a0a0a0a0a'), { recursive: true });
    await writeImage(store, join(dir, 'img'), { podId: 'after', payloads: [{ name: 'kernel', bytes: new Uint8Array([9]) }] });
    const done = await recoverImagePath(store, join(dir, 'img'));
    assert.deepEqual(names(dir), ['img']);
    assert.equal(podAt(join(dir, 'img')), 'after');
    assert.match(done.join('\n'), /removed .*img\.old-dead1-0a0a0a0a0a0a: the image before .*img, kept until a flush its process \(dead1\) did not finish; .*img verified and flushed/);
  });

  test('DIR damaged (its flush lost) and the one set aside whole: the whole one is put back', async () => {
    const dir = await withImage('before');
    cpSync(join(dir, 'img'), join(dir, 'img.old-dead1-0a0a0a0a0a0a'), { recursive: true });
    await writeImage(store, join(dir, 'img'), { podId: 'after', payloads: [{ name: 'kernel', bytes: new Uint8Array(5000).fill(7) }] });
    const blobs = join(dir, 'img', 'blobs', 'sha256');
    const big = readdirSync(blobs).find((f) => readFileSync(join(blobs, f)).length === 5000) ?? assert.fail('no payload blob');
    writeFileSync(join(blobs, big), new Uint8Array(5000));
    const done = await recoverImagePath(store, join(dir, 'img'));
    assert.deepEqual(names(dir), ['img']);
    assert.equal(podAt(join(dir, 'img')), 'before');
    assert.match(done.join('\n'), /put .*img\.old-dead1-0a0a0a0a0a0a back at .*img: .*img was damaged/);
  });

  test('a live writer still flushing, or DIR not an image: the image set aside is left alone', async () => {
    const dir = await withImage('before');
    cpSync(join(dir, 'img'), join(dir, 'img.old-live1-0a0a0a0a0a0a'), { recursive: true });
    assert.deepEqual(await recoverImagePath(store, join(dir, 'img')), []);
    assert.deepEqual(names(dir), ['img', 'img.old-live1-0a0a0a0a0a0a']);
    const other = join(root, 'other');
    mkdirSync(join(other, 'img'), { recursive: true });
    writeFileSync(join(other, 'img', 'notes.txt'), 'mine');
    cpSync(join(dir, 'img'), join(other, 'img.old-dead1-0a0a0a0a0a0a'), { recursive: true });
    assert.deepEqual(await recoverImagePath(store, join(other, 'img')), []);
    assert.deepEqual(names(other), ['img', 'img.old-dead1-0a0a0a0a0a0a']);
  });
});
