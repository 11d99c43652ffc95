// End to end: a container that tries to take more than its spec gives it (issue 12), run with the
// hostile guest (guests/hostile.c): mount flags the spec set stay set, user namespace or not, and a
// read-only volume refuses writes at the host too. And specs that try the parsers: each is one line
// naming the file and the field, exit 1 (src/runtime/spec/hostile.test.ts generates thousands more).
// And images that lie (forged, every digest recomputed; src/client/testing/imagefuzz.test.ts generates
// more): restore and inspect refuse them in one line naming the image, and never hang on a FIFO.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Forgery } from '../src/host/testing/forge.js';
import { guest, userError } from './testing/amber.js';
import { blobs } from './testing/images.js';
import { manifest } from './testing/manifests.js';
import { sleep } from './testing/wait.js';
import { withWorkspace, Workspace } from './testing/workspace.js';

describe('hostile containers', { concurrency: true }, () => {
  for (const hostUsers of [true, false]) {
    test(`a guest cannot remount a read-only hostPath writable (hostUsers: ${String(hostUsers)})`, () =>
      withWorkspace(async (s) => {
        const ro = s.path('ro');
        mkdirSync(ro);
        const pod = manifest(s.dir, 'pod.yaml', 'ro', [
          { name: 'a', guest: 'hostile', args: ['remount', '/ro'], mounts: [{ name: 'v', mountPath: '/ro', readOnly: true }] },
        ], [{ name: 'v', hostPath: { path: ro } }], { hostUsers });
        const r = await s.ok(['pod', 'run', pod]);
        assert.equal(r.stdout.trim(), 'a | remount-bind=EPERM remount=EPERM create=EROFS');
        assert.deepEqual(readdirSync(ro), [], 'nothing reached the host directory');
      }));
  }

  test("a guest cannot remount a read-only OCI root writable; a writable bind's flags stay its own", () =>
    withWorkspace(async (s) => {
      const bundle = s.path('bundle');
      const rw = s.path('rw');
      for (const d of ['dev/shm', 'proc', 'rw']) mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
      mkdirSync(rw);
      copyFileSync(guest('hostile'), join(bundle, 'rootfs', 'hostile.wasm'));
      const config = (args: string[]): string => JSON.stringify({
        ociVersion: '1.0.2',
        process: { args: ['/hostile.wasm', ...args], cwd: '/' },
        root: { path: 'rootfs', readonly: true },
        mounts: [{ destination: '/rw', type: 'bind', source: rw, options: ['rbind', 'rw', 'nosuid'] }],
      });
      writeFileSync(join(bundle, 'config.json'), config(['remount', '/']));
      assert.equal((await s.ok(['run', '--bundle', bundle, 'root'])).stdout.trim(), 'remount-bind=EPERM remount=EPERM create=EROFS');
      // /rw is writable: a remount keeping nosuid is not asked for, so clearing it is refused, and the
      // file is created through the mount the spec made writable.
      writeFileSync(join(bundle, 'config.json'), config(['remount', '/rw']));
      assert.equal((await s.ok(['run', '--bundle', bundle, 'rw'])).stdout.trim(), 'remount-bind=EPERM remount=EPERM create=0');
      assert.deepEqual(readdirSync(join(bundle, 'rootfs')).sort(), ['dev', 'hostile.wasm', 'proc', 'rw']);
      assert.deepEqual(readdirSync(rw), ['.probe']);
    }));
});

/** A module whose only import is env.foo: (import "env" "foo" (func)), memory and _start. */
const ENV_FOO = Buffer.from('0061736d01000000010401600000020b0103656e7603666f6f0000030201000503010001071302066d656d6f72790200065f737461727400010a0601040010000b', 'hex');

interface BadSpec {
  what: string;
  /** The manifest's spec field (a JSON-able object, or YAML text), or an OCI config for run --bundle. */
  pod?: Record<string, unknown> | string;
  oci?: Record<string, unknown>;
  /** The --root to give (the workspace's by default); the pod is then run --detach, into it. */
  root?: string;
  want: RegExp;
}

