// deferFlush (writer.ts): the image is complete and in place when writeImage resolves, with no file
// flushed yet; flushed then fsyncs every file written and the directories, and only after that removes
// the image the new one replaced (kept beside it until then, so a crash in between loses neither).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { readImage } from './reader.js';
import { writeImage } from './writer.js';

const root = scratch('image-flush');

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
