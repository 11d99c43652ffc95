// The command as installed (bin/amber, package.json "bin"): node started from the command's V8 startup
// snapshot (cli/snapshot.ts) when the build made one for the node on PATH, else bin/amber.js. Either way
// a command line means the same: same output, same exit code, and a foreground pod re-executed with its
// guests' stack (cli/reexec.ts) runs too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scratch } from '../src/host/testing/scratch.js';
import { amber, guest, repo, type RunResult } from './testing/amber.js';

const installed = join(repo, 'bin', 'amber');

function command(args: string[], env: NodeJS.ProcessEnv = process.env): RunResult {
  const r = spawnSync(installed, args, { encoding: 'utf8', input: '', cwd: repo, env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A state root to be and a pod of one hello container, both in dir. */
function helloPod(dir: string): { root: string; pod: string } {
  const pod = join(dir, 'pod.yaml');
  writeFileSync(pod, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hi' }, spec: { containers: [{ name: 'hi', image: guest('hello'), args: ['x'] }] } }));
  return { root: join(dir, 'root'), pod };
}

test('bin/amber starts from the snapshot, and means what node bin/amber.js means', (t) => {
  const dir = scratch('command', t);
  const { root, pod } = helloPod(dir);
  const lines = [
    ['do', '--', guest('hello'), 'a', '--root', 'b'],
    ['do', guest('hello'), '--exit', '14'],
    ['--version'],
    ['do'],
    ['--root', root, 'list'],
    ['--root', root, 'nosuchverb'],
    ['--root', root, 'pod', 'run', pod],
  ];
  for (const line of lines) {
    const a = command(line);
    const b = amber(line);
    assert.deepEqual({ code: a.code, stdout: a.stdout, stderr: a.stderr }, { code: b.code, stdout: b.stdout, stderr: b.stderr }, line.join(' '));
  }
  const log = join(dir, 'debug.log');
  assert.equal(command(['--debug-log', log, '--log-level', 'debug', 'do', '--', guest('hello')]).code, 0);
  // (the whole command's: only a line that begins with `do` gets do's own snapshot)
  assert.match(readFileSync(log, 'utf8'), /debug: started from the snapshot of the command \(cli\.blob\)$/m);
  // NODE_OPTIONS could hold V8 flags, under which V8 refuses the snapshot: the script runs instead.
  const plain = join(dir, 'plain.log');
  const r = command(['--debug-log', plain, '--log-level', 'debug', 'do', '--', guest('hello')], { ...process.env, NODE_OPTIONS: '--no-warnings' });
  assert.equal(r.stdout, 'hello, world\n', r.stderr);
  assert.doesNotMatch(readFileSync(plain, 'utf8'), /snapshot/);
});

test('the verbs that only talk to a sandbox start from the snapshot holding those alone, and mean what they mean elsewhere', (t) => {
  const dir = scratch('command-ctl', t);
  const root = join(dir, 'root');
  const log = join(dir, 'debug.log');
  // Each line through bin/amber, logging where it started from.
  const ctl = (line: string[]): RunResult => command(['--debug-log', log, '--log-level', 'debug', ...line]);
  const same = (line: string[]): void => {
    const a = ctl(line);
    const b = amber(line);
    assert.deepEqual({ code: a.code, stdout: a.stdout, stderr: a.stderr }, { code: b.code, stdout: b.stdout, stderr: b.stderr }, line.join(' '));
  };
  const pod = join(dir, 'pod.yaml');
  writeFileSync(pod, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 's' }, spec: { containers: [{ name: 's', image: guest('sleeper'), args: ['count', '1000000'] }] } }));
  assert.equal(command(['--root', root, 'pod', 'run', '--detach', pod]).code, 0);
  const podLog = join(root, 'pods', 's', 'logs', 's.log');
  for (let i = 0; i < 400 && !(existsSync(podLog) && readFileSync(podLog, 'utf8').includes('\n3\n')); i++) spawnSync('sleep', ['0.05']);
  let lines = 0;
  for (const line of [['--root', root, 'state', 's'], ['-root', root, 'list'], ['--root', root, 'list', '--format', 'json'], ['--root', root, 'features'], ['--root', root, 'state', 'nosuch']]) {
    same(line);
    lines++;
  }
  const logs = ctl(['--root', root, 'logs', 's']);
  assert.match(logs.stdout, /^1\n2\n3\n/, logs.stderr);
  const image = join(dir, 'img');
  const archive = join(dir, 'img.tar');
  for (const line of [['checkpoint', 's', '--image-path', image, '--leave-running'], ['checkpoint', 's', '--export', archive, '--leave-running'], ['kill', 's', 'KILL'], ['delete', '--force', 's']]) {
    const r = ctl(['--root', root, ...line]);
    assert.equal(r.code, 0, `${line.join(' ')}: ${r.stderr}`);
  }
  lines += 5;
  // What they wrote is whole: the image and the archive restore.
  for (const [from, name] of [[['--image-path', image], 'r1'], [['--import', archive], 'r2']] as const) {
    assert.equal(command(['--root', root, 'restore', ...from, '--detach', '--name', name]).code, 0);
    assert.equal(command(['--root', root, 'delete', '--force', name]).code, 0);
  }

  // runc's verbs on a container made by create (the whole command).
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  copyFileSync(guest('ticker'), join(bundle, 'rootfs', 'ticker.wasm'));
  assert.equal(command(['spec', '--bundle', bundle]).code, 0);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[] } };
  config.process.args = ['/ticker.wasm', '--to', '100000', '--every-ms', '20'];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  const out = openSync(join(dir, 'out.txt'), 'w');
  try {
    // create's relay keeps its stdio: a file, not a pipe this test would wait on.
    const c = spawnSync(installed, ['--root', root, 'create', '--bundle', bundle, 'c1'], { stdio: ['ignore', out, out], timeout: 60_000 });
    assert.equal(c.status, 0, readFileSync(join(dir, 'out.txt'), 'utf8'));
  } finally {
    closeSync(out);
  }
  for (const line of [['start', 'c1'], ['ps', '--format', 'json', 'c1'], ['pause', 'c1'], ['resume', 'c1'], ['events', '--stats', 'c1'], ['kill', 'c1', 'KILL']]) {
    const r = ctl(['--root', root, ...line]);
    assert.equal(r.code, 0, `${line.join(' ')}: ${r.stderr}`);
  }
  lines += 6;
  for (let i = 0; i < 200 && !ctl(['--root', root, 'state', 'c1']).stdout.includes('"stopped"'); i++) {
    lines++;
    spawnSync('sleep', ['0.05']);
  }
  assert.equal(ctl(['--root', root, 'delete', 'c1']).code, 0);
  lines += 2;
  // Every one of them started from the smaller snapshot, and only they did.
  const text = readFileSync(log, 'utf8');
  assert.equal(text.match(/debug: started from the snapshot of the command \(cli-ctl\.blob\)$/gm)?.length, lines, text);
  assert.doesNotMatch(text, /\(cli\.blob\)/);
  // A line for another verb given to that snapshot runs as the whole command (bin/amber sends none).
  const direct = spawnSync(process.execPath, ['--snapshot-blob', join(repo, 'dist', 'bundle', 'cli-ctl.blob'), '--', '--root', root, 'pod', 'run', join(dir, 'nosuch.yaml')], { encoding: 'utf8', timeout: 60_000 });
  const whole = amber(['--root', root, 'pod', 'run', join(dir, 'nosuch.yaml')]);
  assert.deepEqual({ code: direct.status, stderr: direct.stderr }, { code: whole.code, stderr: whole.stderr });
});

