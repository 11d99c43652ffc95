// End to end: a checkpoint begun before its request (sandbox/cutintent.ts, earlycut.ts). `amber checkpoint
// [--leave-running]` as installed (bin/amber, the shell script) announces the cut through the pod's FIFO,
// and the pod's sandbox begins the cut while the command's node starts (a tracked pod's pre-copy, an
// untracked one's snapshot buffers); the image is the same as ever (it restores and counts on). An intent whose request does not match, or that never gets one, is
// dropped, nothing of it left beside its image path, and the next cut is a full one: the dropped pass read
// and cleared the write maps (the sandbox's debug check, AMBER_CHECK_WRITE_MAPS=1, fails a cut that
// trusted them).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repo, succeeded, type RunResult } from './testing/amber.js';
import { numbers, range } from './testing/counters.js';
import { heldCounterPod } from './testing/manifests.js';
import { cutLine } from './testing/sandboxlog.js';
import { ready, until, verdict } from './testing/wait.js';
import { withWorkspace, type Workspace } from './testing/workspace.js';

const installed = join(repo, 'bin', 'amber');
const checked = { env: { ...process.env, AMBER_CHECK_WRITE_MAPS: '1' } };
const touch = (path: string) => writeFileSync(path, '');

/** `amber --root ROOT ARGS` run as installed (bin/amber), which announces a checkpoint; fails unless it exits 0. */
function installedOk(s: Workspace, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(installed, ['--root', s.root, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve(succeeded({ code: code ?? -1, stdout, stderr }, `bin/amber ${args.join(' ')}`)));
  });
}

const logPath = (s: Workspace, id: string): string => join(s.root, 'pods', id, 'sandbox.log');
const sandboxLog = (s: Workspace, id: string): string => readFileSync(logPath(s, id), 'utf8');

/**
 * Restores img on a root of its own as pod name, its ctl volume a copy of ctl with every hold let go, and
 * fails unless it counts on from `from` to the end, each tick once.
 */
async function countsOn(s: Workspace, ctl: string, img: string, name: string, from: number, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const ctl2 = s.path(`ctl-${name}`);
  cpSync(ctl, ctl2, { recursive: true });
  for (const n of [4, 8]) touch(join(ctl2, `go.${n}`));
  const root2 = s.path(`root-${name}`);
  await s.ok(['restore', '--image-path', img, '--detach', '--name', name, '--volume', `ctl=${ctl2}`], { ...opts, root: root2 });
  await verdict(join(ctl2, 'done'));
  assert.deepEqual(numbers((await s.ok(['logs', name], { root: root2 })).stdout), range(from, 14), `${name} counts on from its cut, each tick once`);
}

/** Writes an intent into the pod's FIFO as bin/amber does (a FIFO opened read-write takes it at once). */
function announce(s: Workspace, id: string, pid: number, image: string, parent = ''): void {
  const fifo = join(s.root, 'pods', id, 'checkpoint.fifo');
  const r = spawnSync('sh', ['-c', 'printf "checkpoint\\t%s\\tleave\\t%s\\t%s\\n" "$1" "$2" "$3" 1<>"$4"', 'sh', String(pid), image, parent, fifo], { timeout: 5000 });
  assert.equal(r.status, 0, 'the intent is written');
}

/** Nothing is left beside an image path but what is named (a staged image is DIR.tmp-*). */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.tmp-'));
}

