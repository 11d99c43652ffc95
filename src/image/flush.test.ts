// deferFlush (writer.ts): the image is complete and in place when writeImage resolves, with no file
// flushed yet; flushed then fsyncs every file written and the directories, and only after that removes
// the image the new one replaced (kept beside it until then, so a crash in between loses neither).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { ImageError } from './error.js';
import { readImage } from './reader.js';
import { recoverImagePath } from './recover.js';
import { writeImage } from './writer.js';

const root = scratch('image-flush');

/** A folder of its own under root, the image path in it (nothing there yet), and a store. */
function place(name: string): { folder: string; img: string; store: NodeImageStore } {
  const folder = join(root, name);
  mkdirSync(folder);
  return { folder, img: join(folder, 'img'), store: new NodeImageStore() };
}

describe('a write whose flush is deferred', () => {
  test('is in place at once; the replaced image goes only once every file is flushed', async () => {
    const synced: string[] = [];
    let writesSynced = 0;
    const store = new NodeImageStore();
    const spy: NodeImageStore = Object.create(store, {
      writeFile: { value: (p: string, b: Uint8Array, o?: { sync?: boolean }) => ((writesSynced += o?.sync === false ? 0 : 1), store.writeFile(p, b, o)) },
      syncFile: { value: (p: string) => (synced.push(p), store.syncFile(p)) },
    });
    const dir = join(root, 'img');
    await writeImage(store, dir, { podId: 'old', payloads: [{ name: 'kernel', bytes: new Uint8Array([1]) }] });
    const r = await writeImage(spy, dir, { podId: 'new', payloads: [{ name: 'kernel', bytes: new Uint8Array([2, 3]) }] }, { deferFlush: true });
    assert.equal(writesSynced, 0, 'a file was flushed before the image was in place');
    assert.equal(readImage(store, dir).config.podId, 'new');
    const aside = readdirSync(root).filter((f) => f.startsWith('img.old-'));
    assert.equal(aside.length, 1, 'the replaced image is kept until the new one is flushed');
    assert.deepEqual(await r.flushed, []);
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('img.old-')), []);
    for (const f of ['oci-layout', 'index.json', 'blobs/sha256', 'blobs', '']) assert.ok(synced.includes(join(dir, f).replace(/\/$/, '')), `${f} not flushed`);
    assert.ok(synced.filter((p) => p.includes('/blobs/sha256/')).length >= 3, 'blobs not flushed'); // config, manifest, payload
  });
});

/** A store whose owner tags "dead1"... name processes that died (recover.ts cleans their leftovers). */
class Owners extends NodeImageStore {
  override ownerAlive(tag: string): boolean {
    return !tag.startsWith('dead');
  }
}

/** store, its files' flushes held until open() (the rest of it as it is), and the paths flushed. */
function held(store: NodeImageStore): { store: NodeImageStore; open: () => void; synced: string[] } {
  let open = (): void => {};
  const gate = new Promise<void>((res) => {
    open = res;
  });
  const synced: string[] = [];
  const spy: NodeImageStore = Object.create(store, {
    syncFile: { value: async (p: string) => (await gate, synced.push(p), store.syncFile(p)) },
  });
  return { store: spy, open, synced };
}

const names = (dir: string): string[] => readdirSync(dir).sort();
const podAt = (dir: string): string => readImage(new NodeImageStore(), dir).config.podId;
/** Every file of the image at dir (what a flush of it must reach). */
const filesOf = (dir: string): string[] => ['oci-layout', 'index.json', ...readdirSync(join(dir, 'blobs', 'sha256')).map((b) => `blobs/sha256/${b}`)].map((f) => join(dir, f));

/**
 * The image a restart would find at folder/img had this process died now, its files as they are (or,
 * with lost, those of img as if none had reached the disk: emptied): a copy, its leftovers named after a
 * dead process, cleaned by recover.ts.
 */
async function afterCrash(folder: string, lost: boolean): Promise<string> {
  const copy = `${folder}-crash${lost ? '-lost' : ''}`;
  mkdirSync(copy);
  for (const n of readdirSync(folder)) cpSync(join(folder, n), join(copy, n.replace(`-${process.pid}-`, '-dead1-')), { recursive: true });
  if (lost) for (const f of filesOf(join(copy, 'img')).filter((f) => f.includes('/blobs/'))) truncateSync(f, 0);
  await recoverImagePath(new Owners(), join(copy, 'img'));
  assert.deepEqual(names(copy), ['img'], 'recovery left more than the image');
  return podAt(join(copy, 'img'));
}

const shared = new Uint8Array(40_000).fill(7);
/** Image k of pod: a payload of its own, one every image shares (linked from its parent), created on day k. */
const contentsOf = (podId: string, k: number) => ({
  podId,
  created: `2026-01-0${k + 1}T00:00:00.000Z`,
  payloads: [{ name: 'kernel', bytes: new Uint8Array([k, k]) }, { name: 'memory', bytes: shared }],
});
const asides = (folder: string): string[] => names(folder).filter((n) => n.startsWith('img.old-'));

