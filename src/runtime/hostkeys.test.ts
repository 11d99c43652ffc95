// Host-directory keys: built and parsed by one owner, and bound to the host directory a spec names for
// them (a restore's --volume overriding a volume's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindKey, hostDirOf, parseHostKey, rootfsKey, volumeKey } from './hostkeys.js';
import type { ContainerSpec, PodSpec } from './spec/podspec.js';

test('keys parse back to what built them; keys the pod runtime does not make do not parse', () => {
  assert.deepEqual(parseHostKey(volumeKey('data')), { kind: 'volume', volume: 'data' });
  assert.deepEqual(parseHostKey(rootfsKey('app')), { kind: 'rootfs', container: 'app' });
  assert.deepEqual(parseHostKey(bindKey('app', '/etc/a:b')), { kind: 'bind', container: 'app', destination: '/etc/a:b' });
  assert.equal(bindKey('app', '/ctl'), 'bind:app:/ctl');
  for (const key of ['volume', 'bind:app', 'tmpfs:x', '', ':x']) assert.equal(parseHostKey(key), undefined, key);
});

function container(name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name, module: `/m/${name}.wasm`, moduleField: 'x', argv: [name], env: [], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, mounts: [], ...extra,
  };
}

const spec: PodSpec = {
  file: 'pod.yaml', format: 'pod', name: 'p', userns: false, idMappings: { uid: [], gid: [] }, warnings: [],
  volumes: [
    { kind: 'hostPath', name: 'host', hostPath: '/srv/host', type: '', field: 'spec.volumes[0]' },
    { kind: 'emptyDir', name: 'scratch', field: 'spec.volumes[1]' },
  ],
  containers: [
    container('app', {
      rootfs: { hostPath: '/bundle/rootfs', readOnly: true, field: 'root.path' },
      mounts: [
        { destination: '/shm', source: { kind: 'shm' }, flags: 0, readOnly: false },
        { destination: '/ctl', source: { kind: 'bind', hostPath: '/srv/ctl', recursive: true }, flags: 0, readOnly: false },
      ],
    }),
    container('side'),
  ],
};

test('hostDirOf: the host directory the spec names for a key, a volume overridden when told', () => {
  const cases: Array<[string, string | undefined]> = [
    [volumeKey('host'), '/srv/host'],
    [volumeKey('scratch'), undefined],
    [volumeKey('nothing'), undefined],
    [volumeKey('constructor'), undefined],
    [rootfsKey('app'), '/bundle/rootfs'],
    [rootfsKey('side'), undefined],
    [rootfsKey('nobody'), undefined],
    [bindKey('app', '/ctl'), '/srv/ctl'],
    [bindKey('app', '/shm'), undefined],
    [bindKey('side', '/ctl'), undefined],
    ['other:thing', undefined],
  ];
  for (const [key, want] of cases) assert.equal(hostDirOf(spec, key), want, key);
  assert.equal(hostDirOf(spec, volumeKey('host'), { host: '/elsewhere' }), '/elsewhere');
  assert.equal(hostDirOf(spec, bindKey('app', '/ctl'), { host: '/elsewhere' }), '/srv/ctl');
});
