// The committed guests behave as their headers say, run under node's own node:wasi (scripts/run-wasi.mjs),
// so a wrong guest is told apart from a wrong kernel. guests/syscalls is not run here: node:wasi fails some
// of its checks (listed at the top of guests/syscalls.c); Amber's tests run it.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scratch } from '../src/host/testing/scratch.js';
import { guest, repo, runScript, type RunResult } from './testing/amber.js';

function nodeWasi(args: string[], input = ''): RunResult {
  return runScript(join(repo, 'scripts', 'run-wasi.mjs'), args, { input });
}

test('hello prints its greeting and args, and exits with --exit N', () => {
  const r = nodeWasi(['--', guest('hello'), 'a b', '--exit', '7']);
  assert.equal(r.stdout, 'hello, world\nargv[1] = a b\nargv[2] = --exit\nargv[3] = 7\n');
  assert.equal(r.code, 7);
  assert.equal(nodeWasi([guest('hello')]).code, 0);
});

test('cat copies files in order, stdin for "-" or no args, and fails with exit 1 on a missing file', (t) => {
  const dir = scratch('guests', t);
  writeFileSync(join(dir, 'a'), 'one\n');
  writeFileSync(join(dir, 'b'), 'two\n');
  const r = nodeWasi(['--dir', dir, '--', guest('cat'), join(dir, 'a'), '-', join(dir, 'b')], 'in\n');
  assert.deepEqual([r.code, r.stdout], [0, 'one\nin\ntwo\n']);
  assert.equal(nodeWasi([guest('cat')], 'piped').stdout, 'piped');
  const bad = nodeWasi(['--dir', dir, '--', guest('cat'), join(dir, 'a'), join(dir, 'missing')]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, 'one\n');
  assert.match(bad.stderr, new RegExp(`cat: ${join(dir, 'missing')}: No such file or directory`));
});

test('ls lists a tree recursively, sorted, with nlink, sizes and symlink targets', (t) => {
  const dir = scratch('guests', t);
  const top = join(dir, 't');
  mkdirSync(join(top, 'sub', 'deep'), { recursive: true });
  writeFileSync(join(top, 'b.txt'), 'hi\n');
  linkSync(join(top, 'b.txt'), join(top, 'a-hard'));
  symlinkSync('b.txt', join(top, 'link'));
  writeFileSync(join(top, 'sub', 'x'), 'xyz');
  const r = nodeWasi(['--dir', dir, '--', guest('ls'), top]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], `${top}:`);
  assert.equal(lines[1], '---------- 2 3 a-hard');
  assert.equal(lines[2], '---------- 2 3 b.txt');
  assert.equal(lines[3], 'l--------- 1 5 link -> b.txt');
  assert.match(lines[4] ?? '', /^d--------- 3 \d+ sub$/);
  assert.equal(lines[5], '');
  assert.equal(lines[6], `${top}/sub:`);
  assert.match(lines[7] ?? '', /^d--------- 2 \d+ deep$/);
  assert.equal(lines[8], '---------- 1 3 x');
  assert.equal(lines[10], `${top}/sub/deep:`);
  assert.equal(nodeWasi(['--dir', dir, '--', guest('ls'), join(dir, 'missing')]).code, 1);
});
