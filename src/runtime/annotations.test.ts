// The manifest annotations of a checkpoint: the org.criu.checkpoint.* keys checkpointctl reads, filled
// from the pod's spec and the host's facts, and Amber's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointAnnotations, CRIU } from './annotations.js';
import { normalizePod, parsePodManifest } from './spec/index.js';

const host = { version: '9.9.9', arch: 'amd64', kernel: '6.1.0' };

function spec(meta: string, containers: string[]): ReturnType<typeof normalizePod> {
  const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: web, ${meta}}\nspec:\n  containers:\n${containers.map((c) => `  - {name: ${c}, image: ${c}.wasm}\n`).join('')}`;
  return normalizePod(parsePodManifest(text, { file: 'pod.yaml', dir: '/pods' }));
}

test('one container: its name and module, the pod, its namespace, the engine and the host', () => {
  const a = checkpointAnnotations('web-2', spec('namespace: prod', ['app']), host);
  assert.deepEqual(a, {
    [CRIU.engineName]: 'amber',
    [CRIU.engineVersion]: '9.9.9',
    [CRIU.runtimeName]: 'amber',
    [CRIU.runtimeVersion]: '9.9.9',
    [CRIU.containerName]: 'app',
    [CRIU.podName]: 'web',
    [CRIU.podId]: 'web-2',
    [CRIU.podNamespace]: 'prod',
    [CRIU.rawImageName]: '/pods/app.wasm',
    [CRIU.hostArch]: 'amd64',
    [CRIU.hostKernel]: '6.1.0',
    'org.amber.containers': 'app',
    'org.amber.container.app.module': '/pods/app.wasm',
  });
  assert.ok(Object.keys(a).every((k) => k.startsWith('org.criu.checkpoint.') || k.startsWith('org.amber.')));
});

test('several containers are named together; no namespace, no single image name', () => {
  const a = checkpointAnnotations('web', spec('labels: {a: b}', ['one', 'two']), host);
  assert.equal(a[CRIU.containerName], 'one,two');
  assert.equal(a[CRIU.podNamespace], undefined);
  assert.equal(a[CRIU.rawImageName], undefined);
  assert.equal(a['org.amber.container.two.module'], '/pods/two.wasm');
});
