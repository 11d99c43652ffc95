// The TypeScript API (`import { Pod } from 'amber'`) drives the same pods as the CLI.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AmberError, Pod } from '../src/index.js';
import { guest, scratch } from './cli.js';

function helloPod(dir: string, name: string, exit: number): string {
  copyFileSync(guest('hello'), join(dir, 'hello.wasm'));
  const manifest = join(dir, `${name}.yaml`);
  writeFileSync(manifest, [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: ${name}}`, 'spec:', '  containers:',
    '  - name: greeter', '    image: hello.wasm', `    args: ["from-api", "--exit", "${exit}"]`, '',
  ].join('\n'));
  return manifest;
}

test('Pod.run starts a detached pod; wait, state, logs, list and delete see it', async () => {
  const dir = scratch();
  const root = join(dir, 'root');
  const pod = await Pod.run(helloPod(dir, 'api1', 3), { root });
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

test('a bad manifest is an AmberError naming the field', async () => {
  const dir = scratch();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: c\n    image: x.wasm\n    args: "no"\n');
  await assert.rejects(Pod.run(bad, { root: join(dir, 'root') }), (e: unknown) => e instanceof AmberError && /spec\.containers\[0\]\.args/.test(e.message));
});
