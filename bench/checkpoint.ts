// The checkpoint benchmark (`npm run bench -- --only checkpoint`): a detached pod whose one program
// (guests/bench_mem.c) has filled N MiB of memory and parks in a sleep loop, checkpointed with
// --leave-running and restored, for N = 64 and 256. Three figures, each against two baselines measured
// in the same run, in this process:
//   pause       how long the pod's processes were stopped: the sandbox times it, from asking its scheduler
//               to pause to unpausing it, and writes it to its sandbox.log ("pause X ms")
//   stall       the same seen from inside: the longest of the guest's 2 ms sleeps during the checkpoint
//               command (it prints any that overran by 20 ms: a pause, or a sandbox too busy to run it)
//   checkpoint  the whole `amber checkpoint ID --image-path DIR --leave-running`, spawn to exit, of a pod
//               never checkpointed before (each repetition starts a fresh pod); every command timed here is
//               spawned by a small launcher process (bench/launcher.ts), as from a shell: a fork of this
//               process, which holds the baselines' 512 MiB, would add ~25 ms to each
//   incremental the same again right after (the pod parked: 2 pages of its memory changed): the sandbox
//               reads the write map, writes the pages it marks as a patch and links the rest from the
//               first image; then once more with --parent-path naming the first image (the map says
//               nothing about that image: every part is hashed again, and linked where it matches). Figures:
//               the whole command, the sandbox's own time (pre-copy or snapshot buffers, pause, write: its
//               sandbox.log line)
//               against the full checkpoint's, and the bytes written anew (files of the new image that
//               are not links to the parent's)
//   restore     `amber restore --image-path DIR --detach --name ID2` from spawn until the program runs
//               again: its first "resumed" line in ID2's log (the guest prints one when a 2 ms sleep took
//               far longer, which is what a restore looks like from inside), watched from the spawn on, so
//               a command still exiting once the program runs does not count; the command's own time,
//               spawn to exit (it returns once the pod's record says it runs), is a row of its own
//               and, from the restored pod's sandbox.log, its parts in the sandbox: start-up (Node and
//               Amber's modules), opening the image, rebuilding the pod (memory read from the image into
//               each program's instance, every blob verified: the memory parts this machine's checkpoint
//               wrote are trusted unhashed, as the records of verified blobs in the user's cache vouch for
//               them, host/blobrecords.ts, while their files are unchanged; every other blob is hashed);
//               of the start-up, a sandbox started before
//               its pod was made says when it was ready and when it was given its pod (the command
//               reading the image meanwhile), and when it had begun the restore itself meanwhile (image
//               opened, memory being read into the instance: sandbox/restoreearly.ts), so that its
//               "image opened" is ~0 and "pod rebuilt" is what was left of that work once it had its pod
//   restore fg  the same, restored in the foreground (`amber restore` with no --detach: one process)
//   restore on an empty cache   the detached restore again with XDG_CACHE_HOME an empty folder, as on a
//               machine that never ran the module (the image carries it) and never saw the image (no
//               records of verified blobs: every blob hashed, as for an image copied from elsewhere):
//               against the one before, whose cache the pod's run and checkpoint filled (issue 9: within 2×)
//   stop        `amber checkpoint ID --image-path DIR` (no --leave-running: the pod stops) of the pod restored
//               detached, its sandbox's first cut, as a migration takes one: pre-copied while the pod runs, as
//               the first checkpoint is, then the pod stopped for good with what it wrote meanwhile
// The pod is tracked (annotation org.amber.track-writes, as `pod run --track-writes` sets it): its module
// records the pages it writes, so the incremental checkpoint reads that record instead of comparing all
// memory (issue 10.5), and a checkpoint left running pre-copies its memory (sandbox/cut.ts): each part
// hashed and written from live memory while the pod runs, then paused only to take the pages written
// meanwhile; no snapshot buffers, so the full checkpoint's "pause" is that short step and its write is
// what remains after it (the bulk is in its sandbox time, before the pause). The restores are of that
// same pod; a restore reads memory whole.
// Baselines: copying N MiB into a fresh Buffer (what snapshotting memory costs at the least), and
// writing N MiB to a new file beside the images and fsyncing it (what making it durable costs).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './commands.js';
import { guest } from './figures.js';
import { Launcher, type Launched } from './launcher.js';
import { median, table } from './report.js';

