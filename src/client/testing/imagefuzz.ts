// One lying image (host/testing/imagegen.ts) taken the way `restore` and `inspect` take it, in this
// process: the image opened and verified, the restore planned and started (every program rewound to its
// call), the pod run for a moment and ended; then inspected with every view. What issue 12 asks of each:
// restored and running, or refused with one line naming the image; and the image never changed.
// Anything else (a stack trace, a container ended by a kernel bug, a hang, a changed image) is reported.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmberError } from '../../base/error.js';
import { loadPodManifest } from '../../host/specfile.js';
import { NullStream } from '../../host/streams.js';
import { Forgery } from '../../host/testing/forge.js';
import { applyEdits, describeEdit, type GeneratedImage } from '../../host/testing/imagegen.js';
import { checkpointRunning } from '../../sandbox/cut.js';
import { planRestore } from '../../sandbox/restoreplan.js';
import { startRestored } from '../../sandbox/restorerun.js';
import { startPod } from '../../sandbox/running.js';
import { inspectCheckpoint } from '../inspect.js';

/**
 * restored: the pod came back and ran on, each container as it should (the counter ticking, the
 * container that had exited still ended); guestFailed: it came back and a guest then failed by itself
 * (a forged memory, stack or file is the guest's own state to be wrong about: its trap or exit status
 * is the guest's); refused: one line naming the image; other: anything else.
 */
export type ImageOutcome =
  | { kind: 'restored' }
  | { kind: 'guestFailed'; what: string }
  | { kind: 'refused'; line: string }
  | { kind: 'other'; what: string };

/** Where the fuzz works: the base image, the host directory its hostPath volume had (kept as it was). */
export interface ImageFuzzPlace {
  base: string;
  /** hostPath volume name → a pristine copy of its directory at the checkpoint (copied per case). */
  volumes: Record<string, string>;
  work: string;
  /** The base image's payload names (what the generator's edits name). */
  payloads: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/**
 * Checkpoints a pod of two containers in dir/base, in this process: `ticker` (counter, a 20 ms sleep
 * between ticks, its state on an emptyDir and its output on a hostPath volume) suspended in poll_oneoff,
 * and `once` (hello), exited with status 3. guests names the directory holding the built guests.
 */
export async function makeImageFuzzPlace(dir: string, guests: string): Promise<ImageFuzzPlace> {
  const host = join(dir, 'host');
  mkdirSync(host, { recursive: true });
  const manifest = join(dir, 'pod.yaml');
  writeFileSync(manifest, `apiVersion: v1
kind: Pod
metadata: {name: lying}
spec:
  containers:
  - name: ticker
    image: ${join(guests, 'e2e_counter.wasm')}
    args: [--ticks, "1000000", --every-ms, "20", --state, /data/state, --out, /host/out]
    volumeMounts: [{name: data, mountPath: /data}, {name: host, mountPath: /host}]
  - {name: once, image: ${join(guests, 'hello.wasm')}, args: [--exit, "3"]}
  volumes: [{name: data, emptyDir: {}}, {name: host, hostPath: {path: ${host}}}]
`);
  const running = await startPod(loadPodManifest(manifest), () => [new NullStream(), new NullStream(), new NullStream()]);
  const done = running.scheduler.run();
  const base = join(dir, 'base');
  try {
    await sleep(300);
    const cut = await checkpointRunning(running, { id: 'lying', source: manifest, imagePath: base, leaveRunning: false, last: null, busy: () => null });
    await cut.flushed;
  } finally {
    for (const t of running.tasks.values()) if (t.end === null) running.scheduler.kill(t, 137);
    running.scheduler.unpause();
    await done;
  }
  const snapshot = join(dir, 'host-at-checkpoint');
  execFileSync('cp', ['-a', host, snapshot]);
  return { base, volumes: { host: snapshot }, work: join(dir, 'work'), payloads: new Forgery(base).names() };
}

/** Every file under dir with its kind and content hash (lstat: nothing followed or opened but files). */
function fingerprint(dir: string): string {
  const out: string[] = [];
  for (const f of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = join(dir, f);
    const st = lstatSync(p);
    out.push(st.isFile() ? `${f} ${createHash('sha256').update(readFileSync(p)).digest('hex')}` : `${f} ${st.isDirectory() ? 'dir' : st.isFIFO() ? 'fifo' : st.isSymbolicLink() ? 'link' : 'other'}`);
  }
  return out.join('\n');
}

function problem(e: unknown): { kind: 'refused'; line: string } | { kind: 'other'; what: string } {
  if (e instanceof AmberError && !e.message.includes('\n') && e.message !== '') return { kind: 'refused', line: e.message };
  const stack = e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 3).join(' | ') : String(e);
  return { kind: 'other', what: `threw ${stack}` };
}

