// A checkpoint image holds everything a restore needs (issue 10 point 1, issue 9 point 3), through the
// built command: the pod's spec as given and normalized, the kernel graph, memory, files, and the
// transformed module of each program, one layer per module named by its digest with the digest of the
// module as given. A restore on a fresh state root, with the .wasm file gone and an empty module cache
// (a machine that never saw either), needs no flag and no transform, and the count carries on.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheBesidesRecords, guest, succeeded } from './testing/amber.js';
import { fingerprint } from './testing/images.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Layer { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

function manifestOf(image: string): { layers: Layer[]; config: Layer } {
  const index = JSON.parse(readFileSync(join(image, 'index.json'), 'utf8')) as { manifests: Layer[] };
  const hex = index.manifests[0]?.digest.slice(7) ?? '';
  return JSON.parse(readFileSync(join(image, 'blobs', 'sha256', hex), 'utf8')) as { layers: Layer[]; config: Layer };
}

const ticks = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));

describe('self-contained images', () => {
  it('restore needs neither the .wasm nor a transform: the module travels in the image', async (t) => {
    const w = workspace('selfcontained', t);
    const module = w.path('ticker.wasm');
    copyFileSync(guest('ticker'), module);
    const given = [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: travel}', 'spec:', '  containers:',
      '  - name: ticker', '    image: ticker.wasm',
      '    args: ["--to", "16", "--every-ms", "250", "--file", "/data/ticks"]',
      '    volumeMounts: [{name: data, mountPath: /data}]',
      '  volumes: [{name: data, emptyDir: {}}]', '',
    ].join('\n');
    const spec = w.path('pod.yaml');
    writeFileSync(spec, given);
    await w.ok(['pod', 'run', spec, '--detach']);
    await until('tick 3', async () => ticks((await w.ok(['logs', 'travel'])).stdout).includes(3));
    const image = w.path('image');
    await w.ok(['checkpoint', 'travel', '--image-path', image]);
    const before = ticks((await w.ok(['logs', 'travel'])).stdout);
    const last = before[before.length - 1] ?? 0;
    assert.ok(last >= 3 && last < 16, `checkpointed after tick ${last}`);

    // One module layer, named by the transformed module's digest, with the digest of ticker.wasm.
    const manifest = manifestOf(image);
    const modules = manifest.layers.filter((l) => l.mediaType.startsWith('application/vnd.amber.checkpoint.module.'));
    assert.equal(modules.length, 1);
    const layer = modules[0] as Layer;
    assert.equal(layer.annotations?.['org.amber.module.source'], `sha256:${sha256(readFileSync(module))}`);
    assert.match(layer.annotations?.['org.amber.name'] ?? '', /^module\/[0-9a-f]{64}$/);

    // Another machine: a fresh state root, no ticker.wasm, an empty module cache.
    rmSync(module);
    const cache = w.path('cache');
    mkdirSync(cache);
    const prints = fingerprint(image);
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const r = succeeded(await w.amber(['restore', '--image-path', image], { env, root: w.path('elsewhere') }), 'restore with no flags');
    const after = ticks(r.stdout);
    assert.deepEqual(after, Array.from({ length: 16 - last }, (_, i) => last + 1 + i), r.stdout);
    assert.deepEqual(cacheBesidesRecords(cache), [], 'the restore transformed a module');
    assert.deepEqual(fingerprint(image), prints, 'the restore changed the image');
  });
});