export const CHECKPOINT_SIZES = [64, 256];
/** The ids --only takes: "checkpoint" for both sizes, or one of these. */
export const checkpointId = (mib: number): string => `checkpoint-${mib}`;
/** Targets (issue 9.4): at most this many times the memory copy baseline. */
export const TARGETS: Partial<Record<Key, number>> = { pauseMs: 3, checkpointMs: 1.5, restoreMs: 2 };
/** Target (issue 9): a restore on an empty cache (no modules, no verified blobs) against one on the cache
 *  the pod's run and checkpoint filled. */
export const COLD_RESTORE_TARGET = 2;
/** Targets (issue 10.5): an incremental checkpoint of 2 dirty pages, against a full one, and what it writes. */
export const INCREMENTAL_TARGET = { ratio: 0.05, bytes: 1 << 20 };

/** The command as a user runs it (bin/amber: from its startup snapshot when it fits), as bench/commands.ts runs it. */
const AMBER = join(ROOT, 'node_modules/.bin/amber');
/** The guest reports a 2 ms sleep that took longer than this (guests/bench_mem.c). */
const STALL_FLOOR = 22;
const MiB = 1 << 20;

export interface CheckpointSample {
  pauseMs: number;
  /** The longest sleep overrun the guest reported during the checkpoint; STALL_FLOOR if none. */
  stallMs: number;
  checkpointMs: number;
  /** The sandbox's own time for the full checkpoint: pre-copy (or snapshot buffers), pause, write. */
  fullSandboxMs: number;
  incrementalMs: number;
  incrementalSandboxMs: number;
  /** Of those: the pause (the write map read, its pages taken) and the write, and the full one's write. */
  incrementalPauseMs: number;
  incrementalWriteMs: number;
  fullWriteMs: number;
  /** Bytes the incremental checkpoint wrote anew (files of its image that are not links). */
  incrementalBytes: number;
  /** The same with --parent-path naming the first image. */
  parentMs: number;
  restoreMs: number;
  /** The restore command itself, spawn to exit (it returns once the pod's record says it runs). */
  restoreCommandMs: number;
  /** The restored sandbox's own account: start-up, image opened, pod rebuilt (image read and verified). */
  sandboxStartMs: number;
  /** Of the start-up, for a sandbox started before its pod was made: ready (its node), and then waiting for its pod. */
  sandboxReadyMs: number;
  sandboxWaitMs: number;
  /** Of the start-up: when the sandbox had begun the restore before it was given its pod (NaN if it did not). */
  sandboxBegunMs: number;
  readMs: number;
  rebuildMs: number;
  restoreFgMs: number;
  /** The detached restore with an empty cache (XDG_CACHE_HOME a new empty folder: no modules, no records
   *  of verified blobs, so every blob hashed). */
  restoreColdMs: number;
  /** `amber checkpoint` without --leave-running (the pod stopped) of the pod restored detached: that
   *  sandbox's first cut, as a migration's. */
  stopMs: number;
  /** Baselines, measured between the runs. */
  copyMs: number;
  fsyncMs: number;
  imageBytes: number;
}

