// The TypeScript API (`import { Pod } from 'amber'`) drives the same pods as the CLI.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { AmberError, Pod } from '../src/index.js';
import { guest } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { workspace, type Workspace } from './testing/workspace.js';

/** A pod of one container `greeter` running guests/hello copied beside the manifest (a relative image). */
function helloPod(s: Workspace, name: string, exit: number): string {
  copyFileSync(guest('hello'), s.path('hello.wasm'));
  return manifest(s.dir, `${name}.yaml`, name, [{ name: 'greeter', guest: 'hello', image: 'hello.wasm', args: ['from-api', '--exit', String(exit)] }], []);
}

test('Pod.run starts a detached pod; wait, state, logs, list and delete see it', async (t) => {
  const s = workspace('api', t);
  const root = s.root;
  const pod = await Pod.run(helloPod(s, 'api1', 3), { root });
  assert.equal(pod.id, 'api1');
  const done = await pod.wait();
  assert.equal(done.status, 'stopped');
  assert.deepEqual(done.containers, [{ name: 'greeter', exitCode: 3 }]);
  assert.match(pod.logs('greeter'), /hello, world\nargv\[1\] = from-api/);
  assert.deepEqual(Pod.list({ root }).map((p) => p.id), ['api1']);
  await pod.delete();
  assert.deepEqual(Pod.list({ root }), []);
  assert.throws(() => Pod.get('api1', { root }), AmberError);
});

test('a bad manifest is an AmberError naming the field', async (t) => {
  const s = workspace('api', t);
  const bad = s.path('bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: c\n    image: x.wasm\n    args: "no"\n');
  await assert.rejects(Pod.run(bad, { root: s.root }), (e: unknown) => e instanceof AmberError && /spec\.containers\[0\]\.args/.test(e.message));
});