/** Restores img, runs it for runMs and ends every container; what happened. */
async function restoreAndRun(img: string, volumes: Record<string, string>, runMs: number): Promise<ImageOutcome> {
  let running;
  try {
    const plan = await planRestore(img, { volumes });
    running = await startRestored(plan, () => [new NullStream(), new NullStream(), new NullStream()]);
  } catch (e) {
    return problem(e);
  }
  let crashed: unknown = null;
  const done = running.scheduler.run().catch((e: unknown) => {
    crashed = e;
  });
  await sleep(runMs);
  // How each container stood before it was ended here: by itself, or still running.
  const before = new Map([...running.tasks].map(([name, t]) => [name, t.end]));
  for (const t of running.tasks.values()) if (t.end === null) running.scheduler.kill(t, 137);
  await Promise.race([done, sleep(5000)]);
  if (crashed !== null) {
    const p = problem(crashed);
    return { kind: 'other', what: `restored, then the scheduler threw: ${p.kind === 'other' ? p.what : p.line}` };
  }
  const ends = [...before].map(([name, end]) => ({ name, end: end ?? running.ended.get(name) ?? null }));
  for (const [name, end] of running.ended) if (!before.has(name)) ends.push({ name, end });
  for (const { name, end } of ends) {
    // A trap is the guest's own (its memory is its to break); a kernel bug is not a trap.
    if (end?.kind === 'trap' && /kernel bug|is not a function|Cannot read|undefined|RangeError|TypeError/.test(end.message)) return { kind: 'other', what: `container ${name}: ${end.message}` };
  }
  const show = (e: (typeof ends)[number]['end']): string => (e === null ? 'running' : e.kind === 'exit' ? `exit ${e.code}` : `trap ${e.message}`);
  const ticker = ends.find((e) => e.name === 'ticker');
  const once = ends.find((e) => e.name === 'once');
  if (ticker?.end === null && once?.end?.kind === 'exit' && once.end.code === 3) return { kind: 'restored' };
  return { kind: 'guestFailed', what: ends.map((e) => `${e.name} ${show(e.end)}`).join(', ') };
}

/** A forged case laid out in place.work: the image and a copy of each hostPath volume's directory. */
export interface ForgedCase {
  img: string;
  volumes: Record<string, string>;
  /** Every file of the image as forged (fingerprint()), to compare with after a restore. */
  before: string;
}

/** Lays g out afresh in place.work (what was there is removed). */
export function forgeCase(place: ImageFuzzPlace, g: GeneratedImage): ForgedCase {
  const img = join(place.work, 'img');
  rmSync(place.work, { recursive: true, force: true });
  cpSync(place.base, img, { recursive: true });
  const volumes: Record<string, string> = {};
  for (const [name, dir] of Object.entries(place.volumes)) {
    volumes[name] = join(place.work, `volume-${name}`);
    execFileSync('cp', ['-a', dir, volumes[name]]);
  }
  applyEdits(img, g);
  return { img, volumes, before: fingerprint(img) };
}

/** Every file under an image, with its kind and content hash (lstat: nothing followed or opened but files). */
export { fingerprint };

/** Takes g the whole way (restore, then inspect); never throws. */
export async function tryImage(place: ImageFuzzPlace, g: GeneratedImage, runMs = 100): Promise<ImageOutcome> {
  const what = g.edits.map(describeEdit).join('; ');
  let forged: ForgedCase;
  try {
    forged = forgeCase(place, g);
  } catch (e) {
    return { kind: 'other', what: `the forgery failed (a harness bug): ${String(e)} (${what})` };
  }
  const { img, volumes, before } = forged;
  const restored = await restoreAndRun(img, volumes, runMs);
  let inspected: ImageOutcome;
  try {
    await inspectCheckpoint(img, { psTree: true, mounts: true, files: true });
    inspected = { kind: 'restored' };
  } catch (e) {
    inspected = problem(e);
  }
  if (fingerprint(img) !== before) return { kind: 'other', what: `the image changed (${what})` };
  if (restored.kind === 'other') return { kind: 'other', what: `restore: ${restored.what} (${what})` };
  if (inspected.kind === 'other') return { kind: 'other', what: `inspect: ${inspected.what} (${what})` };
  return restored;
}
