// runc's command line without containerd, as a shim or a person types it: `spec` writes runc's default
// config (a read-only root with no /dev or /proc in it), which runs once args[0] names a .wasm; create,
// start, state, ps, pause, resume, exec --process, kill and delete on a container whose relay holds the
// stdio create was given; --log --log-format json gets each error as a JSON line; every bad bundle is
// one line; runc's single-dash flags work.
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { guest, succeeded, userError } from './testing/amber.js';
import { editBundle, specBundle } from './testing/bundles.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

describe('runc\'s command line', () => {
  test('runc spec\'s default config pointed at a .wasm runs: /dev and /proc in memory over a read-only root', async (t) => {
    const w = workspace('runc-spec', t);
    const bundle = await specBundle(w, 'b', 'ls', ['/dev']);
    const r = await w.ok(['run', '--bundle', bundle, 'spec1']);
    assert.match(r.stdout, /^\/dev:\n(.*\n)*c--------- 1 0 null\n/);
    assert.deepEqual(readdirSync(join(bundle, 'rootfs')), ['ls.wasm'], 'nothing was made in the read-only root on the host');
    assert.equal(userError(await w.amber(['spec', '--bundle', bundle]), 'spec over an existing config.json'), `amber: ${join(bundle, 'config.json')}: exists already; remove it first`);
  });

  test('a read-only root\'s in-memory mountpoints survive a checkpoint and restore', async (t) => {
    const w = workspace('runc-spec-ckpt', t);
    const bundle = await specBundle(w, 'b', 'ticker', ['--to', '150', '--every-ms', '20']);
    await w.ok(['run', '--detach', '--bundle', bundle, 'ro1']);
    await until('tick 3', async () => (await w.amber(['logs', 'ro1'])).stdout.includes('tick 3\n'));
    await w.ok(['checkpoint', 'ro1', '--image-path', w.path('img')]);
    const r = await w.ok(['restore', '--image-path', w.path('img'), '--name', 'ro2']);
    assert.match(r.stdout, /tick 150\n$/);
    assert.doesNotMatch(r.stdout, /^tick 1\n/, 'the restored ticker carries on');
  });

  test('create, start, state, ps, pause, resume, exec, kill and delete; the relay holds create\'s stdio', async (t) => {
    const w = workspace('runc-verbs', t);
    const bundle = await specBundle(w, 'b', 'ticker', ['--to', '100000', '--every-ms', '20']);
    copyFileSync(guest('hello'), join(bundle, 'rootfs', 'hello.wasm'));
    const outPath = w.path('out.txt');
    const out = openSync(outPath, 'w');
    try {
      // runc's single-dash forms, as urfave/cli takes them.
      succeeded(await w.amber(['-log', w.path('log.json'), '-log-format', 'json', '-log-level', 'debug', 'create', '-bundle', bundle, '-pid-file', w.path('pid'), 'c1'], { stdio: ['ignore', out, out] }), 'create');
    } finally {
      closeSync(out);
    }
    // At debug, the log shows where create's time went, phase by phase.
    const phases = readFileSync(w.path('log.json'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'debug').map((l) => l.msg.replace(/ at \d+ ms$/, ''));
    assert.deepEqual(phases, ['create c1: the bundle read', 'create c1: the sandbox runs', 'create c1: the relay attached']);
    const pid = Number(readFileSync(w.path('pid'), 'utf8'));
    assert.ok(pid > 0, 'the pid file names the relay');
    let s = await w.json<{ status: string; pid: number; bundle: string; id: string }>(['state', 'c1']);
    assert.deepEqual([s.id, s.status, s.pid, s.bundle], ['c1', 'created', pid, bundle]);
    assert.equal(readFileSync(outPath, 'utf8'), '', 'nothing runs before start');
    await w.ok(['start', 'c1']);
    await until('tick 2 on create\'s stdout', () => readFileSync(outPath, 'utf8').includes('tick 2\n'));
    assert.equal((await w.json<{ status: string }>(['state', 'c1'])).status, 'running');
    assert.deepEqual(await w.json<number[]>(['ps', '--format', 'json', 'c1']), [pid]);
    await w.ok(['pause', 'c1']);
    assert.equal((await w.json<{ status: string }>(['state', 'c1'])).status, 'paused');
    await w.ok(['resume', 'c1']);
    writeFileSync(w.path('proc.json'), JSON.stringify({ args: ['/hello.wasm', '--exit', '5'], env: [], cwd: '/' }));
    const ex = await w.amber(['exec', '--process', w.path('proc.json'), 'c1']);
    assert.equal(ex.code, 5, `exec --process: ${ex.stderr}`);
    assert.match(ex.stdout, /^hello, world\n/);
    await w.ok(['kill', 'c1', 'TERM']);
    await until('c1 stopped', async () => (await w.json<{ status: string }>(['state', 'c1'])).status === 'stopped');
    assert.equal(userError(await w.amber(['kill', 'c1', 'KILL']), 'kill of a stopped container'), 'amber: container not running');
    await w.ok(['delete', 'c1']);
    assert.equal(userError(await w.amber(['--log', w.path('log.json'), '--log-format', 'json', 'delete', 'c1']), 'delete again'), 'amber: container c1 does not exist');
    await w.ok(['delete', '--force', 'c1']);
    const errors = readFileSync(w.path('log.json'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: string; msg: string; time: string }).filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, 'one error line in the --log');
    assert.equal(errors[0]?.msg, 'container c1 does not exist');
    assert.ok(!existsSync(join(w.root, 'pods', 'c1')), 'delete removed the pod');
  });

  test('CRI annotations make a pod: a native pause sandbox container holds it, a container joins it', async (t) => {
    const w = workspace('runc-cri', t);
    const sandbox = await specBundle(w, 'sandbox', 'hello', []);
    // The pause image's binary is native code, not WebAssembly: the sandbox container runs nothing.
    writeFileSync(join(sandbox, 'rootfs', 'pause'), '\x7fELF native pause');
    editBundle(sandbox, (c) => {
      c.process.args = ['/pause'];
      c.annotations = { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'pod1' };
    });
    const member = await specBundle(w, 'member', 'hello', ['joined']);
    editBundle(member, (c) => {
      c.annotations = { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'pod1', 'io.kubernetes.cri.container-name': 'app' };
    });
    const devnull = openSync('/dev/null', 'w');
    const outPath = w.path('member.out');
    const out = openSync(outPath, 'w');
    try {
      succeeded(await w.amber(['create', '--bundle', sandbox, 'pod1'], { stdio: ['ignore', devnull, devnull] }), 'create the sandbox container');
      await w.ok(['start', 'pod1']);
      assert.equal((await w.json<{ status: string }>(['state', 'pod1'])).status, 'running', 'a pause container runs until signalled');
      succeeded(await w.amber(['create', '--bundle', member, 'member1'], { stdio: ['ignore', out, out] }), 'create the joining container');
    } finally {
      closeSync(devnull);
      closeSync(out);
    }
    const record = JSON.parse(readFileSync(join(w.root, 'pods', 'pod1', 'record.json'), 'utf8')) as { containers: Array<{ name: string; status: string }> };
    assert.deepEqual(record.containers.map((c) => [c.name, c.status]), [['pod1', 'running'], ['app', 'created']]);
    assert.ok(!existsSync(join(w.root, 'pods', 'member1')), 'the joining container has no sandbox of its own');
    await w.ok(['start', 'member1']);
    await until('the member container stopped', async () => (await w.json<{ status: string }>(['state', 'member1'])).status === 'stopped');
    assert.match(readFileSync(outPath, 'utf8'), /^hello, world\nargv\[1\] = joined\n$/);
    // containerd's shim unmounts a container's rootfs right after runc delete: the sandbox must let go of it.
    const sandboxPid = (JSON.parse(readFileSync(join(w.root, 'pods', 'pod1', 'record.json'), 'utf8')) as { sandboxPid: number }).sandboxPid;
    const holds = (dir: string): boolean => readdirSync(`/proc/${sandboxPid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${sandboxPid}/fd/${fd}`).startsWith(dir);
      } catch {
        return false;
      }
    });
    assert.ok(holds(join(member, 'rootfs')), 'the sandbox holds the member\'s root while it is in the pod');
    await w.ok(['delete', 'member1']);
    assert.ok(!holds(join(member, 'rootfs')), 'runc delete released the member\'s root');
    assert.ok(holds(join(sandbox, 'rootfs')), 'the sandbox container keeps its own');
    assert.equal((await w.json<{ status: string }>(['state', 'pod1'])).status, 'running', 'the pod outlives its containers');
    await w.ok(['checkpoint', '--leave-running', '--image-path', w.path('img'), 'pod1']);
    await w.ok(['kill', 'pod1', 'TERM']);
    await until('the pod stopped', async () => (await w.json<{ status: string }>(['state', 'pod1'])).status === 'stopped');
    await w.ok(['delete', 'pod1']);
  });

  test('every bad bundle is one line', async (t) => {
    const w = workspace('runc-bad', t);
    const bundle = await specBundle(w, 'b', 'hello', []);
    const cases: Array<[string, (dir: string) => void, RegExp]> = [
      ['no config.json', (d) => writeFileSync(join(d, 'config.json'), '{'), /config\.json: invalid JSON/],
      ['a module that is not there', (d) => writeFileSync(join(d, 'config.json'), readFileSync(join(bundle, 'config.json'), 'utf8').replace('/hello.wasm', '/nope.wasm')), /process\.args\[0\]: no such file/],
      ['a module that is not WebAssembly', (d) => {
        writeFileSync(join(d, 'config.json'), readFileSync(join(bundle, 'config.json'), 'utf8'));
        writeFileSync(join(d, 'rootfs', 'hello.wasm'), '#!/bin/sh\n');
      }, /hello\.wasm.*not a module Amber can transform: error in parsing wasm binary$/],
      ['no root', (d) => writeFileSync(join(d, 'config.json'), readFileSync(join(bundle, 'config.json'), 'utf8').replace('"rootfs"', '"gone"')), /root\.path: no such directory/],
    ];
    // A terminal (ctr run -t) is refused before anything is made, in one line.
    for (const verb of [['create', '--console-socket', w.path('console.sock'), '--bundle', bundle, 'tty1'], ['restore', '--console-socket', w.path('console.sock'), '--image-path', w.path('none'), '--bundle', bundle, 'tty2']]) {
      assert.match(userError(await w.amber(verb), `${verb[0]} --console-socket`), /^amber: --console-socket: a terminal is not supported .*without -t\)$/);
    }
    assert.ok(!existsSync(join(w.root, 'pods', 'tty1')), 'create --console-socket made no pod');
    for (const [i, [what, make, want]] of cases.entries()) {
      const d = w.path(`bad${i}`);
      mkdirSync(join(d, 'rootfs'), { recursive: true });
      make(d);
      for (const verb of [['run', '--bundle', d, `bad${i}`], ['create', '--bundle', d, `badc${i}`]]) {
        const r = await w.amber(verb);
        assert.match(userError(r, `${verb[0]}: ${what}`), want);
        assert.equal(r.stderr.trim().split('\n').length, 1, `${verb[0]}: ${what}: one line: ${r.stderr}`);
      }
    }
  });
});
