// restoreearly.ts's usableFor: a restore begun before the pod was given is carried on only for a launch
// that restores the very image it read (same path, same manifest), with the modules it compiled (a spec
// given that sets the same memory limits), all at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckpointImage } from '../image/reader.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import type { Launch } from './protocol.js';
import { usableFor, type EarlyRestore } from './restoreearly.js';

/** A spec of containers a and b, with these memory limits (bytes) for the pod and for a. */
function specOf(pod?: number, a?: number): PodSpec {
  return {
    ...(pod !== undefined ? { memoryBytes: pod } : {}),
    containers: [{ name: 'a', ...(a !== undefined ? { memoryBytes: a } : {}) }, { name: 'b' }],
  } as PodSpec;
}

const early: EarlyRestore = {
  imagePath: '/x/img',
  image: { manifestDigest: 'sha256:aa' } as CheckpointImage,
  spec: specOf(undefined, 64 << 20),
  modules: new Map(),
  fibers: new Map(),
  begunAt: 0,
  progressTo: () => {},
};
const launch: Extract<Launch, { mode: 'restore' }> = { mode: 'restore', imagePath: '/x/img', manifestDigest: 'sha256:aa', volumes: { data: '/elsewhere' }, source: '/x/img' };

test('a restore begun early is carried on for the same image, as it was read, into its own spec', () => {
  assert.equal(usableFor(early, launch), true);
  assert.equal(usableFor(early, { ...launch, imagePath: '/x/./img/' }), true, 'the same path written another way');
  assert.equal(usableFor(early, { ...launch, imagePath: '/x/img2' }), false, 'another image');
  assert.equal(usableFor(early, { ...launch, manifestDigest: 'sha256:bb' }), false, 'the image replaced after the sandbox read it');
  const { manifestDigest: _, ...unnamed } = launch;
  assert.equal(usableFor(early, unnamed), false, 'a launch that does not say which manifest it read');
  assert.equal(usableFor(early, { ...launch, spec: { file: 'pod.yaml', spec: specOf(undefined, 64 << 20) } }), true, 'a spec given with the same limits');
  assert.equal(usableFor(early, { ...launch, spec: { file: 'pod.yaml', spec: specOf(64 << 20) } }), false, 'a spec whose limits differ (b now has one)');
  assert.equal(usableFor(early, { ...launch, spec: { file: 'pod.yaml', spec: specOf(undefined, 32 << 20) } }), false, 'a spec whose limits differ (a less)');
  assert.equal(usableFor(early, { ...launch, relay: true, replace: [], awaitClaims: true }), false, "runc's restore");
});