test("a foreground pod runs again from the command's snapshot built with its stack flags, with the same output", (t) => {
  const dir = scratch('command-pod', t);
  const { root, pod } = helloPod(dir);
  // node bin/amber.js (no snapshot) re-executes itself; the process it starts logs where it started from.
  const log = join(dir, 'pod.log');
  const r = amber(['--root', root, '--debug-log', log, '--log-level', 'debug', 'pod', 'run', '--name', 'a', pod]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hello, world/);
  assert.match(readFileSync(log, 'utf8'), /debug: started from the snapshot of the command \(cli-pod\.blob\)$/m);
  // With NODE_OPTIONS (which could hold V8 flags) the script runs again instead, and means the same.
  const plain = join(dir, 'plain.log');
  const p = amber(['--root', root, '--debug-log', plain, '--log-level', 'debug', 'pod', 'run', '--name', 'b', pod], { env: { ...process.env, NODE_OPTIONS: '--no-warnings' } });
  assert.deepEqual({ code: p.code, stdout: p.stdout.replaceAll('b |', 'a |') }, { code: r.code, stdout: r.stdout });
  assert.doesNotMatch(readFileSync(plain, 'utf8'), /snapshot/);
});

test('bin/amber starts a plain foreground pod run as the process that runs it: from the snapshot with the stack, no re-execution', (t) => {
  const dir = scratch('command-podrun', t);
  const { root, pod } = helloPod(dir);
  const log = join(dir, 'pod.log');
  const r = command(['--root', root, '--debug-log', log, '--log-level', 'debug', 'pod', 'run', pod]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hello, world/);
  // One command line logged, by one process, started from the snapshot (a re-execution logs it twice).
  const text = readFileSync(log, 'utf8');
  assert.equal(text.match(/ info: --root /g)?.length, 1, text);
  assert.match(text, /debug: started from the snapshot of the command \(cli-pod\.blob\)$/m);
  // A detached run is not one: it starts a sandbox, as before.
  const d = command(['--root', root, 'pod', 'run', '--detach', '--name', 'd', pod]);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout.trim(), 'd');
  assert.equal(command(['--root', root, 'delete', '--force', 'd']).code, 0);
});