const hello = guest('hello');
const ctr = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'a', image: hello, ...extra });
const emptyDir = [{ name: 'v', emptyDir: {} }];

const BAD_SPECS: BadSpec[] = [
  { what: 'a YAML anchor that refers to itself', pod: 'containers: &c [*c]\n', want: /^amber: pod\.yaml: spec\.containers\[0\]: refers to itself/ },
  { what: '10,000 levels of nesting', pod: `containers: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, want: /^amber: pod\.yaml: invalid YAML at line \d+: nested too deeply/ },
  { what: '10,000 levels of nesting in config.json', oci: { ociVersion: 'DEEP' }, want: /^amber: config\.json: ociVersion(\[0\])+: nested deeper than 64 levels$/ },
  { what: 'mountPath: /dev/null', pod: { containers: [ctr({ volumeMounts: [{ name: 'v', mountPath: '/dev/null' }] })], volumes: emptyDir }, want: /^amber: pod\.yaml: spec\.containers\[0\]\.volumeMounts\[0\]\.mountPath: cannot mount at \/dev\/null: ENOTDIR$/ },
  { what: 'a 5,000-character subPath', pod: { containers: [ctr({ volumeMounts: [{ name: 'v', mountPath: '/x', subPath: 'a'.repeat(5000) }] })], volumes: emptyDir }, want: /^amber: pod\.yaml: spec\.containers\[0\]\.volumeMounts\[0\]\.subPath: expected a path shorter than 4096 bytes, got 5000$/ },
  { what: 'hostPath of a file', pod: { containers: [ctr({ volumeMounts: [{ name: 'v', mountPath: '/x' }] })], volumes: [{ name: 'v', hostPath: { path: 'FILE' } }] }, want: /^amber: pod\.yaml: spec\.volumes\[0\]\.hostPath\.path: expected a directory, found a file: / },
  { what: 'hostPath.type File', pod: { containers: [ctr()], volumes: [{ name: 'v', hostPath: { path: 'FILE', type: 'File' } }] }, want: /^amber: pod\.yaml: spec\.volumes\[0\]\.hostPath\.type: not supported: File / },
  { what: 'a read-only OCI root whose /dev is a file', oci: { root: { path: 'bare', readonly: true } }, want: /^amber: config\.json: root\.path: cannot mount \/dev and \/proc in the root: ENOTDIR$/ },
  { what: '--root /etc/passwd', pod: { containers: [ctr()] }, root: '/etc/passwd', want: /^amber: --root \/etc\/passwd: not a directory$/ },
  { what: 'a module importing env.foo', pod: { containers: [ctr({ image: 'envfoo.wasm' })] }, want: /^amber: \S+envfoo\.wasm: imports from unknown module "env" \(foo\)$/ },
  { what: 'sizeLimit: 1e20', pod: { containers: [ctr()], volumes: [{ name: 'v', emptyDir: { sizeLimit: '1e20' } }] }, want: /^amber: pod\.yaml: spec\.volumes\[0\]\.emptyDir\.sizeLimit: expected at most 8Pi/ },
  { what: 'a NUL inside args', pod: { containers: [ctr({ args: ['ok', 'a\0b'] })] }, want: /^amber: pod\.yaml: spec\.containers\[0\]\.args\[1\]: contains a NUL character$/ },
  { what: 'a NUL inside env', pod: { containers: [ctr({ env: [{ name: 'A', value: 'x\0y' }] })] }, want: /^amber: pod\.yaml: spec\.containers\[0\]\.env\[0\]\.value: contains a NUL character$/ },
  { what: 'a NUL inside a path', pod: { containers: [ctr({ workingDir: '/tmp\0/x' })] }, want: /^amber: pod\.yaml: spec\.containers\[0\]\.workingDir: contains a NUL character$/ },
  { what: 'a __proto__ key', pod: '__proto__: {hostUsers: false}\ncontainers: [{name: a, image: HELLO}]\n', want: /^amber: pod\.yaml: spec\.__proto__: a key named __proto__ is not allowed$/ },
  { what: 'a uid mapping past 2^32', oci: { linux: { namespaces: [{ type: 'user' }], uidMappings: [{ containerID: 4294967295, hostID: 0, size: 2 }] } }, want: /^amber: config\.json: linux\.uidMappings\[0\]\.size: containerID 4294967295 \+ size 2 goes past the last id/ },
  { what: 'a spec file that is a FIFO', pod: 'FIFO', want: /^amber: \S+pod\.yaml: not a regular file$/ },
];

describe('specs that try the parsers: one line naming the field, exit 1', { concurrency: true }, () => {
  for (const c of BAD_SPECS) {
    test(c.what, () =>
      withWorkspace(async (s) => {
        writeFileSync(s.path('afile'), 'a file\n');
        writeFileSync(s.path('envfoo.wasm'), ENV_FOO);
        let args: string[];
        if (c.oci !== undefined) {
          const bundle = s.path('bundle');
          for (const d of ['rootfs/dev', 'rootfs/proc', 'bare']) mkdirSync(join(bundle, d), { recursive: true });
          copyFileSync(hello, join(bundle, 'rootfs', 'hello.wasm'));
          copyFileSync(hello, join(bundle, 'bare', 'hello.wasm'));
          writeFileSync(join(bundle, 'bare', 'dev'), 'not a directory\n');
          const config = { ociVersion: '1.0.2', process: { args: ['/hello.wasm'], cwd: '/' }, root: { path: 'rootfs' }, ...c.oci };
          const text = JSON.stringify(config).replace('"DEEP"', '['.repeat(10_000) + ']'.repeat(10_000));
          writeFileSync(join(bundle, 'config.json'), text);
          args = ['run', '--bundle', bundle, 'bad'];
        } else {
          const file = s.path('pod.yaml');
          if (c.pod === 'FIFO') execFileSync('mkfifo', [file]);
          else {
            const spec = typeof c.pod === 'string' ? c.pod.replace('HELLO', hello) : JSON.stringify(c.pod).replace('"FILE"', JSON.stringify(s.path('afile')));
            const body = typeof c.pod === 'string' ? spec.replace(/^/gm, '  ') : `  ${spec}`;
            writeFileSync(file, `apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n${body}\n`);
          }
          args = ['pod', 'run', ...(c.root !== undefined ? ['--detach'] : []), file];
        }
        const r = await s.amber(args, c.root !== undefined ? { root: c.root } : {});
        assert.match(userError(r, c.what), c.want);
      }));
  }
});

test('a DirectoryOrCreate hostPath that is missing is made (0755), as the kubelet makes it', () =>
  withWorkspace(async (s) => {
    const made = s.path('made', 'deeper');
    const file = s.path('pod.yaml');
    writeFileSync(file, JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mk' },
      spec: { containers: [{ name: 'a', image: guest('hostile'), args: ['fill', '/v/f', '1'], volumeMounts: [{ name: 'v', mountPath: '/v' }] }], volumes: [{ name: 'v', hostPath: { path: made, type: 'DirectoryOrCreate' } }] },
    }));
    assert.equal((await s.ok(['pod', 'run', file])).stdout.trim(), 'a | wrote 1 MiB: 0');
    assert.equal(statSync(made).mode & 0o777, 0o755);
    assert.equal(statSync(join(made, 'f')).size, 1 << 20);
  }));

describe('images that lie: one line naming the image, exit 1, no pod left, the image unchanged', () => {
  const s = new Workspace('lying');
  after(() => s.close());
  let base = '';
  before(async () => {
    const pod = manifest(s.dir, 'pod.yaml', 'lies', [{ name: 'c', guest: 'e2e_counter', args: ['--ticks', '100000', '--every-ms', '20'] }], []);
    await s.ok(['pod', 'run', '--detach', '--name', 'lies', pod]);
    await sleep(300);
    base = s.path('base');
    await s.ok(['checkpoint', 'lies', '--image-path', base]);
    await s.ok(['delete', 'lies']);
  });

  const CASES: Array<{ what: string; forge: (img: string) => void; inspect: boolean; want: RegExp }> = [
    { what: 'a FIFO in place of index.json', forge: (img) => fifo(join(img, 'index.json')), inspect: true, want: /index\.json: a FIFO, not a regular file$/ },
    { what: 'a FIFO in place of a blob', forge: (img) => fifo(join(blobs(img)[0]?.[1] ?? '')), inspect: false, want: /: a FIFO, not a regular file$/ },
    { what: 'a symbolic link to /dev/zero in place of oci-layout', forge: (img) => {
      rmSync(join(img, 'oci-layout'));
      symlinkSync('/dev/zero', join(img, 'oci-layout'));
    }, inspect: true, want: /oci-layout: a symbolic link, not a regular file$/ },
    { what: 'a pending call the module does not make there', forge: (img) => programs(img, (p) => {
      p.programs[0]!.pending.name = 'fd_write';
    }), inspect: false, want: /: container c: its saved stack does not lead to wasi_snapshot_preview1\.fd_write: the rewind reached wasi_snapshot_preview1\.poll_oneoff$/ },
    { what: 'a pending call with other arguments', forge: (img) => programs(img, (p) => {
      p.programs[0]!.pending.args[0] = 12345;
    }), inspect: false, want: /: container c: its saved stack does not lead to wasi_snapshot_preview1\.poll_oneoff: the call is made with \(\d+/ },
    { what: 'a program whose memory names the kernel', forge: (img) => programs(img, (p) => {
      p.programs[0]!.memory = 'kernel';
    }), inspect: true, want: /: payload "programs": programs\[0\]\.memory: payload "kernel" is kernel, not memory$/ },
    { what: 'a saved spec whose argv is a number', forge: (img) => {
      const f = new Forgery(img);
      ((f.checkpoint['meta'] as Record<string, unknown>)['spec'] as { containers: Array<Record<string, unknown>> }).containers[0]!['argv'] = 5;
      f.write();
    }, inspect: true, want: /: the saved spec: containers\[0\]\.argv: expected a list, got the number 5$/ },
  ];
  for (const c of CASES) {
    test(c.what, async () => {
      const img = s.path(`img-${CASES.indexOf(c)}`);
      cpSync(base, img, { recursive: true });
      c.forge(img);
      const before = snapshot(img);
      const r = await s.amber(['restore', '--image-path', img, '--detach', '--name', 'lied'], { timeoutMs: 60_000 });
      assert.match(userError(r, c.what), c.want);
      assert.ok(userError(r, c.what).includes(img), 'the line names the image');
      assert.deepEqual(await s.json<unknown[]>(['list', '--json']), [], 'no pod left behind');
      if (c.inspect) assert.match(userError(await s.amber(['inspect', img], { timeoutMs: 60_000 }), `inspect: ${c.what}`), c.want);
      assert.deepEqual(snapshot(img), before, 'the image is unchanged');
    });
  }
});

function fifo(path: string): void {
  rmSync(path);
  execFileSync('mkfifo', [path]);
}

/** Every entry of an image by relative path: a file's bytes in hex digest, else its kind (lstat only). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    const st = lstatSync(join(dir, f));
    out[f] = st.isFile() ? createHash('sha256').update(readFileSync(join(dir, f))).digest('hex') : st.isFIFO() ? 'fifo' : st.isSymbolicLink() ? 'link' : 'dir';
  }
  return out;
}

interface Programs { programs: Array<{ pending: { name: string; args: unknown[] }; memory: string }> }

/** Edits the programs payload as a forger would, every digest recomputed. */
function programs(img: string, edit: (p: Programs) => void): void {
  const f = new Forgery(img);
  const p = JSON.parse(new TextDecoder().decode(f.payload('programs'))) as Programs;
  edit(p);
  f.setPayload('programs', new TextEncoder().encode(JSON.stringify(p)));
  f.write();
}
