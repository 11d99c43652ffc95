import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SpecError } from './error.js';
import { parseOciConfig } from './oci.js';

const SEED004 = readFileSync(new URL('./testdata/seed004-config.json', import.meta.url), 'utf8');
const BUNDLE = '/tmp/T/bundle';

function parse(text: string) {
  return parseOciConfig(text, { file: 'config.json', bundleDir: BUNDLE });
}

function errorOf(text: string): string {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected a SpecError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message is one line: ${JSON.stringify(e.message)}`);
    return e.message;
  }
  assert.fail('parsed without an error');
}

/** The seed 004 config with edit applied to its parsed JSON. */
function seedWith(edit: (c: Record<string, any>) => void): string {
  const c = JSON.parse(SEED004) as Record<string, any>;
  edit(c);
  return JSON.stringify(c, null, 2);
}

test('seed 004: containerd\'s pause spec with two /dev/shm mounts and uid mappings parses', () => {
  const c = parse(SEED004);
  assert.equal(c.ociVersion, '1.0.2');
  assert.deepEqual(c.process, {
    args: ['/devshm.wasm', '--expect', 'ro', '--flags', 'nosuid,nodev,noexec', '--locked', '--done', '/ctl/done'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    terminal: false,
    rlimits: [],
  });
  assert.deepEqual(c.root, { path: '/tmp/T/bundle/rootfs', readonly: false });
  assert.equal(c.hostname, 'seed004');
  assert.deepEqual(c.annotations, { 'module.wasm.image/variant': 'compat' });
  assert.deepEqual(
    c.mounts.map((m) => [m.destination, m.type, m.options.join(',')]),
    [
      ['/dev/shm', 'tmpfs', 'nosuid,noexec,nodev,mode=1777,size=65536k'],
      ['/dev/shm', 'bind', 'rbind,ro'],
      ['/ctl', 'bind', 'rbind,rw'],
    ],
  );
  assert.deepEqual(c.linux, {
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    namespaces: ['pid', 'ipc', 'uts', 'mount', 'user'],
  });
});

test('a minimal config: defaults filled', () => {
  const c = parse('{"ociVersion": "1.0.0", "process": {"args": ["/m.wasm"], "cwd": "/"}, "root": {"path": "/abs/root", "readonly": true}}');
  assert.deepEqual(c.process.user, { uid: 0, gid: 0, additionalGids: [] });
  assert.deepEqual(c.process.env, []);
  assert.deepEqual(c.root, { path: '/abs/root', readonly: true });
  assert.deepEqual(c.mounts, []);
  assert.equal(c.hostname, undefined);
  assert.deepEqual(c.linux, { uidMappings: [], gidMappings: [], namespaces: [] });
});

const ERRORS: ReadonlyArray<readonly [string, string, string]> = [
  ['a relative mount destination', seedWith((c) => (c.mounts[2].destination = 'ctl')), 'mounts[2].destination: expected an absolute path, got "ctl"'],
  ['a bind without a source', seedWith((c) => delete c.mounts[2].source), 'mounts[2].source: required for a bind mount'],
  ['options as a string', seedWith((c) => (c.mounts[0].options = 'nosuid')), 'mounts[0].options: expected a list of strings, got a string'],
  ['no process', seedWith((c) => delete c.process), 'process: required'],
  ['empty args', seedWith((c) => (c.process.args = [])), 'process.args: expected at least one entry: args[0] is the .wasm file inside the root'],
  ['an env entry without =', seedWith((c) => c.process.env.push('FOO')), 'process.env[1]: expected "KEY=VALUE", got "FOO"'],
  ['a relative cwd', seedWith((c) => (c.process.cwd = 'x')), 'process.cwd: expected an absolute path, got "x"'],
  ['a negative uid', seedWith((c) => (c.process.user.uid = -1)), 'process.user.uid: expected an integer from 0 to 4294967295, got -1'],
  ['terminal as a string', seedWith((c) => (c.process.terminal = 'no')), 'process.terminal: expected boolean, got a string'],
  ['no root', seedWith((c) => delete c.root), 'root: required'],
  ['no ociVersion', seedWith((c) => delete c.ociVersion), 'ociVersion: required'],
  ['an annotation that is not a string', seedWith((c) => (c.annotations['a.b/c'] = 1)), 'annotations["a.b/c"]: expected a string, got a number (1)'],
  ['a mapping size as a string', seedWith((c) => (c.linux.uidMappings[0].size = '65536')), 'linux.uidMappings[0].size: expected an integer, got a string'],
  ['an unknown namespace type', seedWith((c) => c.linux.namespaces.push({ type: 'net' })), 'linux.namespaces[5].type: expected "pid" or "network" or "mount" or "ipc" or "uts" or "user" or "cgroup" or "time", got "net"'],
  ['a duplicate namespace', seedWith((c) => c.linux.namespaces.push({ type: 'pid' })), 'linux.namespaces[5].type: duplicate namespace "pid" (also namespaces[0])'],
  ['a namespace to join', seedWith((c) => (c.linux.namespaces[4].path = '/proc/1/ns/user')), 'linux.namespaces[4].path: not supported: Amber cannot join an existing namespace'],
  ['uid mappings without a user namespace', seedWith((c) => c.linux.namespaces.pop()), 'linux.uidMappings: given without a "user" namespace in linux.namespaces'],
  ['invalid JSON', '{\n  "ociVersion": "1.0.2",\n  "process": {}\n  "root": {}\n}\n', 'invalid JSON at line 4: Expected \',\' or \'}\' after property value'],
  ['truncated JSON', '{"ociVersion": ', 'invalid JSON: Unexpected end of JSON input'],
  ['a list at the top', '[]', 'expected a mapping (an OCI runtime config), got a list'],
];

for (const [what, text, want] of ERRORS) {
  test(`error: ${what}`, () => {
    assert.equal(errorOf(text), `config.json: ${want}`);
  });
}

test('null fields read as absent, as Go\'s encoding/json reads them', () => {
  const c = parse(seedWith((c) => ((c.hostname = null), (c.mounts = null))));
  assert.equal(c.hostname, undefined);
  assert.deepEqual(c.mounts, []);
});