test("node starts without NODE_EXTRA_CA_CERTS (read at start-up, ~38 ms): the command's node, and the sandbox it starts", (t) => {
  const dir = scratch('command-certs', t);
  const { root, pod } = helloPod(dir);
  // A file that is not there: node warns on stderr as it starts when it is given one.
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'no-such-certs.pem') };
  const v = command(['--version'], env);
  assert.deepEqual({ code: v.code, stderr: v.stderr }, { code: 0, stderr: '' });
  assert.match(v.stdout, /^amber version /);
  const d = command(['--root', root, 'pod', 'run', '--detach', '--name', 'c', pod], env);
  assert.deepEqual({ code: d.code, stdout: d.stdout, stderr: d.stderr }, { code: 0, stdout: 'c\n', stderr: '' });
  const log = join(root, 'pods', 'c', 'sandbox.log');
  for (let i = 0; i < 200 && !/hello, world/.test(readFileSync(join(root, 'pods', 'c', 'logs', 'hi.log'), 'utf8')); i++) spawnSync('sleep', ['0.05']);
  assert.doesNotMatch(readFileSync(log, 'utf8'), /extra certs/);
  assert.equal(command(['--root', root, 'delete', '--force', 'c']).code, 0);
});

/**
 * A copy of bin/amber in dir/bin, its dist/bundle the real one's files linked but for the snapshot's id
 * (the build's line, naming dir/bin, with node's inode as given), and dir/tools on PATH first: a stat and
 * a readlink that say in dir/used when bin/amber starts them.
 */
