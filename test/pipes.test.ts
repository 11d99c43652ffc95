// A reader that goes away, as `amber logs ID | head` makes one: the command ends at its next write with
// 141 (as SIGPIPE ends a C program) and nothing on stderr, never EPIPE's stack trace; a pod's whole log
// and a followed one alike. And the global --log-level: what reaches the command's --log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { amberBin, repo } from './testing/amber.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

/** `amber ARGS` whose stdout is closed by its reader after the first chunk: its exit code and stderr. */
function readOneChunk(args: readonly string[]): Promise<{ code: number | null; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [amberBin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '';
    let stderr = '';
    child.stdout.once('data', (b: Buffer) => {
      first = b.toString('utf8');
      child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`amber ${args.join(' ')}: still writing 60 s after its reader went away`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, first, stderr });
    });
  });
}

describe('a reader that goes away', () => {
  test('amber logs ID | head: 141 and no stack trace, for a whole log and a followed one', async (t) => {
    const w = workspace('pipes', t);
    // 40,000 lines (~400 KB): more than a pipe holds, so logs is still writing when its reader goes.
    const done = manifest(w.dir, 'done.yaml', 'lots', [{ name: 't', guest: 'ticker', args: ['--to', '40000', '--every-ms', '0'] }], []);
    await w.ok(['pod', 'run', '--detach', done]);
    await until('the pod wrote its 40,000 lines', async () => (await w.json<{ status: string }>(['state', 'lots'])).status === 'stopped', 60_000);
    for (const args of [['logs', 'lots'], ['logs', 'lots', 't']]) {
      const r = await readOneChunk(['--root', w.root, ...args]);
      assert.match(r.first, /^(t \| )?tick 1\n/);
      assert.equal(r.code, 141, `amber ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '', `amber ${args.join(' ')}: nothing on stderr`);
    }
    const live = manifest(w.dir, 'live.yaml', 'live', [{ name: 't', guest: 'ticker', args: ['--to', '10000000', '--every-ms', '1'] }], []);
    await w.ok(['pod', 'run', '--detach', live]);
    const r = await readOneChunk(['--root', w.root, 'logs', '--follow', 'live']);
    assert.equal(r.code, 141, `logs --follow: ${r.stderr}`);
    assert.equal(r.stderr, '');
    await w.ok(['kill', 'live', 'KILL']);
  });

  test('--log-level chooses what reaches --log: the command line at info, errors always', async (t) => {
    const w = workspace('loglevel', t);
    const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: string; msg: string });
    for (const [level, want] of [['info', ['info', 'error']], ['error', ['error']], ['debug', ['info', 'error']]] as const) {
      const log = w.path(`${level}.json`);
      const r = await w.amber(['--log', log, '--log-format', 'json', '--log-level', level, 'state', 'nosuchpod']);
      assert.equal(r.code, 1);
      const got = lines(log);
      for (const l of want) assert.ok(got.some((g) => g.level === l), `--log-level ${level}: a ${l} line in ${JSON.stringify(got)}`);
      for (const g of got) assert.ok((want as readonly string[]).includes(g.level) || g.level === 'debug', `--log-level ${level}: ${g.level} line ${g.msg}`);
      if (level !== 'debug') assert.ok(!got.some((g) => g.level === 'debug'), `--log-level ${level}: no debug lines`);
    }
    const bad = await w.amber(['--log-level', 'loud', 'list']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--log-level loud: expected debug, info, warn or error/);
  });
});
