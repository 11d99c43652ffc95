import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpecError } from './error.js';
import { parsePodManifest } from './pod.js';

const DIR = '/work/pods';

function parse(file: string, text: string) {
  return parsePodManifest(text, { file, dir: DIR });
}

/** The message of the SpecError parsing text throws. */
function errorOf(file: string, text: string): string {
  try {
    parse(file, text);
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected a SpecError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message is one line: ${JSON.stringify(e.message)}`);
    return e.message;
  }
  assert.fail(`${file}: parsed without an error`);
}

/** A pod with the given lines under its first container, and optional volumes. */
function pod(containerLines: string, volumes = '  volumes:\n  - {name: v, emptyDir: {}}\n'): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: m.wasm\n${containerLines}${volumes}`;
}

// The manifests of the acceptance scenario bad-spec (shared/acceptance/run, sc_bad_spec), verbatim.
const BAD_SPEC: ReadonlyArray<readonly [string, string, string]> = [
  [
    'bad1.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: bad1}\nspec:\n  containers:\n  - name: c\n    image: counter.wasm\n    args: "--ticks"\n',
    'bad1.yaml: spec.containers[0].args: expected a list of strings, got a string',
  ],
  ['bad2.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad2}\nspec:\n  volumes: []\n', 'bad2.yaml: spec.containers: required'],
  [
    'bad3.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: bad3}\nspec:\n  containers:\n  - name: c\n    image: counter.wasm\n' +
      '    args: ["--ticks", "1", "--every-ms", "0", "--state-file", "/tmp/s"]\n    volumeMounts:\n' +
      '    - {name: v, mountPath: /v, readOnly: "yes please"}\n  volumes:\n  - {name: v, emptyDir: {}}\n',
    'bad3.yaml: spec.containers[0].volumeMounts[0].readOnly: expected boolean, got a string',
  ],
  [
    'bad5.yaml',
    'apiVersion: v1\nkind: Pod\nspec: [\n  containers: {\n',
    'bad5.yaml: invalid YAML at line 4: Flow map in block collection must be sufficiently indented and end with a }',
  ],
];

for (const [file, text, want] of BAD_SPEC) {
  test(`acceptance bad-spec: ${file}`, () => {
    assert.equal(errorOf(file, text), want);
  });
}

test('acceptance bad-spec: bad4.yaml parses (the missing module is found by checkHostPaths)', () => {
  const m = parse('bad4.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad4}\nspec:\n  containers:\n  - name: c\n    image: nosuch-module.wasm\n');
  assert.equal(m.containers[0]?.module, '/work/pods/nosuch-module.wasm');
});

const ERRORS: ReadonlyArray<readonly [string, string, string]> = [
  ['args with a number', pod('    args: [--ticks, 1]\n'), 'spec.containers[0].args[1]: expected a string, got a number (1)'],
  [
    'duplicate container names',
    'metadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: a.wasm}\n  - {name: b, image: b.wasm}\n  - {name: a, image: c.wasm}\n',
    'spec.containers[2].name: duplicate container name "a" (also spec.containers[0])',
  ],
  ['a volumeMount naming a missing volume', pod('    volumeMounts:\n    - {name: x, mountPath: /x}\n'), 'spec.containers[0].volumeMounts[0].name: no volume named "x" in spec.volumes'],
  ['a relative mountPath', pod('    volumeMounts:\n    - {name: v, mountPath: data}\n'), 'spec.containers[0].volumeMounts[0].mountPath: expected an absolute path, got "data"'],
  ['a missing mountPath', pod('    volumeMounts:\n    - {name: v}\n'), 'spec.containers[0].volumeMounts[0].mountPath: required'],
  [
    'both emptyDir and hostPath',
    pod('', '  volumes:\n  - {name: v, emptyDir: {}, hostPath: {path: /tmp}}\n'),
    'spec.volumes[0].hostPath: a volume has one type, and this one has emptyDir too',
  ],
  ['neither emptyDir nor hostPath', pod('', '  volumes:\n  - {name: v}\n'), 'spec.volumes[0]: expected emptyDir or hostPath'],
  ['an unsupported volume type', pod('', '  volumes:\n  - {name: v, configMap: {name: x}}\n'), 'spec.volumes[0].configMap: volume type configMap is not supported (Amber has emptyDir and hostPath)'],
  [
    'duplicate volume names',
    pod('', '  volumes:\n  - {name: v, emptyDir: {}}\n  - {name: v, hostPath: {path: /tmp}}\n'),
    'spec.volumes[1].name: duplicate volume name "v" (also spec.volumes[0])',
  ],
  ['an emptyDir medium other than Memory', pod('', '  volumes:\n  - {name: v, emptyDir: {medium: HugePages}}\n'), 'spec.volumes[0].emptyDir.medium: expected "Memory" or "", got "HugePages"'],
  ['a bad sizeLimit', pod('', '  volumes:\n  - {name: v, emptyDir: {sizeLimit: lots}}\n'), 'spec.volumes[0].emptyDir.sizeLimit: expected a quantity such as 64Mi, got "lots"'],
  ['a bad hostPath type', pod('', '  volumes:\n  - {name: v, hostPath: {path: /tmp, type: Dir}}\n'), 'spec.volumes[0].hostPath.type: expected "" or "DirectoryOrCreate" or "Directory" or "FileOrCreate" or "File" or "Socket" or "CharDevice" or "BlockDevice", got "Dir"'],
  ['a container name that is no DNS label', pod('').replace('name: c', 'name: My_C'), 'spec.containers[0].name: expected a DNS label (lowercase letters, digits and \'-\', at most 63), got "My_C"'],
  ['no image', 'metadata: {name: p}\nspec:\n  containers:\n  - {name: c}\n', 'spec.containers[0].image: required'],
  ['an empty container list', 'metadata: {name: p}\nspec:\n  containers: []\n', 'spec.containers: expected at least one container'],
  ['containers as a mapping', 'metadata: {name: p}\nspec:\n  containers: {name: c}\n', 'spec.containers: expected a list of containers, got a mapping'],
  ['command', pod('    command: [x]\n'), 'spec.containers[0].command: not supported: the program is the .wasm file in image; give its arguments in args'],
  ['env valueFrom', pod('    env:\n    - {name: A, valueFrom: {fieldRef: {fieldPath: x}}}\n'), 'spec.containers[0].env[0].valueFrom: not supported: Amber has no ConfigMaps, Secrets or field references; give a value'],
  ['env name with =', pod('    env:\n    - {name: "A=B", value: x}\n'), 'spec.containers[0].env[0].name: expected a variable name without "=", got "A=B"'],
  ['a relative workingDir', pod('    workingDir: tmp\n'), 'spec.containers[0].workingDir: expected an absolute path, got "tmp"'],
  ['a subPath leaving the volume', pod('    volumeMounts:\n    - {name: v, mountPath: /v, subPath: ../x}\n'), 'spec.containers[0].volumeMounts[0].subPath: expected a relative path inside the volume (no "..", not absolute), got "../x"'],
  ['hostUsers as a string', pod('').replace('spec:\n', 'spec:\n  hostUsers: "false"\n'), 'spec.hostUsers: expected boolean, got a string'],
  ['no metadata', 'spec:\n  containers:\n  - {name: c, image: m.wasm}\n', 'metadata: required'],
  ['no metadata.name', 'metadata: {labels: {a: b}}\nspec:\n  containers:\n  - {name: c, image: m.wasm}\n', 'metadata.name: required'],
  ['another kind', pod('').replace('kind: Pod', 'kind: Deployment'), 'kind: expected "Pod", got "Deployment"'],
  ['a list at the top', '- a\n', 'expected a mapping (a Kubernetes Pod), got a list'],
  ['an empty file', '', 'empty document, expected a Kubernetes Pod'],
  ['a duplicate key', 'metadata: {name: p}\nmetadata: {name: q}\n', 'invalid YAML at line 2: Map keys must be unique'],
  ['two documents', pod('') + '---\n' + pod(''), 'invalid YAML at line 10: a second document begins here; a manifest holds one Pod'],
];

for (const [what, text, want] of ERRORS) {
  test(`error: ${what}`, () => {
    assert.equal(errorOf('pod.yaml', text), `pod.yaml: ${want}`);
  });
}

test('a SpecError carries the file, the field and every problem found', () => {
  try {
    parse('pod.yaml', pod('    args: x\n    workingDir: rel\n'));
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof SpecError);
    assert.equal(e.file, 'pod.yaml');
    assert.equal(e.field, 'spec.containers[0].args');
    assert.equal(e.reason, 'expected a list of strings, got a string');
    assert.deepEqual(
      e.problems.map((p) => p.field),
      ['spec.containers[0].args', 'spec.containers[0].workingDir'],
    );
  }
});

