// A pod formed by CRI's annotations, checkpointed and restored through runc's verbs called in-process as
// containerd's shim calls them (create and start each container; checkpoint one, which cuts the whole pod;
// delete them; restore each from its own new bundle): the sandbox container's restore brings the pod
// back but runs nothing until the others' restores have claimed their containers, then they carry on, each
// on its own relay (the pid its pid file names) with its own stdio and exit status; a container that had
// ended before the cut is waited for too (its root is its new bundle's), and its relay ends as it did.
import assert from 'node:assert/strict';
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AmberError } from '../src/base/error.js';
import { checkpointContainer, containerState, createContainer, deleteContainer, killContainer, restoreContainer, startContainer } from '../src/client/runc.js';
import type { Relay } from '../src/client/relaylaunch.js';
import { editBundle, specBundle } from './testing/bundles.js';
import { ready, sleep, verdict } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const SANDBOX = { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'rpod' };
const MEMBER = { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'rpod', 'io.kubernetes.cri.container-name': 'b' };

test('a CRI pod is checkpointed whole and restored container by container, each with its relay and exit status', async (t) => {
  const w = workspace('runc-pod-restore', t);
  // The relays are detached and unreferenced (they outlive the call that starts them, as runc's init
  // outlives runc): this test's waits on their exits keep its event loop going.
  const alive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(alive));
  const root = w.root;
  const data = w.path('data');
  mkdirSync(data);
  // Each counter holds at tick 3 until its go file appears; its state file makes a restart fail.
  const counter = (who: string) => ['--ticks', '6', '--every-ms', '10', '--state', `/data/${who}.state`, '--hold-at', '3', '--ready', `/data/${who}.ready`, '--go', `/data/${who}.go`, '--done', `/data/${who}.done`];
  const bundle = async (name: string, who: string, annotations: Record<string, string>): Promise<string> => {
    const b = await specBundle(w, name, 'e2e_counter', counter(who));
    editBundle(b, (c) => {
      c.annotations = annotations;
      c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
    });
    return b;
  };
  const sandbox = await bundle('sandbox', 'a', SANDBOX);
  const member = await bundle('member', 'b', MEMBER);
  // A third container that has ended (status 5) by the time of the cut.
  const ended = await specBundle(w, 'ended', 'hello', ['--exit', '5']);
  editBundle(ended, (c) => (c.annotations = { ...MEMBER, 'io.kubernetes.cri.container-name': 'c' }));
  // Each relay writes where the shim's pipes would take its output: NAME.out and NAME.err.
  const withOutput = async (name: string, f: (stdio: ['ignore', number, number]) => Promise<Relay>): Promise<Relay> => {
    const out = openSync(w.path(`${name}.out`), 'w');
    const err = openSync(w.path(`${name}.err`), 'w');
    try {
      return await f(['ignore', out, err]);
    } finally {
      closeSync(out);
      closeSync(err);
    }
  };
  const output = (file: string) => readFileSync(w.path(file), 'utf8');

  const a1 = await withOutput('a1', (stdio) => createContainer('rpod', { root, bundle: sandbox, stdio }));
  await startContainer('rpod', { root });
  const b1 = await withOutput('b1', (stdio) => createContainer('memb', { root, bundle: member, stdio }));
  await startContainer('memb', { root });
  const c1 = await withOutput('c1', (stdio) => createContainer('memc', { root, bundle: ended, stdio }));
  await startContainer('memc', { root });
  assert.equal(await c1.exited, 5);
  await ready(join(data, 'a.ready'), 60_000);
  await ready(join(data, 'b.ready'), 60_000);
  // Any container's checkpoint is its whole pod's; the pod stops, and each relay ends as a dumped process.
  await checkpointContainer('memb', w.path('img'), { root });
  assert.deepEqual([await a1.exited, await b1.exited], [137, 137]);
  assert.deepEqual([output('a1.out'), output('b1.out')], ['1\n2\n3\n', '1\n2\n3\n']);
  for (const id of ['memc', 'memb', 'rpod']) await deleteContainer(id, { root });

  // containerd restores into new bundles (new snapshots): the old ones are gone.
  const [sandbox2, member2, ended2] = [sandbox, member, ended].map((b) => {
    cpSync(b, `${b}2`, { recursive: true });
    rmSync(b, { recursive: true });
    return `${b}2`;
  }) as [string, string, string];

  const a2 = await withOutput('a2', (stdio) => restoreContainer('rpod', { root, imagePath: w.path('img'), bundle: sandbox2, pidFile: w.path('a2.pid'), stdio }));
  assert.equal(Number(readFileSync(w.path('a2.pid'), 'utf8')), a2.pid, 'the pid file names the sandbox container\'s relay');
  assert.equal(containerState('rpod', { root }).status, 'created', 'the pod waits for its other container\'s restore');
  // A restore of a container the image does not hold is one line, and the pod still waits.
  const stray = await specBundle(w, 'stray', 'hello', []);
  editBundle(stray, (c) => (c.annotations = { ...MEMBER, 'io.kubernetes.cri.container-name': 'nope' }));
  await assert.rejects(restoreContainer('stray1', { root, imagePath: w.path('img'), bundle: stray, stdio: ['ignore', 'ignore', 'ignore'] }), (e: unknown) => e instanceof AmberError && /the image holds containers rpod, b, c; none is nope/.test(e.message));
  await sleep(200);
  assert.equal(readFileSync(join(data, 'a.state'), 'utf8').trim(), '3', 'nothing ran before every container was claimed');

  const b2 = await withOutput('b2', (stdio) => restoreContainer('memb', { root, imagePath: w.path('img'), bundle: member2, pidFile: w.path('b2.pid'), stdio }));
  assert.equal(Number(readFileSync(w.path('b2.pid'), 'utf8')), b2.pid);
  assert.equal(containerState('memb', { root }).status, 'created', 'the pod waits for the container that had ended too (its root is the new bundle\'s)');
  // The last claim rebuilds the pod: the ended container's relay ends as it did, the others run on.
  const c2 = await withOutput('c2', (stdio) => restoreContainer('memc', { root, imagePath: w.path('img'), bundle: ended2, pidFile: w.path('c2.pid'), stdio }));
  assert.equal(await c2.exited, 5);
  assert.deepEqual(['rpod', 'memb', 'memc'].map((id) => containerState(id, { root }).status), ['running', 'running', 'stopped']);
  assert.deepEqual([containerState('rpod', { root }).pid, containerState('memb', { root }).pid], [a2.pid, b2.pid]);

  // The member carries on from tick 4 and exits 0; the sandbox container, still held, ends by SIGTERM.
  writeFileSync(join(data, 'b.go'), '');
  assert.match(await verdict(join(data, 'b.done'), 60_000), /^OK counter: 6 ticks/);
  assert.equal(await b2.exited, 0);
  assert.equal(output('b2.out'), '4\n5\n6\n');
  assert.match(output('b2.err'), /^OK counter: 6 ticks/, 'its stderr is its own');
  assert.equal(containerState('memb', { root }).status, 'stopped');
  await killContainer('rpod', 15, { root });
  assert.equal(await a2.exited, 143);
  assert.equal(output('a2.out'), '');
  for (const id of ['memc', 'memb', 'rpod']) await deleteContainer(id, { root });
});
