// `amber inspect` as checkpointctl's show and inspect --stats, through the built command: the pod's
// metadata (namespace, labels, annotations), each container's args and env, the engine, the statistics
// the checkpoint stored (pause, total, bytes scanned, written and reused), and several images or archives
// at once as one table (an array with --json); an image of format 1 says it has no statistics.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FORMAT_VERSION } from '../src/image/layout.js';
import { amber, guest, repo, succeeded, userError, type RunResult } from './testing/amber.js';
import { fingerprint } from './testing/images.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const ok = (r: RunResult, what: string): string => succeeded(r, what).stdout;
const ticks = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
const v1 = join(repo, 'test', 'fixtures', 'images', 'v1-ticker', 'image');

interface Json {
  image: string;
  podId: string;
  size: { onDisk: number; payloads: number };
  metadata: { namespace?: string; labels: Record<string, string>; annotations: Record<string, string> } | null;
  annotations: Record<string, string>;
  containers: Array<{ name: string; args: string[]; env: string[] }>;
  stats: Record<string, number | null> | null;
}

describe('amber inspect: metadata, --stats, several images', () => {
  const w = workspace('inspectmeta');
  const [a, b] = [w.path('a'), w.path('b')];
  const archive = w.path('c.tar.gz');
  let prints: Array<Record<string, string>> = [];

  before(async () => {
    copyFileSync(guest('ticker'), w.path('ticker.wasm'));
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'shopfront', namespace: 'shop', labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/owner': 'ops team' } },
      spec: {
        containers: [{
          name: 'ticker', image: 'ticker.wasm', args: ['--to', '100000', '--every-ms', '20', '--file', '/data/ticks'],
          env: [{ name: 'GREETING', value: 'hello world' }, { name: 'MODE', value: 'fast' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        }],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    };
    writeFileSync(w.path('pod.yaml'), JSON.stringify(pod));
    await w.ok(['pod', 'run', '--detach', w.path('pod.yaml')]);
    await until('tick 2', async () => ticks((await w.ok(['logs', 'shopfront'])).stdout).includes(2));
    await w.ok(['checkpoint', 'shopfront', '--image-path', a, '--leave-running']);
    // Incremental: the sandbox kept a's cut, so most of b is linked from a.
    await w.ok(['checkpoint', 'shopfront', '--image-path', b, '--leave-running']);
    await w.ok(['checkpoint', 'shopfront', '--export', archive]);
    prints = [a, b].map(fingerprint);
  });

  it("shows the pod's namespace, labels and annotations, the engine, each container's args and env", () => {
    const out = ok(amber(['inspect', a]), 'inspect');
    assert.match(out, /^Namespace +shop$/m);
    assert.match(out, /^Labels +app=web, tier=front$/m);
    assert.match(out, /^Annotations +example\.com\/owner=ops team$/m);
    assert.match(out, /^Engine +amber \d+\.\d+\.\d+ \(\w+\)$/m);
    assert.match(out, /^Args and env\n  ticker +args +ticker\.wasm --to 100000 --every-ms 20 --file \/data\/ticks\n +env +GREETING=hello world\n +MODE=fast\n/m);
    assert.doesNotMatch(out, /Statistics/);
    const j = JSON.parse(ok(amber(['inspect', a, '--json']), 'inspect --json')) as Json;
    assert.deepEqual(j.metadata, { namespace: 'shop', labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/owner': 'ops team' } });
    assert.deepEqual(j.containers.map((c) => [c.name, c.args, c.env]), [['ticker', ['ticker.wasm', '--to', '100000', '--every-ms', '20', '--file', '/data/ticks'], ['GREETING=hello world', 'MODE=fast']]]);
    assert.equal(j.annotations['org.criu.checkpoint.pod.namespace'], 'shop');
    assert.equal(j.annotations['org.criu.checkpoint.pod.name'], 'shopfront');
  });

  it('--stats: pause, total, bytes scanned, written and reused as the checkpoint stored them', () => {
    const ja = JSON.parse(ok(amber(['inspect', a, '--json']), 'inspect a --json')) as Json;
    const jb = JSON.parse(ok(amber(['inspect', b, '--json']), 'inspect b --json')) as Json;
    const sa = ja.stats ?? assert.fail('no stats in a');
    const sb = jb.stats ?? assert.fail('no stats in b');
    for (const s of [sa, sb]) {
      assert.equal(typeof s['pauseMs'], 'number', 'a --leave-running checkpoint pauses for a measured time');
      assert.ok((s['totalMs'] ?? 0) >= (s['pauseMs'] ?? 0));
    }
    assert.equal(sa['bytesScanned'], ja.size.payloads, 'every payload byte is looked at');
    assert.equal(sa['bytesWritten'], sa['bytesScanned'], 'the first image writes everything');
    assert.ok((sb['bytesWritten'] ?? Infinity) < (sb['bytesScanned'] ?? 0) && (sb['bytesReused'] ?? 0) > 0, `b is incremental: ${JSON.stringify(sb)}`);
    const out = ok(amber(['inspect', b, '--stats']), 'inspect --stats');
    const kib = (n: number | null | undefined): string => ((n ?? 0) / 1024).toFixed(1).replace('.', '\\.');
    assert.match(out, new RegExp(`^Statistics\\n  Pause +${String(sb['pauseMs']).replace('.', '\\.')} ms\\n  Total +${String(sb['totalMs']).replace('.', '\\.')} ms \\(prepare [\\d.]+ ms, cut [\\d.]+ ms, write [\\d.]+ ms\\)\\n`, 'm'));
    assert.match(out, new RegExp(`^  Scanned +${kib(sb['bytesScanned'])} KiB$`, 'm'));
    assert.match(out, /^  Written +[\d.]+ (B|KiB)$/m);
    assert.match(out, /^  Reused +[\d.]+ KiB \(linked from the previous image\)$/m);
    assert.match(out, new RegExp(`^  Blobs +${String(sb['blobs'])}$`, 'm'));
    // A checkpoint that stops the pod pauses it for good.
    assert.match(ok(amber(['inspect', archive, '--stats']), 'inspect archive --stats'), /^  Pause +until the pod ended \(checkpoint without --leave-running\)$/m);
    assert.match(ok(amber(['inspect', v1, '--stats']), 'inspect v1 --stats'), /^Statistics\n  \(not recorded: images of format 1 do not store them\)\n/m);
  });

  it('several images and archives at once: one table, a row each; --json is an array', () => {
    const out = ok(amber(['inspect', a, b, archive, v1, '--stats']), 'inspect of four');
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 5, out);
    assert.match(lines[0] ?? '', /^IMAGE +POD +NAMESPACE +CONTAINERS +CREATED +ENGINE +FORMAT +SIZE +PAUSE +TOTAL +SCANNED +WRITTEN$/);
    for (const [i, image] of [a, b].entries()) assert.match(lines[i + 1] ?? '', new RegExp(`^${image} +shopfront +shop +ticker +\\S+Z +amber \\S+ \\(\\w+\\) +v${FORMAT_VERSION} +[\\d.]+ KiB +[\\d.]+ ms +[\\d.]+ ms +[\\d.]+ KiB +[\\d.]+ (B|KiB)$`));
    assert.match(lines[3] ?? '', new RegExp(`^${archive} +shopfront +shop +ticker +\\S+ +amber .* +v${FORMAT_VERSION} +[\\d.]+ KiB +to end +[\\d.]+ ms`));
    assert.match(lines[4] ?? '', new RegExp(`^${v1} +ticker +- +ticker +\\S+ +- +v1 +[\\d.]+ KiB +- +- +- +-$`));
    const plain = ok(amber(['inspect', a, b]), 'inspect of two');
    assert.match(plain, /^IMAGE +POD +NAMESPACE +CONTAINERS +CREATED +ENGINE +FORMAT +SIZE\n/);
    const j = JSON.parse(ok(amber(['inspect', a, archive, '--json']), 'inspect --json of two')) as Json[];
    assert.deepEqual(j.map((x) => [x.image, x.podId, x.metadata?.namespace]), [[a, 'shopfront', 'shop'], [archive, 'shopfront', 'shop']]);
  });

  it('one bad image among several: one line naming it, exit 1; the images are unchanged', () => {
    const r = amber(['inspect', a, w.path('nothing'), b]);
    userError(r, 'inspect with a missing image');
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^amber: [^\n]*nothing: no such image directory\n$/);
    assert.deepEqual([a, b].map(fingerprint), prints);
  });
});
