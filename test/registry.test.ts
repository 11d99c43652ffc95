// Checkpoint images through a real registry (issue 10 point 4): Debian's docker-registry on 127.0.0.1
// (test/testing/registry.ts), an image pushed with `skopeo copy`, shown by `skopeo inspect` as a wasip1/wasm
// image with the org.criu.checkpoint.* labels, pulled with `skopeo copy` into a fresh directory on a
// fresh state root with the module file gone and an empty module cache, restored: the program carries on.
// Needs docker-registry and skopeo (.ci/run installs them as root); fails saying so without them.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FORMAT_VERSION } from '../src/image/layout.js';
import { cacheBesidesRecords, guest, succeeded } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { PrivateRegistry, registryMissing, skopeo } from './testing/registry.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const ticks = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what}: exited ${r.code}\n${r.stderr}`);
  return r.stdout;
}

describe('registries', () => {
  it('skopeo copies an image to a registry and back; it restores where the module never was', async (t) => {
    const missing = registryMissing();
    assert.equal(missing, null, `the registry test cannot run: ${missing ?? ''}`);
    const w = workspace('registry', t);
    mkdirSync(w.path('registry'));
    const registry = await PrivateRegistry.start(w.path('registry'));
    t.after(() => registry.stop());

    copyFileSync(guest('ticker'), w.path('ticker.wasm'));
    const spec = manifest(w.dir, 'pod.yaml', 'travel', [
      { name: 'ticker', guest: 'ticker', image: 'ticker.wasm', args: ['--to', '32', '--every-ms', '250', '--file', '/data/ticks'], mounts: [{ name: 'data', mountPath: '/data' }] },
    ], [{ name: 'data', emptyDir: {} }]);
    await w.ok(['pod', 'run', spec, '--detach']);
    await until('tick 2', async () => ticks((await w.ok(['logs', 'travel'])).stdout).includes(2));
    const image = w.path('image');
    await w.ok(['checkpoint', 'travel', '--image-path', image, '--compress', 'zstd']);
    const last = Math.max(...ticks((await w.ok(['logs', 'travel'])).stdout));

    // skopeo inspect (no --raw) shows it, locally and in the registry, as a wasip1/wasm image.
    const ref = `docker://${registry.host}/amber/travel:v1`;
    ok(skopeo(['copy', '--dest-tls-verify=false', `oci:${image}:checkpoint`, ref]), 'skopeo copy to the registry');
    for (const args of [['inspect', `oci:${image}:checkpoint`], ['inspect', '--tls-verify=false', ref]]) {
      const info = JSON.parse(ok(skopeo(args), `skopeo ${args.join(' ')}`)) as { Architecture: string; Os: string; Labels: Record<string, string>; Layers: string[] };
      assert.equal(info.Architecture, 'wasm');
      assert.equal(info.Os, 'wasip1');
      assert.equal(info.Labels['org.criu.checkpoint.container.name'], 'ticker');
      assert.equal(info.Labels['org.criu.checkpoint.pod.name'], 'travel');
      assert.equal(info.Labels['org.criu.checkpoint.engine.name'], 'amber');
      assert.equal(info.Labels['org.amber.format.version'], String(FORMAT_VERSION));
      assert.ok(info.Layers.length >= 5);
    }

    // Another machine: the module gone, a fresh directory, a fresh state root, an empty module cache.
    rmSync(w.path('ticker.wasm'));
    const pulled = w.path('pulled');
    ok(skopeo(['copy', '--src-tls-verify=false', ref, `oci:${pulled}:checkpoint`]), 'skopeo copy from the registry');
    const cache = w.path('cache');
    mkdirSync(cache);
    const r = succeeded(await w.amber(['restore', '--image-path', pulled], { root: w.path('elsewhere'), env: { ...process.env, XDG_CACHE_HOME: cache } }), 'restore of the pulled image');
    assert.deepEqual(ticks(r.stdout), Array.from({ length: 32 - last }, (_, i) => last + 1 + i), r.stdout);
    assert.deepEqual(cacheBesidesRecords(cache), [], 'the restore transformed a module');
  });
});
