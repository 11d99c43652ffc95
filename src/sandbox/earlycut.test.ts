// A cut begun on its command's intent: carried on only for that command's very request, dropped (what it
// staged removed) otherwise, or once its command has ended without asking; an incremental one is not begun.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { stageImage } from '../image/writer.js';
import type { BegunCut, LastCut } from './cut.js';
import { EarlyCut, notWorthBeginning } from './earlycut.js';
import type { CheckpointRequest } from './protocol.js';

const last: LastCut = { image: '/imgs/one', memory: new Map(), tracked: new Map(), rawBlobs: new Map(), identities: new Map() };

/** A begun cut holding a real staged image beside imagePath, as beginCut leaves one. */
function begunAt(imagePath: string): BegunCut {
  const store = new NodeImageStore();
  const staging = stageImage(store, imagePath);
  const noProgress = (): void => {};
  return { begunAt: 0, passedAt: 0, store, helper: undefined, staging, precopied: new Map(), snapshots: undefined, preCopy: null, onProgress: noProgress, progressTo: noProgress };
}

test('an incremental cut (the last cut its parent) is not begun early, nor an untracked pod stopped; a full one is', () => {
  const intent = { pid: 1, leaveRunning: true, imagePath: '/imgs/two' };
  assert.equal(notWorthBeginning(intent, last, true), 'an incremental cut, begun when asked');
  assert.equal(notWorthBeginning({ ...intent, parentPath: '/imgs/one' }, last, true), 'an incremental cut, begun when asked');
  assert.equal(notWorthBeginning(intent, null, true), null, 'no last cut: every part hashed');
  assert.equal(notWorthBeginning({ ...intent, parentPath: '/imgs/zero' }, last, true), null, 'another parent: every part hashed');
  assert.equal(notWorthBeginning({ ...intent, leaveRunning: false }, null, true), null, 'a tracked pod stopped: pre-copied');
  assert.equal(notWorthBeginning(intent, last, false), null, 'an untracked pod left running: its snapshot buffers made');
  assert.equal(notWorthBeginning({ ...intent, leaveRunning: false }, null, false), 'an untracked pod stopped: nothing to do before the stop');
});

test("only its command's request for that very cut carries it on", async () => {
  const early = new EarlyCut({ pid: 7, leaveRunning: true, imagePath: '/imgs/two', parentPath: '/imgs/zero' }, last, () => new Promise<BegunCut>(() => {}), () => {});
  try {
    const req: CheckpointRequest = { op: 'checkpoint', pid: 7, imagePath: '/imgs/x/../two', leaveRunning: true, parentPath: '/imgs/zero/' };
    assert.equal(early.mismatch(req, last), null);
    const cases: [Partial<CheckpointRequest>, RegExp][] = [
      [{ pid: 8 }, /asked by pid 8, announced by 7/],
      [{ imagePath: '/imgs/three' }, /asked for \/imgs\/three/],
      [{ leaveRunning: false }, /asked to stop the pod, announced to leave it running/],
      [{ compress: 'zstd' }, /asked for compressed blobs/],
    ];
    for (const [change, why] of cases) assert.match(early.mismatch({ ...req, ...change }, last) ?? '', why);
    const { parentPath: _p, ...noParent } = req;
    assert.match(early.mismatch(noParent, last) ?? '', /another parent/);
    const { pid: _pid, ...noPid } = req;
    assert.match(early.mismatch(noPid, last) ?? '', /asked by pid unknown/);
    assert.match(early.mismatch(req, null) ?? '', /the last cut changed/);
  } finally {
    void early.drop();
  }
});

test('dropped, it removes what it staged once its pass is over; taken, it is the begun cut', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amber-earlycut-'));
  try {
    let pass!: (b: BegunCut) => void;
    const begun = begunAt(join(dir, 'img'));
    const early = new EarlyCut({ pid: process.pid, leaveRunning: true, imagePath: join(dir, 'img') }, null, () => new Promise<BegunCut>((res) => (pass = res)), () => {});
    assert.equal(readdirSync(dir).length, 1, 'a staged image beside the target');
    const dropped = early.drop();
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(readdirSync(dir).length, 1, 'kept while the pass runs');
    pass(begun);
    await dropped;
    assert.deepEqual(readdirSync(dir), [], 'removed once it is over');
    assert.equal(begun.staging, undefined);

    const other = begunAt(join(dir, 'img2'));
    const taken = new EarlyCut({ pid: process.pid, leaveRunning: true, imagePath: join(dir, 'img2') }, null, () => Promise.resolve(other), () => {});
    assert.equal(await taken.take(), other);
    assert.ok(other.staging !== undefined && existsSync(other.staging.tmp), 'a cut taken keeps its staged image');
    const failed = new EarlyCut({ pid: process.pid, leaveRunning: true, imagePath: join(dir, 'img3') }, null, () => Promise.reject(new Error('no room')), () => {});
    await assert.rejects(failed.take(), /no room/, "a failure to begin is the request's");
    await failed.drop(); // and dropping it then is quiet
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('its command ending without asking drops it', async () => {
  const child = spawn('sleep', ['0.3']);
  const exited = new Promise((res) => child.on('exit', res));
  const pid = child.pid ?? 0;
  let gone = '';
  const early = new EarlyCut({ pid, leaveRunning: false, imagePath: '/imgs/two' }, null, () => new Promise<BegunCut>(() => {}), (why) => (gone ||= why));
  try {
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(gone, '', 'not while it runs');
    await exited;
    for (let i = 0; i < 50 && gone === ''; i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(gone, `its command (pid ${pid}) ended without asking`);
  } finally {
    void early.drop();
  }
});
