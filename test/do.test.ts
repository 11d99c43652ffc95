// End to end: `amber do` as a user runs it — stdio, args, env, exit codes, traps, bad modules, the
// container's standard mounts and host directories (DESIGN.md §1).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scratch } from '../src/host/testing/scratch.js';
import { amber, guest } from './testing/amber.js';

test('hello prints, sees its args and exits 0', () => {
  const r = amber(['do', '--', guest('hello'), 'one', 'two']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello, world\nargv[1] = one\nargv[2] = two\n');
});

test("the program's exit code is amber's", () => {
  const r = amber(['do', '--', guest('hello'), '--exit', '7']);
  assert.equal(r.code, 7);
});

test('stdin reaches the guest and stdout comes back', () => {
  const r = amber(['do', '--', guest('cat')], { input: 'line one\nline two\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'line one\nline two\n');
});

test('a trap is one line on stderr and exit 134, after the output before it', () => {
  const r = amber(['do', '--', guest('trap')]);
  assert.equal(r.code, 134);
  assert.equal(r.stdout, 'before the trap\n');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', /trap/);
});

test('a missing module is one line naming it, exit 1', () => {
  const r = amber(['do', '--', '/nonexistent/prog.wasm']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /\/nonexistent\/prog\.wasm/);
});

test('a file that is not WebAssembly is one line naming it, exit 1', (t) => {
  const dir = scratch('do', t);
  const bad = join(dir, 'bad.wasm');
  writeFileSync(bad, 'not wasm at all');
  const r = amber(['do', '--', bad]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /bad\.wasm/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

test('no module is a usage error, exit 2', () => {
  assert.equal(amber(['do']).code, 2);
});

test('the root is a tmpfs with /dev; absolute paths work', () => {
  const r = amber(['do', '--', guest('cat'), '/dev/null']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const ls = amber(['do', '--', guest('ls'), '/dev']);
  assert.equal(ls.code, 0, ls.stderr);
  for (const name of ['null', 'zero', 'full', 'random', 'urandom', 'shm']) assert.match(ls.stdout, new RegExp(`\\b${name}\\b`));
});

test('--dir HOST:GUEST shows the host directory at GUEST', (t) => {
  const host = scratch('do', t);
  writeFileSync(join(host, 'greeting.txt'), 'hi from the host\n');
  const r = amber(['do', '--dir', `${host}:/data`, '--', guest('cat'), '/data/greeting.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi from the host\n');
});

test('--dir HOST mounts at the same path; a host directory is listed by ls -lR', (t) => {
  const host = scratch('do', t);
  mkdirSync(join(host, 'sub'));
  writeFileSync(join(host, 'sub', 'x'), 'x');
  const r = amber(['do', '--dir', host, '--', guest('ls'), host]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sub/);
  assert.match(r.stdout, /\bx\b/);
});

test('a guest cannot read outside --dir through .. or a host symlink', (t) => {
  const top = scratch('do', t);
  const host = join(top, 'shared');
  mkdirSync(host);
  writeFileSync(join(top, 'secret'), 'SECRET');
  symlinkSync(join(top, 'secret'), join(host, 'abs-link'));
  symlinkSync('../secret', join(host, 'rel-link'));
  for (const path of ['/data/../secret', '/data/abs-link', '/data/rel-link', `/data/../../..${top}/secret`]) {
    const r = amber(['do', '--dir', `${host}:/data`, '--', guest('cat'), path]);
    assert.notEqual(r.code, 0, `${path} was readable`);
    assert.doesNotMatch(r.stdout, /SECRET/, path);
  }
});

test('guests/syscalls answers as Linux does on a host directory and on the tmpfs', (t) => {
  const host = scratch('do', t);
  const onHost = amber(['do', '--dir', `${host}:/x`, '--', guest('syscalls'), '/x']);
  assert.equal(onHost.code, 0, onHost.stderr);
  assert.match(onHost.stdout, /^ok \d+ checks$/m);
  const onTmpfs = amber(['do', '--', guest('syscalls'), '/tmp']);
  assert.equal(onTmpfs.code, 0, onTmpfs.stderr);
  assert.match(onTmpfs.stdout, /^ok \d+ checks$/m);
});

test('--dir paths relative to the caller, one mounted inside the other, each reach its own host directory', (t) => {
  const top = scratch('do', t);
  mkdirSync(join(top, 'outer', 'in'), { recursive: true });
  mkdirSync(join(top, 'inner'));
  writeFileSync(join(top, 'outer', 'a.txt'), 'outer\n');
  writeFileSync(join(top, 'inner', 'b.txt'), 'inner\n');
  // cat of a file in each mount: the inner mount's host path is resolved as given, not from wherever the
  // outer one's work left the process's working directory.
  for (const [path, want] of [['/o/a.txt', 'outer\n'], ['/o/in/b.txt', 'inner\n']] as const) {
    const r = amber(['do', '--dir', 'outer:/o', '--dir', 'inner:/o/in', '--', guest('cat'), path], { cwd: top });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, want);
  }
});

test('a missing --dir host directory is one line naming it, exit 1, and is not created', (t) => {
  const missing = join(scratch('do', t), 'nope');
  const r = amber(['do', '--dir', `${missing}:/x`, '--', guest('hello')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /nope/);
  assert.ok(!existsSync(missing));
});

test("the plain forms of do (read without commander, cli/plaindo.ts) mean what commander's reading means", (t) => {
  const host = scratch('do', t);
  writeFileSync(join(host, 'f.txt'), 'on the host\n');
  const hello = guest('hello');
  const lines = [
    ['--', hello, 'a', '--dir', 'b', '--'],
    [hello, '--', 'x', '-y', '--env=Z'],
    [hello, '--exit', '3'],
    ['--env', 'A=1', '--env=B=2=3', '--', hello, 'z'],
    ['--env', 'NOEQUALS', hello],
    ['--dir', `${host}:/d`, '--', guest('cat'), '/d/f.txt'],
    [`--dir=${host}:/d`, guest('ls'), '/d'],
    ['--', '-not-a-module.wasm'],
  ];
  for (const line of lines) {
    const plain = amber(['do', ...line]);
    // --root after the verb: a global option only commander reads, which `do` does not use.
    const full = amber(['do', '--root', join(host, 'root'), ...line]);
    assert.deepEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr }, { code: full.code, stdout: full.stdout, stderr: full.stderr }, line.join(' '));
  }
});