export interface CheckpointResult {
  mib: number;
  samples: CheckpointSample[];
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `amber --root root ...args` from the launcher (not a fork of this process, which holds the
 *  baselines' buffers): its time from spawn to exit, and its output. */
function amber(launcher: Launcher, root: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; stdout: string } {
  return checked(launcher.run(AMBER, ['--root', root, ...args], env), args);
}

function checked(r: Launched, args: readonly string[]): { ms: number; stdout: string } {
  if (r.error !== undefined) throw new Error(`amber ${args.join(' ')}: ${r.error}`);
  if (r.status !== 0) throw new Error(`amber ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return { ms: r.ms, stdout: r.stdout };
}

/**
 * `amber restore --image-path image --detach --name name`: ms from its spawn until the program runs again
 * (its first "resumed" line, its memory's sum checked), watched while the command may still be exiting,
 * and the command's own time, spawn to exit.
 */
function restoreDetached(launcher: Launcher, root: string, image: string, name: string, sum: string | undefined, env: NodeJS.ProcessEnv): { untilRunning: number; command: number } {
  const args = ['restore', '--image-path', image, '--detach', '--name', name];
  const t0 = performance.now();
  launcher.start(AMBER, ['--root', root, ...args], env);
  let m: RegExpExecArray;
  try {
    m = waitForLine(join(root, 'pods', name, 'logs', 'mem.log'), /^resumed realtime_ns=\d+ gap_ms=\d+ sum=([0-9a-f]+)$/m, 120_000);
  } catch (e) {
    const r = launcher.finish();
    throw r.status !== 0 ? new Error(`amber ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`) : e;
  }
  const untilRunning = performance.now() - t0;
  const command = checked(launcher.finish(), args).ms;
  if (m[1] !== sum) throw new Error(`restored pod ${name}: memory sum ${m[1]}, expected ${sum ?? '?'}`);
  return { untilRunning, command };
}

/** Waits until file has a line matching re (after `from` bytes); returns the match and when it was seen. */
function waitForLine(file: string, re: RegExp, timeoutMs: number, from = 0): RegExpExecArray {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8').slice(from) : '';
    const m = re.exec(text);
    if (m !== null) return m;
    if (performance.now() > deadline) throw new Error(`${file}: no line matching ${re} within ${timeoutMs} ms:\n${text.slice(-500)}`);
    sleepMs(1);
  }
}

/** The restored sandbox's account of its start-up, image read and rebuild; NaN from an Amber that gives none. */
function restorePhases(sandboxLog: string): [number, number, number] {
  const m = /start-up (\d+) ms, image (?:read and verified|opened) in (\d+) ms, pod rebuilt(?: \(image read and verified\))? in (\d+) ms/.exec(existsSync(sandboxLog) ? readFileSync(sandboxLog, 'utf8') : '');
  return m === null ? [NaN, NaN, NaN] : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** An early-started sandbox's ready and waiting times (sandbox/main.ts "started early" line); NaN where there is none. */
function earlyPhases(sandboxLog: string): [number, number] {
  const m = /^sandbox started early: ready at (\d+) ms, given pod \S+ at (\d+) ms$/m.exec(existsSync(sandboxLog) ? readFileSync(sandboxLog, 'utf8') : '');
  return m === null ? [NaN, NaN] : [Number(m[1]), Number(m[2]) - Number(m[1])];
}

/** When an early-started sandbox had begun the restore before its pod was given (sandbox/main.ts "begun" line); NaN where there is none. */
function begunAt(sandboxLog: string): number {
  const m = /: begun before the pod was given \(image opened, memory being read at (\d+) ms\): carried on$/m.exec(existsSync(sandboxLog) ? readFileSync(sandboxLog, 'utf8') : '');
  return m === null ? NaN : Number(m[1]);
}

/** The sandbox's account of the checkpoint logged after `from`, ms: pre-copy (or snapshot buffers) + pause + write, and the last two. */
function sandboxCheckpoint(sandboxLog: string, from: number): { total: number; pause: number; write: number } {
  const m = waitForLine(sandboxLog, /(?:snapshot buffers made|memory pre-copied) in (\d+) ms, pause ([0-9.]+) ms, written in (\d+) ms/, 10_000, from);
  return { total: Number(m[1]) + Number(m[2]) + Number(m[3]), pause: Number(m[2]), write: Number(m[3]) };
}

/** Bytes of the files under dir that are not hard links to another image's (written anew). */
function bytesWritten(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true })) {
    const st = statSync(join(dir, String(f)));
    if (st.isFile() && st.nlink === 1) n += st.size;
  }
  return n;
}

/** Milliseconds to copy mib MiB into a newly allocated Buffer (pages faulted in, as a snapshot would). */
export function copyBaseline(src: Buffer): number {
  const t0 = performance.now();
  const dst = Buffer.allocUnsafeSlow(src.length);
  src.copy(dst);
  const ms = performance.now() - t0;
  if (dst[dst.length - 1] !== src[src.length - 1]) throw new Error('copy baseline: copy differs');
  return ms;
}

/** Milliseconds to write src to a new file in dir and fsync it. */
export function fsyncBaseline(src: Buffer, dir: string): number {
  const path = join(dir, 'baseline');
  rmSync(path, { force: true });
  const t0 = performance.now();
  const fd = openSync(path, 'wx');
  try {
    for (let at = 0; at < src.length;) at += writeSync(fd, src, at, Math.min(src.length - at, 8 * MiB));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const ms = performance.now() - t0;
  rmSync(path, { force: true });
  return ms;
}

/** Random-looking bytes, every page touched, so neither baseline meets a zero page. */
function sourceBuffer(mib: number): Buffer {
  const b = Buffer.allocUnsafeSlow(mib * MiB);
  const w = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  let x = 0x9e3779b9;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x >>> 0;
  }
  return b;
}

/** `amber restore --detach` of image as name, with env, until the program runs again (its memory's sum
 *  checked); ms. The restored pod is deleted. */
function restoreUntilRunning(launcher: Launcher, root: string, image: string, name: string, sum: string | undefined, env: NodeJS.ProcessEnv): number {
  try {
    return restoreDetached(launcher, root, image, name, sum, env).untilRunning;
  } finally {
    launcher.run(AMBER, ['--root', root, 'delete', '--force', name], process.env); // a failure above is the one to report
  }
}

/** `amber restore` in the foreground: ms from spawn to the program's first "resumed" line on stdout. Spawned
 *  from this process (its output is read as it comes), so the figure includes a fork of it (~25 ms). */
function restoreForeground(root: string, image: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // In a process group of its own: the command runs itself again with the guests' stack (cli/reexec.ts),
    // and both must go, or the second keeps the pod running and this process waiting on its pipes.
    const child = spawn(AMBER, ['--root', root, 'restore', '--image-path', image, '--name', name], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => {
      kill();
      if (!done) reject(new Error(`foreground restore of ${image}: no "resumed" line within 120 s\n${out}${err}`));
    }, 120_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      out += s;
      if (!done && /resumed realtime_ns=/.test(out)) {
        done = true;
        const ms = performance.now() - t0;
        clearTimeout(timer);
        kill();
        resolve(ms);
      }
    });
    child.stderr.on('data', (s: string) => {
      err += s;
    });
    child.on('exit', (code) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        kill();
        reject(new Error(`foreground restore of ${image} exited ${code} before the program ran:\n${out}${err}`));
      }
    });
  });
}

async function measureSize(launcher: Launcher, mib: number, reps: number, work: string, onRep: () => void): Promise<CheckpointResult> {
  const root = join(work, `root-${mib}`);
  const manifest = join(work, `pod-${mib}.yaml`);
  writeFileSync(manifest, [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: mem${mib}, annotations: {org.amber.track-writes: "true"}}`, 'spec:', '  containers:',
    `  - {name: mem, image: ${guest('bench_mem')}, args: ["${mib}"]}`, '',
  ].join('\n'));
  const src = sourceBuffer(mib);
  const samples: CheckpointSample[] = [];
  for (let i = 0; i < reps; i++) {
    // A fresh pod each time: its first checkpoint has no cut kept from an earlier one.
    const id = `mem${mib}-${i}`;
    amber(launcher, root, ['pod', 'run', '--detach', '--name', id, manifest]);
    try {
      const log = join(root, 'pods', id, 'logs', 'mem.log');
      const sandboxLog = join(root, 'pods', id, 'sandbox.log');
      const sum = waitForLine(log, /^ready \d+ sum=([0-9a-f]+)$/m, 120_000)[1];
      const image = join(work, `img-${mib}-${i}`);
      const copyMs = copyBaseline(src);
      const before = existsSync(sandboxLog) ? readFileSync(sandboxLog, 'utf8').length : 0;
      const logBefore = readFileSync(log, 'utf8').length;
      const checkpointMs = amber(launcher, root, ['checkpoint', id, '--image-path', image, '--leave-running']).ms;
      const pauseMs = Number(waitForLine(sandboxLog, /pause ([0-9.]+) ms/, 10_000, before)[1]);
      const full = sandboxCheckpoint(sandboxLog, before);
      sleepMs(30); // a stall that ended as the command did is reported by the guest's next wake
      const gaps = [...readFileSync(log, 'utf8').slice(logBefore).matchAll(/gap_ms=(\d+)/g)].map((m) => Number(m[1]));
      const stallMs = Math.max(STALL_FLOOR, ...gaps);
      const fsyncMs = fsyncBaseline(src, work);
      const incBefore = readFileSync(sandboxLog, 'utf8').length;
      const incrementalMs = amber(launcher, root, ['checkpoint', id, '--image-path', `${image}-inc`, '--leave-running']).ms;
      const incremental = sandboxCheckpoint(sandboxLog, incBefore);
      const incrementalBytes = bytesWritten(`${image}-inc`);
      rmSync(`${image}-inc`, { recursive: true, force: true });
      const parentMs = amber(launcher, root, ['checkpoint', id, '--image-path', `${image}-par`, '--leave-running', '--parent-path', image]).ms;
      rmSync(`${image}-par`, { recursive: true, force: true });
      const restored = `${id}-r`;
      const { untilRunning: restoreMs, command: restoreCommandMs } = restoreDetached(launcher, root, image, restored, sum, process.env);
      const [sandboxStartMs, readMs, rebuildMs] = restorePhases(join(root, 'pods', restored, 'sandbox.log'));
      const [sandboxReadyMs, sandboxWaitMs] = earlyPhases(join(root, 'pods', restored, 'sandbox.log'));
      const sandboxBegunMs = begunAt(join(root, 'pods', restored, 'sandbox.log'));
      const stopMs = amber(launcher, root, ['checkpoint', restored, '--image-path', `${image}-stop`]).ms;
      rmSync(`${image}-stop`, { recursive: true, force: true });
      amber(launcher, root, ['delete', '--force', restored]);
      const restoreColdMs = restoreUntilRunning(launcher, root, image, `${id}-c`, sum, { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(work, 'cache-')) });
      const restoreFgMs = await restoreForeground(root, image, `${id}-f`);
      const imageBytes = Number(spawnSync('du', ['-sb', image], { encoding: 'utf8' }).stdout.split('\t')[0]);
      rmSync(image, { recursive: true, force: true });
      samples.push({
        pauseMs, stallMs, checkpointMs, fullSandboxMs: full.total, fullWriteMs: full.write, incrementalMs, incrementalSandboxMs: incremental.total,
        incrementalPauseMs: incremental.pause, incrementalWriteMs: incremental.write, incrementalBytes, parentMs,
        restoreMs, restoreCommandMs, sandboxStartMs, sandboxReadyMs, sandboxWaitMs, sandboxBegunMs, readMs, rebuildMs, restoreFgMs, restoreColdMs, stopMs, copyMs, fsyncMs, imageBytes,
      });
      onRep();
    } finally {
      spawnSync(AMBER, ['--root', root, 'delete', '--force', id]);
    }
  }
  return { mib, samples };
}

