import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_READONLY } from '../../abi/mount.js';
import { SpecError } from './error.js';
import { checkHostPaths, hostPathNeeds, type HostPathKind } from './hostpaths.js';
import { mntFlagNames } from './mountopts.js';
import { normalizeOci, normalizePod, SHM_FLAGS } from './normalize.js';
import { parseOciConfig } from './oci.js';
import { parsePodManifest } from './pod.js';
import type { MountSpec } from './podspec.js';

const SEED004 = readFileSync(new URL('./testdata/seed004-config.json', import.meta.url), 'utf8');

function pod(text: string) {
  return normalizePod(parsePodManifest(text, { file: 'pod.yaml', dir: '/w' }));
}

function oci(text: string, edit?: (c: Record<string, any>) => void) {
  let t = text;
  if (edit !== undefined) {
    const c = JSON.parse(text) as Record<string, any>;
    edit(c);
    t = JSON.stringify(c);
  }
  return normalizeOci(parseOciConfig(t, { file: 'config.json', bundleDir: '/tmp/T/bundle' }), { id: 'b004' });
}

/** destination, source kind (and name/path), flags as mountinfo spells them. */
function summary(mounts: readonly MountSpec[]): string[] {
  return mounts.map((m) => {
    const s = m.source;
    const src = s.kind === 'volume' ? `volume:${s.name}` : s.kind === 'bind' ? `bind:${s.hostPath}` : s.kind;
    return `${m.destination} ${src} ${mntFlagNames(m.flags)}${m.subPath !== undefined ? ` sub=${m.subPath}` : ''}`;
  });
}

// The seed 004 pod of the acceptance scenario: two containers, one hostPath volume, a user namespace.
const P004 = `apiVersion: v1
kind: Pod
metadata:
  name: p004
spec:
  hostUsers: false
  containers:
  - name: a
    image: devshm.wasm
    args: ["--expect", "rw", "--name", "a", "--peer", "b", "--done", "/ctl/a.done"]
    volumeMounts:
    - {name: ctl, mountPath: /ctl}
  - name: b
    image: devshm.wasm
    args: ["--expect", "rw", "--name", "b", "--peer", "a", "--done", "/ctl/b.done"]
    volumeMounts:
    - {name: ctl, mountPath: /ctl}
  volumes:
  - name: ctl
    hostPath: {path: /tmp/T/ctl2}
`;

test('pod p004: user namespace, one hostPath volume by name, every container gets the pod shm first', () => {
  const s = pod(P004);
  assert.equal(s.name, 'p004');
  assert.equal(s.format, 'pod');
  assert.equal(s.userns, true);
  assert.deepEqual(s.volumes, [{ kind: 'hostPath', name: 'ctl', hostPath: '/tmp/T/ctl2', type: '', field: 'spec.volumes[0]' }]);
  assert.deepEqual(
    s.containers.map((c) => [c.name, c.module, c.argv.slice(0, 3), c.cwd]),
    [
      ['a', '/w/devshm.wasm', ['devshm.wasm', '--expect', 'rw'], '/'],
      ['b', '/w/devshm.wasm', ['devshm.wasm', '--expect', 'rw'], '/'],
    ],
  );
  for (const c of s.containers) {
    assert.deepEqual(summary(c.mounts), ['/dev/shm shm rw,nosuid,nodev,noexec', '/ctl volume:ctl rw']);
    assert.equal(c.rootfs, undefined);
  }
  assert.deepEqual(s.warnings, []);
});

test('pod: an emptyDir mounted by several containers is one volume; readOnly, subPath and env carried', () => {
  const s = pod(`metadata: {name: shared}
spec:
  containers:
  - name: writer
    image: w.wasm
    env: [{name: A, value: x}, {name: B}]
    workingDir: /data
    volumeMounts: [{name: data, mountPath: /data}]
  - name: reader
    image: sub/r.wasm
    volumeMounts: [{name: data, mountPath: /in, readOnly: true, subPath: logs}]
  volumes:
  - {name: data, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
`);
  assert.equal(s.userns, false);
  assert.deepEqual(s.volumes, [{ kind: 'emptyDir', name: 'data', medium: 'Memory', sizeBytes: 2 ** 20, field: 'spec.volumes[0]' }]);
  const [w, r] = s.containers;
  assert.deepEqual(w?.env, ['A=x', 'B=']);
  assert.equal(w?.cwd, '/data');
  assert.deepEqual(summary(w?.mounts ?? []), ['/dev/shm shm rw,nosuid,nodev,noexec', '/data volume:data rw']);
  assert.deepEqual(summary(r?.mounts ?? []), ['/dev/shm shm rw,nosuid,nodev,noexec', '/in volume:data ro sub=logs']);
  assert.equal(r?.mounts[1]?.readOnly, true);
  assert.equal(r?.mounts[1]?.field, 'spec.containers[1].volumeMounts[0]');
  assert.deepEqual(r?.argv, ['r.wasm']);
});