function fakeInstall(dir: string, ino?: number): { bin: string; env: NodeJS.ProcessEnv; used: () => string } {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist', 'bundle'), { recursive: true });
  copyFileSync(join(repo, 'bin', 'amber'), join(dir, 'bin', 'amber'));
  copyFileSync(join(repo, 'bin', 'amber.js'), join(dir, 'bin', 'amber.js'));
  const real = join(repo, 'dist', 'bundle');
  for (const f of readdirSync(real)) if (!f.endsWith('.id')) symlinkSync(join(real, f), join(dir, 'dist', 'bundle', f));
  const [node, realIno, size] = readFileSync(join(real, 'cli.blob.id'), 'utf8').split(' ');
  writeFileSync(join(dir, 'dist', 'bundle', 'cli.blob.id'), `${node} ${ino ?? realIno} ${size} ${join(dir, 'bin')}\n`);
  mkdirSync(join(dir, 'tools'));
  for (const tool of ['stat', 'readlink']) {
    writeFileSync(join(dir, 'tools', tool), `#!/bin/sh\necho ${tool} >> '${join(dir, 'used')}'\nexec /usr/bin/${tool} "$@"\n`);
    chmodSync(join(dir, 'tools', tool), 0o755);
  }
  const used = (): string => (existsSync(join(dir, 'used')) ? readFileSync(join(dir, 'used'), 'utf8') : '');
  return { bin: join(dir, 'bin', 'amber'), env: { ...process.env, PATH: `${join(dir, 'tools')}:${process.env['PATH'] ?? ''}` }, used };
}

/** Whether `amber list` run as bin started from the command's snapshot (its debug log says so). */
function fromSnapshot(bin: string, dir: string, env: NodeJS.ProcessEnv): boolean {
  const log = join(dir, `debug-${Date.now()}-${Math.random()}.log`);
  const r = spawnSync(bin, ['--debug-log', log, '--log-level', 'debug', '--root', join(dir, 'root'), 'list'], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return /debug: started from the snapshot of the command \(cli-ctl\.blob\)$/m.test(readFileSync(log, 'utf8'));
}

test("bin/amber finds its snapshot starting no process: node's inode is looked up only when node changed after the build", (t) => {
  const dir = scratch('command-fits', t);
  const fresh = fakeInstall(join(dir, 'a'));
  // Node and its folder older than the id: no stat, and through a symlink where npm puts one, no readlink.
  assert.equal(fromSnapshot(fresh.bin, join(dir, 'a'), fresh.env), true);
  mkdirSync(join(dir, 'a', 'node_modules', '.bin'), { recursive: true });
  symlinkSync('../../bin/amber', join(dir, 'a', 'node_modules', '.bin', 'amber'));
  assert.equal(fromSnapshot(join(dir, 'a', 'node_modules', '.bin', 'amber'), join(dir, 'a'), fresh.env), true);
  assert.equal(fresh.used(), '');
  // A symlink anywhere else is resolved by readlink.
  symlinkSync(fresh.bin, join(dir, 'amber-elsewhere'));
  assert.equal(fromSnapshot(join(dir, 'amber-elsewhere'), join(dir, 'a'), fresh.env), true);
  assert.equal(fresh.used(), 'readlink\n');
  // An id written before node's folder last changed: stat says whether node is the one it names.
  const node = readFileSync(join(repo, 'dist', 'bundle', 'cli.blob.id'), 'utf8').split(' ')[0] ?? '';
  const before = statSync(node.slice(0, node.lastIndexOf('/'))).mtimeMs / 1000 - 60;
  utimesSync(join(dir, 'a', 'dist', 'bundle', 'cli.blob.id'), before, before);
  assert.equal(fromSnapshot(fresh.bin, join(dir, 'a'), fresh.env), true);
  assert.equal(fresh.used(), 'readlink\nstat\n');
  const other = fakeInstall(join(dir, 'b'), 1);
  utimesSync(join(dir, 'b', 'dist', 'bundle', 'cli.blob.id'), before, before);
  assert.equal(fromSnapshot(other.bin, join(dir, 'b'), other.env), false);
  assert.equal(other.used(), 'stat\n');
});
