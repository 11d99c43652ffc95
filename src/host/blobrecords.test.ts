// The records of verified blobs (blobrecords.ts) and the store's use of them (imagestore.ts): a record
// vouches only for the very file, size and mtime it was written for and the hex it names; a file
// modified just now is not recorded; a garbled record, or a folder that cannot be made, is no record.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BlobRecords } from './blobrecords.js';
import { NodeImageStore } from './imagestore.js';
import { scratch } from './testing/scratch.js';

const root = scratch('blobrecords');
const HEX = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
let n = 0;

/** A new file holding text, modified a minute ago (past any racy window) unless told otherwise. */
function file(text: string, ageSeconds = 60): string {
  const path = join(root, `f${n++}`);
  writeFileSync(path, text);
  const t = Date.now() / 1000 - ageSeconds;
  if (ageSeconds > 0) utimesSync(path, t, t);
  return path;
}

const st = (path: string) => statSync(path, { bigint: true });

describe('a record of a verified blob file', () => {
  test('vouches for its file at its size and mtime holding its hex, and for nothing else', () => {
    const records = new BlobRecords(join(root, 'r1'));
    const path = file('0123456789');
    assert.equal(records.vouches(st(path), HEX), false, 'no record yet');
    assert.equal(records.record(st(path), HEX), 'recorded');
    assert.equal(records.vouches(st(path), HEX), true);
    assert.equal(records.vouches(st(path), OTHER), false, 'another hex');
    // The same size, another mtime (what a write in place does): no longer.
    const t = Date.now() / 1000 - 30;
    writeFileSync(path, '0123456789');
    utimesSync(path, t, t);
    assert.equal(records.vouches(st(path), HEX), false, 'another mtime');
    // The same file and mtime, another size.
    const other = file('01234567890', 60);
    const s = st(other);
    assert.equal(records.record(s, HEX), 'recorded');
    assert.equal(records.vouches(s, HEX), true);
    const like = (o: Partial<BigIntStats>): BigIntStats => ({ dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, birthtimeNs: s.birthtimeNs, ...o }) as BigIntStats;
    assert.equal(records.vouches(like({}), HEX), true);
    assert.equal(records.vouches(like({ size: s.size + 1n }), HEX), false, 'another size');
    // A new file in the same inode, its mtime set to the recorded one's (tar, cp -p): born later.
    assert.equal(records.vouches(like({ birthtimeNs: s.birthtimeNs + 1n }), HEX), false, 'another birth time');
    // Another file (inode) with the same size and mtime as the recorded one has no record.
    const twin = file('01234567890', 60);
    assert.equal(records.vouches(st(twin), HEX), false, 'another inode');
  });

  test('is not written for a file modified within the racy window', () => {
    const records = new BlobRecords(join(root, 'r2'));
    const fresh = file('new', 0);
    assert.equal(records.record(st(fresh), HEX), 'racy');
    assert.equal(records.vouches(st(fresh), HEX), false);
  });

  test('garbled, or in a folder that cannot be made, is no record and no error', () => {
    const dir = join(root, 'r3');
    const records = new BlobRecords(dir);
    const path = file('bytes');
    assert.equal(records.record(st(path), HEX), 'recorded');
    const s = st(path);
    const recordFile = join(dir, `${s.dev}-${s.ino}`);
    for (const garbled of ['', 'garbage', `${HEX} ${s.size}\n`, `${HEX} ${s.size} ${s.mtimeNs}\nmore`, `${HEX.toUpperCase()} ${s.size} ${s.mtimeNs}\n`, 'x'.repeat(1 << 16)]) {
      writeFileSync(recordFile, garbled);
      assert.equal(records.vouches(s, HEX), false, JSON.stringify(garbled.slice(0, 80)));
    }
    const blocked = new BlobRecords(join(file('a file where the folder would be'), 'verified'));
    assert.equal(blocked.record(s, HEX), 'refused');
    assert.equal(blocked.vouches(s, HEX), false);
  });
});