test('pod: a later volumeMount at the same mountPath is kept and reported', () => {
  const s = pod(`metadata: {name: p}
spec:
  containers:
  - name: c
    image: m.wasm
    volumeMounts: [{name: a, mountPath: /data}, {name: b, mountPath: /data/}]
  volumes: [{name: a, emptyDir: {}}, {name: b, emptyDir: {}}]
`);
  assert.deepEqual(summary(s.containers[0]?.mounts ?? []), ['/dev/shm shm rw,nosuid,nodev,noexec', '/data volume:a rw', '/data volume:b rw']);
  assert.deepEqual(s.warnings, ['spec.containers[0].volumeMounts[1] (/data) is mounted over spec.containers[0].volumeMounts[0] (/data)']);
});

test('seed 004: both /dev/shm entries map onto the pod shm with their flags, never the host path; stacking reported', () => {
  const s = oci(SEED004);
  assert.equal(s.name, 'b004');
  assert.equal(s.format, 'oci');
  assert.equal(s.userns, true);
  assert.equal(s.hostname, 'seed004');
  assert.deepEqual(s.idMappings, { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 100000, size: 65536 }] });
  assert.deepEqual(s.volumes, []);
  const [c] = s.containers;
  assert.ok(c !== undefined && s.containers.length === 1);
  assert.equal(c.name, 'b004');
  assert.equal(c.module, '/tmp/T/bundle/rootfs/devshm.wasm');
  assert.equal(c.moduleField, 'process.args[0]');
  assert.equal(c.argv[0], '/devshm.wasm');
  assert.deepEqual(c.rootfs, { hostPath: '/tmp/T/bundle/rootfs', readOnly: false, field: 'root.path' });
  assert.deepEqual(summary(c.mounts), [
    '/dev/shm shm rw,nosuid,nodev,noexec',
    // The "rbind,ro" bind of the sandbox's shm keeps the shm's nosuid, nodev, noexec: what the guest checks.
    '/dev/shm shm ro,nosuid,nodev,noexec',
    '/ctl bind:/tmp/T/ctl rw',
  ]);
  assert.equal(c.mounts[1]?.flags, MNT_READONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
  assert.equal(c.mounts[1]?.readOnly, true);
  assert.deepEqual(c.mounts[2]?.source, { kind: 'bind', hostPath: '/tmp/T/ctl', recursive: true });
  assert.ok(!JSON.stringify(s).includes('containerd_upstream'), 'the sandbox shm path is not bound');
  assert.deepEqual(s.warnings, ['mounts[1] (/dev/shm) is mounted over mounts[0] (/dev/shm)']);
});

test('oci: without /dev/shm entries the container gets the pod shm; standard mounts left to Amber; others warned', () => {
  const s = oci(SEED004, (c) => {
    c.mounts = [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/mnt', type: 'nfs', source: 'srv:/export', options: ['nosuid', 'noexec'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=1m', 'rprivate'] },
      { destination: '/data', source: 'data', options: ['bind', 'ro', 'uid=5'] },
    ];
    c.process.terminal = true;
  });
  const [c] = s.containers;
  assert.deepEqual(summary(c?.mounts ?? []), ['/dev/shm shm rw,nosuid,nodev,noexec', '/tmp tmpfs rw,nosuid,nodev', '/data bind:/tmp/T/bundle/data ro']);
  assert.deepEqual(c?.mounts[1]?.source, { kind: 'tmpfs', data: 'mode=1777,size=1m', mode: 0o1777, sizeBytes: 2 ** 20 });
  assert.deepEqual(c?.mounts[1]?.propagation, { kind: 'private', recursive: true });
  assert.deepEqual(c?.mounts[2]?.source, { kind: 'bind', hostPath: '/tmp/T/bundle/data', recursive: false });
  assert.deepEqual(s.warnings, [
    'mounts[2] (/mnt): type "nfs" is not supported, skipped',
    'mounts[4].options: "uid=5" ignored for a bind mount',
    'process.terminal: a terminal is not supported; stdio is passed through as given',
  ]);
  assert.equal(s.userns, true);
});