/** Runs the benchmark for each size; reps checkpoints (and restores) of one pod per size. */
export async function runCheckpointBench(sizes: readonly number[], reps: number): Promise<CheckpointResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'amber-bench-ckpt-'));
  const launcher = new Launcher();
  try {
    const out: CheckpointResult[] = [];
    for (const mib of sizes) {
      process.stderr.write(`${checkpointId(mib)} `);
      out.push(await measureSize(launcher, mib, reps, work, () => process.stderr.write('.')));
      process.stderr.write('\n');
    }
    return out;
  } finally {
    launcher.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function spread(xs: number[]): string {
  return `±${Math.round(((Math.max(...xs) - Math.min(...xs)) / median(xs) / 2) * 100)}%`;
}

type Key = 'pauseMs' | 'stallMs' | 'checkpointMs' | 'incrementalMs' | 'parentMs' | 'restoreMs' | 'restoreCommandMs' | 'sandboxStartMs' | 'sandboxReadyMs' | 'sandboxWaitMs' | 'sandboxBegunMs' | 'readMs' | 'rebuildMs' | 'restoreFgMs' | 'restoreColdMs' | 'stopMs';
const FIGURES: Array<{ key: Key; title: string }> = [
  { key: 'pauseMs', title: 'checkpoint pause (pod stopped)' },
  { key: 'stallMs', title: 'longest stall the guest saw' },
  { key: 'checkpointMs', title: 'amber checkpoint --leave-running (first)' },
  { key: 'incrementalMs', title: '  again at once (incremental, 2 pages dirty)' },
  { key: 'parentMs', title: '  again with --parent-path (the first image)' },
  { key: 'restoreMs', title: 'amber restore --detach, until running' },
  { key: 'restoreCommandMs', title: '  the command itself, spawn to exit' },
  { key: 'sandboxStartMs', title: '  in it: the sandbox starting (Node, modules)' },
  { key: 'sandboxReadyMs', title: '    of that: its node ready, before its pod was given' },
  { key: 'sandboxWaitMs', title: '    of that: waiting for the command to give its pod' },
  { key: 'sandboxBegunMs', title: '    meanwhile: the restore begun (memory being read) at' },
  { key: 'readMs', title: '  in it: image opened (manifest, config)' },
  { key: 'rebuildMs', title: '  in it: pod rebuilt (modules, graph, memory read+verified)' },
  { key: 'restoreFgMs', title: 'amber restore (foreground), until running' },
  { key: 'restoreColdMs', title: 'amber restore --detach, empty cache (no modules, no verified blobs: every blob hashed)' },
  { key: 'stopMs', title: 'amber checkpoint, the pod stopped (of the restored pod: its first cut)' },
];

/** Medians: each figure, its ratio to the copy and to the write+fsync baselines, and the verdict. */
export function checkpointTable(results: readonly CheckpointResult[]): string {
  const rows = [['figure (median)', 'time', 'copy', 'ratio', 'write+fsync', 'ratio', 'target', 'result', 'noise']];
  for (const { mib, samples } of results) {
    const copy = median(samples.map((s) => s.copyMs));
    const fsync = median(samples.map((s) => s.fsyncMs));
    for (const f of FIGURES) {
      const xs = samples.map((s) => s[f.key]);
      if (xs.some((x) => Number.isNaN(x))) continue;
      const t = median(xs);
      const target = TARGETS[f.key];
      const verdict = target === undefined ? 'info' : t / copy <= target ? 'pass' : 'FAIL';
      rows.push([
        `${f.title}, ${mib} MiB`, `${t.toFixed(1)} ms`, `${copy.toFixed(1)} ms`, `${(t / copy).toFixed(2)}×`,
        `${fsync.toFixed(1)} ms`, `${(t / fsync).toFixed(2)}×`, target === undefined ? '—' : `≤${target}× copy`, verdict, spread(xs),
      ]);
    }
  }
  return table(rows);
}

/** The incremental checkpoint against the full one: the sandbox's own times, the commands', the bytes written. */
export function incrementalTable(results: readonly CheckpointResult[]): string {
  const rows = [['incremental (median)', 'incremental', 'full', 'ratio', 'target', 'result', 'noise']];
  for (const { mib, samples } of results) {
    type Figure = 'incrementalSandboxMs' | 'incrementalPauseMs' | 'incrementalWriteMs' | 'incrementalMs' | 'fullSandboxMs' | 'pauseMs' | 'fullWriteMs' | 'checkpointMs';
    const ratio = (a: Figure, b: Figure): number => median(samples.map((s) => s[a] / s[b]));
    const sandbox = ratio('incrementalSandboxMs', 'fullSandboxMs');
    const command = ratio('incrementalMs', 'checkpointMs');
    const bytes = median(samples.map((s) => s.incrementalBytes));
    const ms = (k: Figure): string => `${median(samples.map((s) => s[k])).toFixed(1)} ms`;
    rows.push([`in the sandbox (pre-copy, pause, write), ${mib} MiB`, ms('incrementalSandboxMs'), ms('fullSandboxMs'), `${sandbox.toFixed(3)}×`,
      `≤${INCREMENTAL_TARGET.ratio}× full`, sandbox <= INCREMENTAL_TARGET.ratio ? 'pass' : 'FAIL', spread(samples.map((s) => s.incrementalSandboxMs))]);
    for (const [what, a, b] of [['pause (pages the map marks taken)', 'incrementalPauseMs', 'pauseMs'], ['write', 'incrementalWriteMs', 'fullWriteMs']] as const) {
      rows.push([`  of it: ${what}, ${mib} MiB`, ms(a), ms(b), `${ratio(a, b).toFixed(3)}×`, '—', 'info', spread(samples.map((s) => s[a]))]);
    }
    rows.push([`the whole command, ${mib} MiB`, ms('incrementalMs'), ms('checkpointMs'), `${command.toFixed(3)}×`, '—', 'info', spread(samples.map((s) => s.incrementalMs))]);
    rows.push([`bytes written anew, ${mib} MiB`, `${(bytes / MiB).toFixed(2)} MiB`, `${mib} MiB`, `${(bytes / (mib * MiB)).toFixed(4)}×`,
      `≤${INCREMENTAL_TARGET.bytes / MiB} MiB`, bytes <= INCREMENTAL_TARGET.bytes ? 'pass' : 'FAIL', spread(samples.map((s) => s.incrementalBytes))]);
  }
  return table(rows);
}

/** Image sizes, to see what a checkpoint wrote. */
export function imageSizes(results: readonly CheckpointResult[]): string {
  return results.map(({ mib, samples }) => `${mib} MiB pod: image ${(median(samples.map((s) => s.imageBytes)) / MiB).toFixed(1)} MiB`).join('; ');
}

export function checkpointFailures(results: readonly CheckpointResult[]): string[] {
  const out: string[] = [];
  for (const { mib, samples } of results) {
    const copy = median(samples.map((s) => s.copyMs));
    for (const f of FIGURES) {
      const target = TARGETS[f.key];
      if (target !== undefined && median(samples.map((s) => s[f.key])) / copy > target) out.push(`${checkpointId(mib)} ${f.key.replace(/Ms$/, '')}`);
    }
    if (median(samples.map((s) => s.incrementalSandboxMs / s.fullSandboxMs)) > INCREMENTAL_TARGET.ratio) out.push(`${checkpointId(mib)} incremental time`);
    if (median(samples.map((s) => s.incrementalBytes)) > INCREMENTAL_TARGET.bytes) out.push(`${checkpointId(mib)} incremental bytes`);
    if (coldRatio(samples) > COLD_RESTORE_TARGET) out.push(`${checkpointId(mib)} cold-cache restore`);
  }
  return out;
}

/** The restore on an empty cache against the one before it (median of per-run ratios). */
function coldRatio(samples: readonly CheckpointSample[]): number {
  return median(samples.map((s) => s.restoreColdMs / s.restoreMs));
}

/** Per size: the detached restore on an empty cache against the one on a warm cache, same run. */
export function coldRestoreLines(results: readonly CheckpointResult[]): string {
  return results.map(({ mib, samples }) => {
    const r = coldRatio(samples);
    const ms = (k: 'restoreColdMs' | 'restoreMs'): string => `${median(samples.map((s) => s[k])).toFixed(1)} ms`;
    return `restore --detach on an empty cache (no modules, no verified blobs), ${mib} MiB: ${ms('restoreColdMs')} against ${ms('restoreMs')} on the warm cache: ${r.toFixed(2)}× (target ≤${COLD_RESTORE_TARGET}×) ${r <= COLD_RESTORE_TARGET ? 'pass' : 'FAIL'}`;
  }).join('\n');
}
