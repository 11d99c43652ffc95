// The checkpoint intent's FIFO: the line bin/amber's shell function `cutting` writes for a command line
// (run by sh as bin/amber runs it), read back by listenIntents as the sandbox reads it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CUT_INTENT_FIFO, listenIntents, parseIntent, type CutIntent } from './cutintent.js';

const script = readFileSync(new URL('../../bin/amber', import.meta.url), 'utf8');
const cutting = /^cutting\(\) \{\n[\s\S]*?\n\}\n/m.exec(script)?.[0] ?? '';

test('parseIntent reads the line bin/amber writes, and nothing else', () => {
  assert.deepEqual(parseIntent('checkpoint\t42\tleave\t/a b/img\t'), { pid: 42, leaveRunning: true, imagePath: '/a b/img' });
  assert.deepEqual(parseIntent('checkpoint\t42\tstop\t/img\t/parent'), { pid: 42, leaveRunning: false, imagePath: '/img', parentPath: '/parent' });
  for (const bad of ['checkpoint\t42\tleave\timg\t', 'checkpoint\t0\tleave\t/img\t', 'checkpoint\t-1\tleave\t/img\t', 'checkpoint\t4x\tleave\t/img\t',
    'checkpoint\t42\tleave\t/img\trel', 'checkpoint\t42\tpause\t/img\t', 'restore\t42\tleave\t/img\t', 'checkpoint\t42\t/img\t', 'checkpoint\t42\tleave\t/img\t\t', '']) {
    assert.equal(parseIntent(bad), null, JSON.stringify(bad));
  }
});

/** The intents bin/amber's `cutting` writes for each line, in order (a line that announces none adds none). */
async function announced(lines: readonly (readonly string[])[], cwd: string, env: Record<string, string> = {}): Promise<CutIntent[]> {
  const got: CutIntent[] = [];
  const errors: string[] = [];
  const podDir = join(cwd, 'root', 'pods', 'p1');
  mkdirSync(podDir, { recursive: true });
  const listener = listenIntents(podDir, (i) => got.push(i), (why) => errors.push(why));
  try {
    const fifo = join(podDir, CUT_INTENT_FIFO);
    for (let i = 0; i < 200 && !existsSync(fifo); i++) await new Promise((res) => setTimeout(res, 10));
    assert.ok(statSync(fifo).isFIFO(), 'listenIntents made a FIFO');
    await new Promise((res) => setTimeout(res, 20)); // it opens the FIFO once mkfifo has exited
    const pids: number[] = [];
    for (const args of lines) {
      const r = spawnSync('sh', ['-c', `${cutting}cutting "$@"; echo $$`, 'sh', ...args], { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env } });
      assert.equal(r.stderr, '');
      pids.push(Number(r.stdout.trim()));
    }
    for (let i = 0; i < 50 && got.length < lines.length; i++) await new Promise((res) => setTimeout(res, 10));
    // Each intent names the process that wrote it (the command's, once it execs node).
    for (const intent of got) assert.ok(pids.includes(intent.pid), `pid ${intent.pid} is one of the lines'`);
    assert.deepEqual(errors, []);
    return got.map(({ pid: _pid, ...rest }) => ({ pid: 1, ...rest }));
  } finally {
    listener.close();
    assert.equal(existsSync(join(podDir, CUT_INTENT_FIFO)), false, 'close() removes the FIFO');
  }
}

test("bin/amber's cutting announces a pod's checkpoint, in runc's forms too, and no other line", async () => {
  assert.notEqual(cutting, '', 'bin/amber has a function cutting');
  const dir = mkdtempSync(join(tmpdir(), 'amber-cutintent-'));
  try {
    const root = join(dir, 'root');
    const got = await announced([
      ['--root', root, 'checkpoint', 'p1', '--image-path', '/i1', '--leave-running'],
      ['--root=root', '--debug', 'checkpoint', '-leave-running', '-image-path=rel/i2', 'p1'],
      ['checkpoint', '--root', root, '--parent-path', 'par', '--image-path', '/i3', '-c', 'none', '--leave-running', 'p1'],
      ['--root', '/elsewhere', 'checkpoint', '--root', root, '--work-path', '/w', '--image-path', '/i4', '--leave-running', 'p1'],
      ['--root', root, 'checkpoint', 'p1', '--image-path', '/i5'], // stops the pod
      // None of these:
      ['--root', root, 'checkpoint', 'p1', '--image-path', '/n2', '--leave-running', '-c', 'zstd'],
      ['--root', root, 'checkpoint', 'p1', '--image-path', '/n3', '--leave-running', '--export', '/x.tar'],
      ['--root', root, 'checkpoint', 'p2', '--image-path', '/n4', '--leave-running'], // no such pod: no FIFO
      ['--root', root, 'checkpoint', '../pods/p1', '--image-path', '/n5', '--leave-running'],
      ['--root', root, 'checkpoint', 'p1', 'p1', '--image-path', '/n6', '--leave-running'],
      ['--root', root, 'checkpoint', 'p1', '--image-path', '/n\t7', '--leave-running'],
      ['--root', root, 'checkpoint', 'p1', '--image-path', '/n8', '--leave-running', '--tcp-established'],
      ['--root', root, 'restore', 'p1', '--image-path', '/n9', '--leave-running'],
      ['--root', join(dir, 'other'), 'checkpoint', 'p1', '--image-path', '/n10', '--leave-running'],
    ], dir);
    assert.deepEqual(got, [
      { pid: 1, leaveRunning: true, imagePath: '/i1' },
      { pid: 1, leaveRunning: true, imagePath: `${dir}/rel/i2` },
      { pid: 1, leaveRunning: true, imagePath: '/i3', parentPath: `${dir}/par` },
      { pid: 1, leaveRunning: true, imagePath: '/i4' },
      { pid: 1, leaveRunning: false, imagePath: '/i5' },
    ]);
    // AMBER_ROOT is the root when no --root is given.
    assert.deepEqual(await announced([['checkpoint', 'p1', '--image-path', '/e1', '--leave-running']], dir, { AMBER_ROOT: root }), [{ pid: 1, leaveRunning: true, imagePath: '/e1' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a line no one reads is dropped: a FIFO whose reader is gone takes it without blocking', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amber-cutintent-'));
  try {
    const podDir = join(dir, 'pods', 'p1');
    mkdirSync(podDir, { recursive: true });
    assert.equal(spawnSync('mkfifo', [join(podDir, CUT_INTENT_FIFO)]).status, 0);
    const r = spawnSync('sh', ['-c', `${cutting}cutting "$@" && echo written`, 'sh', '--root', dir, 'checkpoint', 'p1', '--image-path', '/i', '--leave-running'], { encoding: 'utf8', timeout: 5000 });
    assert.equal(r.error, undefined, 'sh ended by itself');
    assert.equal(r.stdout, 'written\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