test('oci: the kernel interfaces of runc\'s default spec (devpts, mqueue, sysfs, cgroup) are left out without a warning', () => {
  const s = oci(SEED004, (c) => {
    c.mounts = [
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue' },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] },
    ];
  });
  assert.deepEqual(summary(s.containers[0]?.mounts ?? []), ['/dev/shm shm rw,nosuid,nodev,noexec']);
  assert.deepEqual(s.warnings, []);
});

test('oci: a relative args[0] is found under cwd inside the root; .. cannot leave the root', () => {
  const s = oci(SEED004, (c) => {
    c.process.args[0] = '../../../bin/m.wasm';
    c.process.cwd = '/app/x';
    c.root = { path: '/abs/root', readonly: true };
  });
  assert.equal(s.containers[0]?.module, '/abs/root/bin/m.wasm');
  assert.deepEqual(s.containers[0]?.rootfs, { hostPath: '/abs/root', readOnly: true, field: 'root.path' });
});

test('SHM_FLAGS are nosuid, nodev, noexec', () => {
  assert.equal(SHM_FLAGS, MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
});

/** kindOf over a fixed map of host paths. */
function host(paths: Record<string, HostPathKind>) {
  return (p: string): HostPathKind | undefined => paths[p];
}

function checkError(run: () => void): string {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof SpecError);
    return e.message;
  }
  assert.fail('no error');
}

test('acceptance bad-spec: bad4.yaml\'s missing module is a SpecError naming the field and the file', () => {
  const s = normalizePod(
    parsePodManifest('apiVersion: v1\nkind: Pod\nmetadata: {name: bad4}\nspec:\n  containers:\n  - name: c\n    image: nosuch-module.wasm\n', {
      file: 'bad4.yaml',
      dir: '/t',
    }),
  );
  assert.equal(
    checkError(() => checkHostPaths(s, host({}))),
    'bad4.yaml: spec.containers[0].image: no such file: /t/nosuch-module.wasm',
  );
});

test('checkHostPaths: modules, roots, hostPath types and bind sources, in order', () => {
  const p = pod(P004.replace('path: /tmp/T/ctl2', 'path: /tmp/T/ctl2, type: Directory'));
  assert.deepEqual(
    hostPathNeeds(p).map((n) => `${n.field} ${n.want}`),
    ['spec.containers[0].image file', 'spec.containers[1].image file', 'spec.volumes[0].hostPath.path directory'],
  );
  checkHostPaths(p, host({ '/w/devshm.wasm': 'file', '/tmp/T/ctl2': 'directory' }));
  assert.equal(
    checkError(() => checkHostPaths(p, host({ '/w/devshm.wasm': 'file', '/tmp/T/ctl2': 'file' }))),
    'pod.yaml: spec.volumes[0].hostPath.path: expected a directory, found a file: /tmp/T/ctl2',
  );
  const create = pod(P004.replace('path: /tmp/T/ctl2', 'path: /tmp/T/ctl2, type: DirectoryOrCreate'));
  checkHostPaths(create, host({ '/w/devshm.wasm': 'file' }));

  const o = oci(SEED004);
  assert.deepEqual(
    hostPathNeeds(o).map((n) => `${n.field} ${n.hostPath}`),
    ['root.path /tmp/T/bundle/rootfs', 'process.args[0] /tmp/T/bundle/rootfs/devshm.wasm', 'mounts[2].source /tmp/T/ctl'],
  );
  assert.equal(
    checkError(() => checkHostPaths(o, host({ '/tmp/T/bundle/rootfs': 'directory', '/tmp/T/bundle/rootfs/devshm.wasm': 'file' }))),
    'config.json: mounts[2].source: no such directory: /tmp/T/ctl',
  );
  // Amber binds host directories only: a file (containerd's /etc/hosts) is refused naming the field.
  assert.equal(
    checkError(() => checkHostPaths(o, host({ '/tmp/T/bundle/rootfs': 'directory', '/tmp/T/bundle/rootfs/devshm.wasm': 'file', '/tmp/T/ctl': 'file' }))),
    'config.json: mounts[2].source: expected a directory, found a file: /tmp/T/ctl',
  );
  assert.equal(checkError(() => checkHostPaths(o, host({}))), 'config.json: root.path: no such directory: /tmp/T/bundle/rootfs');
});
