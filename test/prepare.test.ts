// End to end: `amber prepare` (like `wasmtime compile`) fills the per-user module cache that every state
// root shares, and a pod started after it finds its module there; a pod started on an empty cache has its
// module transformed by the client before the sandbox starts (so the sandbox's start-up limit never
// counts a transform); a module the transform refuses is one line from prepare too.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { transformModule } from '../src/transform/transform.js';
import { amber, guest } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { workspace } from './testing/workspace.js';

/** Commands here transform small guests on an empty cache: seconds each, on a loaded machine far more. */
const TRANSFORM_MS = 300_000;

/** The cached modules under an XDG cache home: file names, partial writes left out. */
function cached(home: string): string[] {
  try {
    return readdirSync(join(home, 'amber', 'modules')).filter((f) => f.endsWith('.wasm') && !f.startsWith('.'));
  } catch {
    return [];
  }
}

test('prepare transforms each module once into the per-user cache; a pod in any root finds it there', (t) => {
  const s = workspace('prepare', t);
  const env = { ...process.env, XDG_CACHE_HOME: s.path('cache') };
  const opts = { env, timeoutMs: TRANSFORM_MS };
  const first = amber(['prepare', guest('hello'), guest('cat')], opts);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^\S+hello\.wasm: transformed in \d+\.\d s\n\S+cat\.wasm: transformed in \d+\.\d s\n$/);
  assert.equal(cached(s.path('cache')).length, 2);
  const again = amber(['prepare', guest('hello')], opts);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, `${guest('hello')}: already prepared\n`);

  // A partial write a killed transform left behind is never taken for the module.
  const [name] = cached(s.path('cache'));
  writeFileSync(join(s.path('cache'), 'amber', 'modules', `.${name}.999999.tmp`), 'half a module');
  const pod = manifest(s.dir, 'pod.yaml', 'hi', [{ name: 'hi', guest: 'hello', args: ['there'] }], []);
  for (const root of [s.path('root-a'), s.path('root-b')]) {
    const r = amber(['--root', root, 'pod', 'run', pod], opts);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi | hello, world\nhi | argv[1] = there\n');
  }
  assert.equal(cached(s.path('cache')).length, 2, 'pod run found the prepared module');
});

test('pod run --detach on an empty cache transforms before the sandbox starts', (t) => {
  const s = workspace('prepare', t);
  const env = { ...process.env, XDG_CACHE_HOME: s.path('cache') };
  const opts = { env, timeoutMs: TRANSFORM_MS };
  const pod = manifest(s.dir, 'pod.yaml', 'cold', [{ name: 'spin', guest: 'spin', args: ['count', '1'] }], []);
  const r = amber(['--root', s.root, 'pod', 'run', pod, '--detach'], opts);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'cold\n');
  const [name] = cached(s.path('cache'));
  assert.ok(name !== undefined, 'the module is in the cache');
  // It was stored before the pod's record was made, so before its sandbox started.
  const record = JSON.parse(readFileSync(join(s.root, 'pods', 'cold', 'record.json'), 'utf8')) as { createdAt: string };
  const stored = statSync(join(s.path('cache'), 'amber', 'modules', name)).mtimeMs;
  assert.ok(stored <= Date.parse(record.createdAt), `cached at ${new Date(stored).toISOString()}, pod created at ${record.createdAt}`);
});

test('prepare refuses a module Asyncify transformed already, in one line naming it', (t) => {
  const s = workspace('prepare', t);
  const env = { ...process.env, XDG_CACHE_HOME: s.path('cache') };
  const opts = { env, timeoutMs: TRANSFORM_MS };
  const path = s.path('asyncified.wasm');
  writeFileSync(path, transformModule(new Uint8Array(readFileSync(guest('hello')))));
  const r = amber(['prepare', path], opts);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `amber: ${path}: already transformed by Asyncify (it exports asyncify_start_unwind): give Amber the module as built, before Asyncify\n`);
  assert.deepEqual(cached(s.path('cache')), []);
});
