// Image format versions through the built command: an image of every format Amber ever wrote, committed
// under test/fixtures/images/ as that Amber wrote it, restores with this one (each fixture's README says
// how it was made and what a restore prints), never changed by the restore; an image of a newer format
// than this Amber reads is refused in one line naming both versions. A format change adds a fixture.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FORMAT_VERSION } from '../src/image/layout.js';
import { cacheBesidesRecords, repo, succeeded, userError } from './testing/amber.js';
import { editImage, fingerprint, layers } from './testing/images.js';
import { workspace } from './testing/workspace.js';

const fixtures = join(repo, 'test', 'fixtures', 'images');

describe('image formats', () => {
  it('format 1: a ticker pod stopped after tick 5 restores with its transformed module given by --spec, and counts on', async (t) => {
    const fixture = join(fixtures, 'v1-ticker');
    const image = join(fixture, 'image');
    const before = fingerprint(image);
    const w = workspace('format1', t);
    // A fresh state root: the pod, its module file and its transform were never seen here.
    const r = succeeded(await w.amber(['restore', '--image-path', image, '--spec', join(fixture, 'pod.yaml')]), 'restore of the format-1 fixture');
    assert.equal(r.stdout, 'ticker | tick 6\nticker | tick 7\nticker | tick 8\n');
    assert.deepEqual(fingerprint(image), before, 'the restore changed the fixture');
  });

  // Format 2 carries its module: no flag, no .wasm, an empty module cache, nothing transformed.
  for (const [fixture, first] of [['v2-ticker-raw', 5], ['v2-ticker-zstd', 4]] as const) {
    it(`format 2 (${fixture}): restores with no flag on a machine that never saw the pod, and counts on`, async (t) => {
      const image = join(fixtures, fixture, 'image');
      const before = fingerprint(image);
      const w = workspace('format2', t);
      const cache = w.path('cache');
      mkdirSync(cache);
      const r = succeeded(await w.amber(['restore', '--image-path', image], { env: { ...process.env, XDG_CACHE_HOME: cache } }), `restore of ${fixture}`);
      const want = Array.from({ length: 9 - first }, (_, i) => `ticker | tick ${first + i}\n`).join('');
      assert.equal(r.stdout, want);
      assert.deepEqual(cacheBesidesRecords(cache), [], 'the restore transformed a module');
      assert.deepEqual(fingerprint(image), before, 'the restore changed the fixture');
    });
  }

  // Format 3 adds patch layers over a payload's parts: an incremental checkpoint's memory.
  it('format 3 (v3-ticker-incremental): an incremental image, its memory a base part and a patch, restores alone and counts on', async (t) => {
    const image = join(fixtures, 'v3-ticker-incremental', 'image');
    const patches = layers(image).filter((l) => l.annotations?.['org.amber.patch'] !== undefined);
    assert.deepEqual(patches.map((l) => [l.mediaType, l.annotations?.['org.amber.name']]), [['application/vnd.amber.checkpoint.patch.v1', 'memory/ticker']]);
    const before = fingerprint(image);
    const w = workspace('format3', t);
    const r = succeeded(await w.amber(['restore', '--image-path', image]), 'restore of v3-ticker-incremental');
    assert.equal(r.stdout, 'ticker | tick 5\nticker | tick 6\nticker | tick 7\nticker | tick 8\n');
    assert.deepEqual(fingerprint(image), before, 'the restore changed the fixture');
    const shown = succeeded(await w.amber(['inspect', image]), 'inspect of v3-ticker-incremental');
    assert.match(shown.stdout, /memory\/ticker +memory +128\.0 KiB +1 \+ 1 patch\n/);
  });

  it('an image of a newer format is refused in one line naming both versions', async (t) => {
    const w = workspace('format-newer', t);
    const image = w.path('image');
    cpSync(join(fixtures, 'v2-ticker-raw', 'image'), image, { recursive: true });
    const newer = FORMAT_VERSION + 1;
    editImage(image, { config: (c) => { (c['org.amber.checkpoint'] as Record<string, unknown>)['version'] = newer; } });
    const before = fingerprint(image);
    const r = await w.amber(['restore', '--image-path', image]);
    userError(r, 'restore of a newer format');
    assert.match(r.stderr, new RegExp(`^amber: ${image}: was written by amber-checkpoint format version ${newer}; this Amber reads version ${FORMAT_VERSION}\\n$`));
    const inspected = await w.amber(['inspect', image]);
    userError(inspected, 'inspect of a newer format');
    assert.match(inspected.stderr, new RegExp(`format version ${newer}; this Amber reads version ${FORMAT_VERSION}\\n$`));
    assert.deepEqual(fingerprint(image), before);
  });
});
