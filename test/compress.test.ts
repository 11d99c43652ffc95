// Compressed images through the built command: `checkpoint --compress gzip|zstd` writes layers an OCI
// client reads (media types +gzip/+zstd, each blob one stream of its codec), smaller than raw, as asked
// even when the parent (named, or the last cut's) was written otherwise; a restore reads either.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { guest, succeeded } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

interface Layer { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

function layersOf(image: string): Layer[] {
  const index = JSON.parse(readFileSync(join(image, 'index.json'), 'utf8')) as { manifests: Layer[] };
  const hex = index.manifests[0]?.digest.slice(7) ?? '';
  return (JSON.parse(readFileSync(join(image, 'blobs', 'sha256', hex), 'utf8')) as { layers: Layer[] }).layers;
}

const onDisk = (image: string): number => layersOf(image).reduce((n, l) => n + l.size, 0);
const ticks = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));

describe('compressed images', () => {
  it('gzip and zstd layers: smaller, standard, restorable, as asked whatever the parent\'s codec', async (t) => {
    const w = workspace('compress', t);
    const spec = manifest(w.dir, 'pod.yaml', 'squeeze', [
      { name: 'ticker', guest: 'ticker', args: ['--to', '48', '--every-ms', '250', '--file', '/data/ticks'], mounts: [{ name: 'data', mountPath: '/data' }] },
    ], [{ name: 'data', emptyDir: {} }]);
    await w.ok(['pod', 'run', spec, '--detach']);
    await until('tick 2', async () => ticks((await w.ok(['logs', 'squeeze'])).stdout).includes(2));
    const raw = w.path('raw');
    const gz = w.path('gz');
    const zst = w.path('zst');
    await w.ok(['checkpoint', 'squeeze', '--image-path', raw, '--leave-running']);
    await w.ok(['checkpoint', 'squeeze', '--image-path', gz, '--leave-running', '--compress', 'gzip']);
    await w.ok(['checkpoint', 'squeeze', '--image-path', zst, '--compress', 'zstd', '--parent-path', gz]);
    const last = Math.max(...ticks((await w.ok(['logs', 'squeeze'])).stdout));

    const module = (image: string): Layer | undefined => layersOf(image).find((l) => l.mediaType.startsWith('application/vnd.amber.checkpoint.module.'));
    for (const [image, codec] of [[gz, 'gzip'], [zst, 'zstd']] as const) {
      const layers = layersOf(image);
      // The memory and the module are big enough to compress (small payloads stay raw), whatever the
      // parent: the raw image of the last cut for gz, the gzip image for zst.
      assert.ok(layers.some((l) => l.mediaType === `application/vnd.amber.checkpoint.memory.v1+${codec}`), JSON.stringify(layers));
      assert.equal(module(image)?.mediaType, `application/vnd.amber.checkpoint.module.v1+${codec}`);
      assert.ok(onDisk(image) < onDisk(raw) * 0.7, `${codec}: ${onDisk(image)} bytes against ${onDisk(raw)} raw`);
      for (const l of layers.filter((x) => /\+(gzip|zstd)$/.test(x.mediaType))) {
        const blob = readFileSync(join(image, 'blobs', 'sha256', l.digest.slice(7)));
        if (l.mediaType.endsWith('+gzip')) assert.equal(gunzipSync(blob).length, Number(l.annotations?.['org.amber.size']));
        else assert.equal(blob.readUInt32LE(0), 0xfd2fb528); // a zstd frame
      }
    }
    // The last checkpoint (zstd, parent gzip) restores on another root and counts on to the end.
    const r = succeeded(await w.amber(['restore', '--image-path', zst], { root: w.path('elsewhere') }), 'restore of a zstd image');
    assert.deepEqual(ticks(r.stdout), Array.from({ length: 48 - last }, (_, i) => last + 1 + i), r.stdout);
    const inspected = succeeded(await w.amber(['inspect', gz]), 'inspect of a gzip image').stdout;
    assert.match(inspected, /^Pod +squeeze$/m);
  });
});