test('a valid pod: fields read, defaults filled, unknown fields tolerated, paths resolved against the manifest', () => {
  const m = parse(
    'pod.yaml',
    `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web}
  annotations: {a.b/c: d}
spec:
  restartPolicy: Never
  hostUsers: false
  containers:
  - name: a
    image: ../guests/counter.wasm
    imagePullPolicy: Never
    args: ["--ticks", "3"]
    env:
    - {name: A, value: "1"}
    - {name: B}
    workingDir: /data/
    resources: {limits: {memory: 64Mi}}
    volumeMounts:
    - {name: data, mountPath: /data/, readOnly: true, subPath: ./sub/}
    - {name: host, mountPath: /host}
  - name: b
    image: /abs/b.wasm
    args:
    volumeMounts:
    - {name: data, mountPath: /d}
  volumes:
  - name: data
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  - name: host
    hostPath: {path: ./shared, type: DirectoryOrCreate}
  - name: plain
    emptyDir: {}
`,
  );
  assert.deepEqual(m, {
    file: 'pod.yaml',
    dir: DIR,
    name: 'web-1',
    labels: { app: 'web' },
    annotations: { 'a.b/c': 'd' },
    hostUsers: false,
    containers: [
      {
        name: 'a',
        image: '../guests/counter.wasm',
        memoryBytes: 64 * 1024 * 1024,
        module: '/work/guests/counter.wasm',
        args: ['--ticks', '3'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '' },
        ],
        workingDir: '/data',
        volumeMounts: [
          { name: 'data', mountPath: '/data', readOnly: true, subPath: 'sub' },
          { name: 'host', mountPath: '/host', readOnly: false },
        ],
      },
      {
        name: 'b',
        image: '/abs/b.wasm',
        module: '/abs/b.wasm',
        args: [],
        env: [],
        volumeMounts: [{ name: 'data', mountPath: '/d', readOnly: false }],
      },
    ],
    volumes: [
      { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '64Mi', sizeBytes: 64 * 2 ** 20 } },
      { name: 'host', hostPath: { path: '/work/pods/shared', type: 'DirectoryOrCreate' } },
      { name: 'plain', emptyDir: {} },
    ],
  });
});

test('hostUsers defaults to true', () => {
  assert.equal(parse('pod.yaml', pod('', '')).hostUsers, true);
});

test('metadata.namespace, labels and annotations are kept as given (for images and inspect)', () => {
  const text = (meta: string): string => pod('', '').replace('metadata: {name: p}', `metadata: {name: p, ${meta}}`);
  const m = parse('m.yaml', text('namespace: prod, labels: {tier: db}, annotations: {note: "x y"}'));
  assert.deepEqual([m.namespace, m.labels, m.annotations], ['prod', { tier: 'db' }, { note: 'x y' }]);
  const none = parse('m.yaml', text('uid: "1"'));
  assert.deepEqual([none.namespace, none.labels, none.annotations], [undefined, {}, {}]);
  assert.match(errorOf('m.yaml', text('namespace: Not_A_Label')), /^m\.yaml: metadata\.namespace: /);
  assert.equal(errorOf('m.yaml', text('labels: {a: [1]}')), 'm.yaml: metadata.labels.a: expected a string, got a list');
});