describe('checkpoints begun on their intent', { concurrency: true }, () => {
  test("bin/amber's checkpoint is begun before its request, carried on, and restores; an incremental one is not begun early", () =>
    withWorkspace(async (s) => {
      const { pod, ctl } = heldCounterPod(s.dir, 'ci');
      await s.ok(['pod', 'run', pod, '--detach', '--track-writes'], checked);
      await ready(join(ctl, 'ready.4'));
      await until('the pod FIFO', () => existsSync(join(s.root, 'pods', 'ci', 'checkpoint.fifo')));
      const img1 = s.path('img1');
      const img2 = s.path('img2');
      await installedOk(s, ['checkpoint', 'ci', '--image-path', img1, '--leave-running']);
      assert.match(sandboxLog(s, 'ci'), new RegExp(`^checkpoint ${img1}: begun on its command's intent \\d+ ms before the request: carried on$`, 'm'));
      touch(join(ctl, 'go.4'));
      await ready(join(ctl, 'ready.8'));
      await installedOk(s, ['checkpoint', 'ci', '--image-path', img2, '--leave-running']);
      assert.match(sandboxLog(s, 'ci'), new RegExp(`^checkpoint ${img2}: intent of pid \\d+ not begun: an incremental cut, begun when asked$`, 'm'));
      assert.match(cutLine(logPath(s, 'ci'), img2), / [0-4] memory parts changed/, 'the second cut is incremental');

      await countsOn(s, ctl, img1, 'r1', 5, checked);
      await countsOn(s, ctl, img2, 'r2', 9, checked);
      touch(join(ctl, 'go.8'));
      await verdict(join(ctl, 'done'));
      assert.deepEqual(numbers((await s.ok(['logs', 'ci'])).stdout), range(1, 14));
    }));

  test('a checkpoint that stops the pod is begun early too (pre-copied while it runs), and restores', () =>
    withWorkspace(async (s) => {
      const { pod, ctl } = heldCounterPod(s.dir, 'cs');
      await s.ok(['pod', 'run', pod, '--detach', '--track-writes'], checked);
      await ready(join(ctl, 'ready.4'));
      await until('the pod FIFO', () => existsSync(join(s.root, 'pods', 'cs', 'checkpoint.fifo')));
      const img = s.path('img');
      await installedOk(s, ['checkpoint', 'cs', '--image-path', img]);
      assert.match(sandboxLog(s, 'cs'), new RegExp(`^checkpoint ${img}: begun on its command's intent \\d+ ms before the request: carried on$`, 'm'));
      assert.match(cutLine(logPath(s, 'cs'), img), /memory pre-copied in \d+ ms, pause until exit, /);
      assert.equal((await s.json<{ status: string }>(['state', 'cs'])).status, 'stopped');
      for (const n of [4, 8]) touch(join(ctl, `go.${n}`));
      await s.ok(['restore', '--image-path', img, '--detach', '--name', 'cs2'], checked);
      await verdict(join(ctl, 'done'));
      assert.deepEqual(numbers((await s.ok(['logs', 'cs2'])).stdout), range(5, 14), 'it counts on from its cut, each tick once');
    }));

  test("an untracked pod's checkpoint left running is begun early (its snapshot buffers made), its stop is not; both restore", () =>
    withWorkspace(async (s) => {
      const { pod, ctl } = heldCounterPod(s.dir, 'cu');
      await s.ok(['pod', 'run', pod, '--detach']);
      await ready(join(ctl, 'ready.4'));
      await until('the pod FIFO', () => existsSync(join(s.root, 'pods', 'cu', 'checkpoint.fifo')));
      const [img1, img2] = [s.path('img1'), s.path('img2')];
      await installedOk(s, ['checkpoint', 'cu', '--image-path', img1, '--leave-running']);
      assert.match(sandboxLog(s, 'cu'), new RegExp(`^checkpoint ${img1}: begun on its command's intent \\d+ ms before the request: carried on$`, 'm'));
      assert.match(cutLine(logPath(s, 'cu'), img1), /snapshot buffers made in \d+ ms, pause [0-9.]+ ms, /);
      touch(join(ctl, 'go.4'));
      await ready(join(ctl, 'ready.8'));
      await installedOk(s, ['checkpoint', 'cu', '--image-path', img2]);
      assert.match(sandboxLog(s, 'cu'), new RegExp(`^checkpoint ${img2}: intent of pid \\d+ not begun: an untracked pod stopped: nothing to do before the stop$`, 'm'));
      await countsOn(s, ctl, img1, 'u1', 5);
      await countsOn(s, ctl, img2, 'u2', 9);
    }));

  test('an intent its request does not match is dropped, nothing left of it, and the next cut is a full one', () =>
    withWorkspace(async (s) => {
      const { pod, ctl } = heldCounterPod(s.dir, 'cm');
      await s.ok(['pod', 'run', pod, '--detach', '--track-writes'], checked);
      await ready(join(ctl, 'ready.4'));
      await until('the pod FIFO', () => existsSync(join(s.root, 'pods', 'cm', 'checkpoint.fifo')));
      const [img0, img1, img2, img3] = ['img0', 'img1', 'img2', 'img3'].map((n) => s.path(n)) as [string, string, string, string];
      const other = s.path('other');
      mkdirSync(other);
      await s.ok(['checkpoint', 'cm', '--image-path', img0, '--leave-running']);
      await s.ok(['checkpoint', 'cm', '--image-path', img1, '--leave-running']);
      touch(join(ctl, 'go.4'));
      await ready(join(ctl, 'ready.8'));
      // The guest wrote since the last cut. Announced by this (live) process, a full cut (its parent not
      // the last cut's image) is begun: its pass reads and clears the write maps.
      announce(s, 'cm', process.pid, join(other, 'img'), img0);
      await until('the announced cut begun', () => readdirSync(other).length > 0);
      // Asked for by another command, the begun cut is dropped.
      await installedOk(s, ['checkpoint', 'cm', '--image-path', img2, '--leave-running']);
      const log = sandboxLog(s, 'cm');
      assert.match(log, new RegExp(`^checkpoint ${other}/img: begun on the intent of pid ${process.pid}, dropped: the request does not match: asked by pid \\d+, announced by ${process.pid}$`, 'm'));
      assert.match(log, new RegExp(`^checkpoint ${img2}: intent of pid \\d+ not begun: a checkpoint is under way$`, 'm'));
      assert.deepEqual(readdirSync(other), [], 'the dropped cut left nothing beside its image path');
      assert.match(cutLine(logPath(s, 'cm'), img2), / 0 linked, /, 'the cut after it is a full one');
      // The next cut is incremental again, and passes the debug check.
      await s.ok(['checkpoint', 'cm', '--image-path', img3, '--leave-running']);
      assert.match(cutLine(logPath(s, 'cm'), img3), / [0-4] memory parts changed/);
      await countsOn(s, ctl, img3, 'cm2', 9, checked);
      touch(join(ctl, 'go.8'));
      await verdict(join(ctl, 'done'));
      assert.deepEqual(leftovers(s.dir), []);
    }));

  test('an intent whose command ends without asking is dropped; a FIFO with no sandbox left does not hold up the command', () =>
    withWorkspace(async (s) => {
      const { pod, ctl } = heldCounterPod(s.dir, 'cg');
      await s.ok(['pod', 'run', pod, '--detach', '--track-writes']);
      await ready(join(ctl, 'ready.4'));
      const fifo = join(s.root, 'pods', 'cg', 'checkpoint.fifo');
      await until('the pod FIFO', () => existsSync(fifo));
      const other = s.path('other');
      mkdirSync(other);
      const child = spawn('sleep', ['0.5']);
      const exited = new Promise((res) => child.on('exit', res));
      announce(s, 'cg', child.pid ?? 0, join(other, 'img'));
      await until('the announced cut begun', () => readdirSync(other).length > 0);
      await exited;
      await until('the cut dropped', () => sandboxLog(s, 'cg').includes(`checkpoint ${other}/img: begun on the intent of pid ${child.pid ?? 0}, dropped: its command (pid ${child.pid ?? 0}) ended without asking`), 5000);
      await until('nothing left beside its image path', () => readdirSync(other).length === 0, 5000);
      // The pod stopped the hard way (its sandbox killed: its FIFO stays): the command still ends at once, with the usual error.
      const pid = (await s.json<{ pid: number }>(['state', 'cg'])).pid;
      process.kill(pid, 'SIGKILL');
      await until('the sandbox gone', () => spawnSync('kill', ['-0', String(pid)]).status !== 0 || readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true);
      assert.ok(existsSync(fifo), 'the FIFO outlived its sandbox');
      const r = spawnSync(installed, ['--root', s.root, 'checkpoint', 'cg', '--image-path', s.path('img'), '--leave-running'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.error, undefined, 'the command ended by itself');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^amber: .*cg/);
    }));
});