describe('a deferred write into the path of an image still flushing', () => {
  test('sets that one aside beside the one on disk; the new one, once flushed (every file of it), removes both', async () => {
    const { folder, img, store } = place('overtaken');
    await writeImage(store, img, contentsOf('zero', 0));
    const h = held(store);
    const one = await writeImage(h.store, img, contentsOf('one', 1), { deferFlush: true, parent: img });
    const synced: string[] = [];
    const spy: NodeImageStore = Object.create(store, { syncFile: { value: (p: string) => (synced.push(p), store.syncFile(p)) } });
    const two = await writeImage(spy, img, contentsOf('two', 2), { deferFlush: true, parent: img });
    assert.equal(podAt(img), 'two');
    assert.equal(asides(folder).length, 2, 'zero (on disk) and one (not yet) are not both set aside');
    // A crash now leaves two, else the newest image set aside that is whole.
    assert.equal(await afterCrash(folder, false), 'two');
    assert.equal(await afterCrash(folder, true), 'one');
    assert.deepEqual(await two.flushed, []);
    for (const f of filesOf(img)) assert.ok(synced.includes(f), `${f} was not flushed (two holds it)`);
    assert.deepEqual(names(folder), ['img']);
    // one's flush, overtaken and its image removed, says so (no warning) and removes nothing more.
    h.open();
    const notes = await one.flushed;
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /^replaced by a later checkpoint before its flush was done; that one was flushed first/);
    assert.deepEqual(names(folder), ['img']);
    assert.equal(podAt(img), 'two');
    await readImage(store, img).verified();
  });

  test('an image set aside while it is flushed is flushed where it went, then removes what is older, not what is newer', async () => {
    const { folder, img, store } = place('followed');
    await writeImage(store, img, contentsOf('zero', 0));
    const h1 = held(store);
    const one = await writeImage(h1.store, img, contentsOf('one', 1), { deferFlush: true, parent: img });
    const h2 = held(store);
    const two = await writeImage(h2.store, img, contentsOf('two', 2), { deferFlush: true, parent: img });
    const h3 = held(store);
    const three = await writeImage(h3.store, img, contentsOf('three', 3), { deferFlush: true, parent: img });
    const byPod = new Map(asides(folder).map((a) => [podAt(join(folder, a)), a]));
    assert.deepEqual([...byPod.keys()].sort(), ['one', 'two', 'zero']);
    h1.open();
    const notes = await one.flushed;
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', new RegExp(`^replaced by a later checkpoint before its flush was done; flushed where it was set aside, .*${byPod.get('one')}`));
    for (const f of filesOf(join(folder, byPod.get('one') ?? ''))) assert.ok(h1.synced.includes(f), `${f} was not flushed where one went`);
    assert.deepEqual(asides(folder), [byPod.get('one'), byPod.get('two')].sort(), 'zero, older than one, is kept, or two, newer, is not');
    assert.equal(await afterCrash(folder, true), 'two');
    h2.open();
    assert.match((await two.flushed).join('\n'), /flushed where it was set aside/);
    assert.deepEqual(asides(folder), [byPod.get('two')]);
    h3.open();
    assert.deepEqual(await three.flushed, []);
    assert.deepEqual(names(folder), ['img']);
    await readImage(store, img).verified();
  });

  test('the first image at a path, replaced before its flush is done, is set aside until the new one is flushed', async () => {
    const { folder, img, store } = place('first');
    const h = held(store);
    const one = await writeImage(h.store, img, contentsOf('one', 1), { deferFlush: true });
    const two = await writeImage(store, img, contentsOf('two', 2), { deferFlush: true, parent: img });
    assert.equal(asides(folder).length, 1);
    assert.equal(await afterCrash(folder, false), 'two');
    assert.equal(await afterCrash(folder, true), 'one');
    assert.deepEqual(await two.flushed, []);
    assert.deepEqual(names(folder), ['img']);
    h.open();
    assert.match((await one.flushed).join('\n'), /^replaced by a later checkpoint/);
    assert.equal(podAt(img), 'two');
    await readImage(store, img).verified();
  });

  test('one that fails leaves the image there as it was, its flush and what it set aside untouched', async () => {
    const { folder, img, store } = place('failed');
    await writeImage(store, img, contentsOf('zero', 0));
    const h = held(store);
    const one = await writeImage(h.store, img, contentsOf('one', 1), { deferFlush: true, parent: img });
    const before = names(folder);
    const failing: NodeImageStore = Object.create(store, { writeFile: { value: () => Promise.reject(new ImageError('disk full')) } });
    await assert.rejects(writeImage(failing, img, contentsOf('two', 2), { deferFlush: true, parent: img }), /disk full/);
    assert.deepEqual(names(folder), before);
    assert.equal(podAt(img), 'one');
    h.open();
    assert.deepEqual(await one.flushed, []);
    assert.deepEqual(names(folder), ['img']);
    assert.ok(filesOf(img).every((f) => h.synced.includes(f)));
    await readImage(store, img).verified();
  });
});