describe('the records folder', () => {
  test('is pruned at most once an hour: records past their age, leftovers of a dead writer, the oldest past the most kept', async () => {
    const dir = join(root, 'r6');
    const records = new BlobRecords(dir);
    const now = Date.now();
    const later = now + 2 * 3600 * 1000;
    /** A file days old at `later`. */
    const aged = (name: string, days: number): void => {
      writeFileSync(join(dir, name), 'x');
      const t = (later - days * 24 * 3600 * 1000) / 1000;
      utimesSync(join(dir, name), t, t);
    };
    mkdirSync(dir);
    assert.equal(await records.prune({ now }), 0, 'nothing to remove, and stamped');
    for (const [name, days] of [['1-1', 40], ['1-2', 3], ['1-3', 2], ['1-4', 1], ['1-5.123.abc.tmp', 1], ['1-6.123.def.tmp', 0]] as const) aged(name, days);
    assert.equal(await records.prune({ now, max: 100 }), 0, 'pruned less than an hour ago: not yet');
    const left = (): string[] => readdirSync(dir).filter((n) => n !== '.pruned').sort();
    const before = left();
    assert.equal(await records.prune({ now: later, max: 2 }), 3);
    // Gone: the 40-day-old record, the day-old leftover, and the oldest record past 2 (1-2, 3 days old).
    assert.deepEqual(before.filter((n) => !left().includes(n)).sort(), ['1-1', '1-2', '1-5.123.abc.tmp']);
    assert.ok(left().includes('1-6.123.def.tmp'), 'a temporary record of a writer that may still be writing stays');
    assert.deepEqual(left().filter((n) => !n.endsWith('.tmp')), ['1-3', '1-4']);
    assert.ok(existsSync(join(dir, '.pruned')));
    assert.equal(await records.prune({ now: later + 1000, max: 0 }), 0, 'stamped: not again within the hour');
  });

  test("is pruned by a records' first record once the last prune is an hour old", async () => {
    const dir = join(root, 'r7');
    mkdirSync(dir);
    writeFileSync(join(dir, '1-1'), 'x');
    const t = (Date.now() - 40 * 24 * 3600 * 1000) / 1000;
    utimesSync(join(dir, '1-1'), t, t);
    assert.equal(new BlobRecords(dir).record(st(file('a blob')), HEX), 'recorded');
    for (let waited = 0; existsSync(join(dir, '1-1')) && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.equal(existsSync(join(dir, '1-1')), false, 'the 40-day-old record is gone');
    assert.equal(readdirSync(dir).filter((n) => !n.startsWith('.')).length, 1, 'the new record stays');
  });
});

describe('a store with records', () => {
  test('remembers a file still as identified, and its readers vouch for it while it is unchanged', () => {
    const store = new NodeImageStore({ verified: join(root, 'r4') });
    const path = file('payload');
    const id = store.identity(path) ?? '';
    assert.equal(store.remember(path, HEX, id), 'recorded');
    const r = store.open(path);
    assert.ok(r !== null);
    assert.equal(r.vouched?.(HEX), true);
    assert.equal(r.vouched?.(OTHER), false);
    assert.equal(r.unchanged?.(), true);
    assert.ok(r.identity?.() !== null, 'a file modified a minute before it was opened is not racy');
    writeFileSync(path, 'PAYLOAD'); // changed while open: the same inode and size, a new mtime
    assert.equal(r.unchanged?.(), false);
    r.close();
    // Not recorded once it changed since it was identified; and a store without records keeps none.
    assert.equal(store.remember(path, HEX, id), 'refused');
    assert.equal(new NodeImageStore().remember(path, HEX, store.identity(path) ?? ''), 'refused');
    assert.equal(new NodeImageStore().open(path)?.vouched?.(HEX), false);
  });

  test('does not remember a file modified after the time its writer says it was done with it: it has no identity to remember', () => {
    const store = new NodeImageStore({ verified: join(root, 'r8') });
    const path = file('payload'); // modified a minute ago
    assert.equal(store.identity(path, Date.now() - 120_000), null, 'done two minutes ago: modified since');
    assert.equal(store.open(path)?.vouched?.(HEX), false);
    const id = store.identity(path, Date.now() - 30_000);
    assert.ok(id !== null, 'done half a minute ago: not modified since');
    assert.equal(store.remember(path, HEX, id), 'recorded');
  });

  test('a reader of a file modified just before it was opened gives no identity to remember', () => {
    const store = new NodeImageStore({ verified: join(root, 'r5') });
    const r = store.open(file('fresh', 0));
    assert.ok(r !== null);
    assert.equal(r.identity?.(), null);
    r.close();
  });
});
