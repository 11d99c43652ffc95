// Amber under containerd, end to end: a private containerd (its own root, state and socket) whose runc
// shim drives the built `amber` as its runc binary (`ctr run --runc-binary`), on an image of guests made
// here: the guest's output and exit code reach ctr, `ctr task kill` ends it with 143, `ctr task exec` runs
// one more program with its own relay, a checkpoint through
// ctr restores a counter that carries on, two containers joined into one pod by CRI's annotations
// share their volume and /dev/shm, and such a pod checkpointed through ctr comes back container by
// container (ctr containers restore of each), each with its own exit status. Needs root and Debian's containerd (.ci/run installs it).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { removeScratch, makeScratch } from '../src/host/testing/scratch.js';
import { containerdMissing, importGuestImage, PrivateContainerd } from './testing/containerd.js';
import { ready, until, verdict } from './testing/wait.js';

const IMAGE = 'amber.test/guests:1';

describe('amber as containerd\'s runc', () => {
  let ctd: PrivateContainerd;
  let dir: string;

  before(async () => {
    const missing = containerdMissing();
    if (missing !== null) assert.fail(missing);
    dir = makeScratch('containerd');
    ctd = await PrivateContainerd.start(dir);
    importGuestImage(ctd, join(dir, 'image'), IMAGE, ['hello', 'ticker', 'e2e_counter', 'e2e_writer']);
  });

  after(async () => {
    await ctd?.stop();
    if (dir !== undefined) removeScratch(dir);
  });

  test('ctr run prints the guest\'s output and returns its exit code', async (t) => {
    const t0 = performance.now();
    let firstOutput = -1;
    const child = ctd.spawnCtr(['run', '--rm', ...ctd.runFlags(), IMAGE, 'hello1', '/hello.wasm', 'one', '--exit', '7']);
    let out = '';
    let err = '';
    child.stdout?.on('data', (b: Buffer) => {
      if (firstOutput < 0) firstOutput = performance.now() - t0;
      out += b.toString('utf8');
    });
    child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    assert.equal(code, 7, `ctr run: exit ${code}, stderr: ${err}`);
    assert.match(out, /^hello, world\nargv\[1\] = one\nargv\[2\] = --exit\nargv\[3\] = 7\n$/);
    t.diagnostic(`ctr run: first output after ${firstOutput.toFixed(0)} ms, exit after ${(performance.now() - t0).toFixed(0)} ms`);
  });

  test('ctr task kill ends the container with 143', async () => {
    const child = ctd.spawnCtr(['run', '--rm', ...ctd.runFlags(), IMAGE, 'ticker1', '/ticker.wasm', '--to', '100000', '--every-ms', '50']);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    await until('tick 3 from the ticker', () => out.includes('tick 3\n'), 60_000);
    const state = ctd.ctr(['tasks', 'list']);
    assert.match(state.stdout, /ticker1\s+\d+\s+RUNNING/);
    const k = ctd.ctr(['tasks', 'kill', 'ticker1']);
    assert.equal(k.code, 0, `ctr tasks kill: ${k.stderr}`);
    assert.equal(await exited, 143);
  });

  test('ctr task exec runs one more program in the container, with its own output and exit code', async () => {
    const run = ctd.ctr(['run', '--detach', ...ctd.runFlags(), IMAGE, 'execbox1', '/ticker.wasm', '--to', '100000', '--every-ms', '50']);
    assert.equal(run.code, 0, `ctr run --detach: ${run.stderr}`);
    await until('execbox1 running', () => /execbox1\s+\d+\s+RUNNING/.test(ctd.ctr(['tasks', 'list']).stdout));
    const ex = ctd.ctr(['tasks', 'exec', '--exec-id', 'hello1', 'execbox1', '/hello.wasm', 'inside', '--exit', '3']);
    assert.equal(ex.code, 3, `ctr tasks exec: ${ex.stderr}`);
    assert.match(ex.stdout, /^hello, world\nargv\[1\] = inside\n/);
    assert.equal(ctd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', 'execbox1']).code, 0);
    await until('execbox1 stopped', () => /execbox1\s+\d+\s+STOPPED/.test(ctd.ctr(['tasks', 'list']).stdout));
  });

  test('a checkpoint through ctr restores a counter that carries on', async (t) => {
    const data = join(dir, 'counter-data');
    mkdirSync(data);
    const args = ['--ticks', '6', '--every-ms', '20', '--state', '/data/state', '--hold-at', '3', '--ready', '/data/ready', '--go', '/data/go', '--done', '/data/done'];
    const mount = ['--mount', `type=bind,src=${data},dst=/data,options=rbind:rw`];
    const run = ctd.ctr(['run', '--detach', ...ctd.runFlags(), ...mount, IMAGE, 'counter1', '/e2e_counter.wasm', ...args]);
    assert.equal(run.code, 0, `ctr run --detach: ${run.stderr}`);
    await ready(join(data, 'ready'), 60_000);
    let t0 = performance.now();
    const ck = ctd.ctr(['containers', 'checkpoint', '--task', '--image', 'counter1', 'amber.test/counter-checkpoint:1']);
    const checkpointMs = performance.now() - t0;
    assert.equal(ck.code, 0, `ctr containers checkpoint: ${ck.stderr}`);
    assert.equal(ctd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', 'counter1']).code, 0);
    await until('counter1 stopped', () => /counter1\s+\d+\s+STOPPED/.test(ctd.ctr(['tasks', 'list']).stdout));
    assert.equal(ctd.ctr(['tasks', 'delete', 'counter1']).code, 0);
    assert.equal(ctd.ctr(['containers', 'delete', 'counter1']).code, 0);
    assert.equal(readFileSync(join(data, 'state'), 'utf8').trim(), '3', 'the counter held at tick 3');
    t0 = performance.now();
    const rs = ctd.ctr(['containers', 'restore', '--live', 'counter1', 'amber.test/counter-checkpoint:1']);
    const restoreMs = performance.now() - t0;
    assert.equal(rs.code, 0, `ctr containers restore --live: ${rs.stderr}`);
    writeFileSync(join(data, 'go'), '');
    // A restart instead of a resume fails at once (the state file exists); a resume counts 4, 5, 6.
    assert.match(await verdict(join(data, 'done'), 60_000), /6 ticks/);
    assert.equal(readFileSync(join(data, 'state'), 'utf8').trim(), '6');
    t.diagnostic(`ctr containers checkpoint --task: ${checkpointMs.toFixed(0)} ms; ctr containers restore --live: ${restoreMs.toFixed(0)} ms`);
  });

  test('two containers joined by CRI annotations are one pod: a shared volume and /dev/shm', async () => {
    const data = join(dir, 'pod-data');
    mkdirSync(data);
    const mount = ['--mount', `type=bind,src=${data},dst=/data,options=rbind:rw`];
    const writer = (name: string, peer: string) => ['/e2e_writer.wasm', '--name', name, '--peer', peer, '--dir', '/data', '--ticks', '5', '--every-ms', '30', '--done', `/data/done-${name}`];
    const a = ctd.ctr(['run', '--detach', ...ctd.runFlags(), ...mount,
      '--annotation', 'io.kubernetes.cri.container-type=sandbox', '--annotation', 'io.kubernetes.cri.sandbox-id=podsandbox1',
      IMAGE, 'podsandbox1', ...writer('A', 'B')]);
    assert.equal(a.code, 0, `ctr run (the pod's sandbox container): ${a.stderr}`);
    const b = ctd.ctr(['run', '--detach', ...ctd.runFlags(), ...mount,
      '--annotation', 'io.kubernetes.cri.container-type=container', '--annotation', 'io.kubernetes.cri.sandbox-id=podsandbox1',
      '--annotation', 'io.kubernetes.cri.container-name=b',
      IMAGE, 'podmember1', ...writer('B', 'A')]);
    assert.equal(b.code, 0, `ctr run (a container joining the pod): ${b.stderr}`);
    assert.match(await verdict(join(data, 'done-A'), 60_000), /^OK/);
    assert.match(await verdict(join(data, 'done-B'), 60_000), /^OK/);
    // Both ran in one sandbox: the joining container is recorded in the sandbox container's pod.
    const record = JSON.parse(readFileSync(join(ctd.runcRoot, 'amber-test', 'pods', 'podsandbox1', 'record.json'), 'utf8')) as { containers: Array<{ name: string }> };
    assert.deepEqual(record.containers.map((c) => c.name).sort(), ['b', 'podsandbox1']);
    assert.ok(!existsSync(join(ctd.runcRoot, 'amber-test', 'pods', 'podmember1')), 'the joining container has no pod of its own');
  });
  test('a two-container CRI pod checkpointed through ctr comes back container by container, each with its exit status', async (t) => {
    const data = join(dir, 'cpod-data');
    mkdirSync(data);
    const mount = ['--mount', `type=bind,src=${data},dst=/data,options=rbind:rw`];
    const counter = (who: string) => ['/e2e_counter.wasm', '--ticks', '6', '--every-ms', '10', '--state', `/data/${who}.state`, '--hold-at', '3', '--ready', `/data/${who}.ready`, '--go', `/data/${who}.go`, '--done', `/data/${who}.done`];
    const sandbox = ['--annotation', 'io.kubernetes.cri.container-type=sandbox', '--annotation', 'io.kubernetes.cri.sandbox-id=cpod1'];
    const member = ['--annotation', 'io.kubernetes.cri.container-type=container', '--annotation', 'io.kubernetes.cri.sandbox-id=cpod1', '--annotation', 'io.kubernetes.cri.container-name=b'];
    const ok = (args: string[]): void => {
      const r = ctd.ctr(args);
      assert.equal(r.code, 0, `ctr ${args.join(' ')}: ${r.stderr}`);
    };
    // ctr 1.6's tasks delete tells a non-zero exit status as a warning, and exits 0 either way.
    const deleteTask = (id: string): number => {
      const r = ctd.ctr(['tasks', 'delete', id]);
      assert.equal(r.code, 0, `ctr tasks delete ${id}: ${r.stderr}`);
      return Number(/exit with non-zero exit code (\d+)/.exec(r.stderr)?.[1] ?? 0);
    };
    const taskIs = (id: string, status: string) => new RegExp(`${id}\\s+\\d+\\s+${status}`).test(ctd.ctr(['tasks', 'list']).stdout);
    ok(['run', '--detach', ...ctd.runFlags(), ...mount, ...sandbox, IMAGE, 'cpod1', ...counter('a')]);
    ok(['run', '--detach', ...ctd.runFlags(), ...mount, ...member, IMAGE, 'cmem1', ...counter('b')]);
    await ready(join(data, 'a.ready'), 60_000);
    await ready(join(data, 'b.ready'), 60_000);
    // Each container's checkpoint is an image of the whole pod (the pod comes back from the sandbox's).
    let t0 = performance.now();
    ok(['containers', 'checkpoint', '--task', 'cpod1', 'amber.test/cpod-a:1']);
    ok(['containers', 'checkpoint', '--task', 'cmem1', 'amber.test/cpod-b:1']);
    const checkpointMs = performance.now() - t0;
    for (const id of ['cmem1', 'cpod1']) {
      ok(['tasks', 'kill', '--signal', 'SIGKILL', id]);
      await until(`${id} stopped`, () => taskIs(id, 'STOPPED'));
      assert.equal(deleteTask(id), 137, `${id} ended by SIGKILL`);
      ok(['containers', 'delete', id]);
    }
    t0 = performance.now();
    ok(['containers', 'restore', '--live', 'cpod1', 'amber.test/cpod-a:1']);
    ok(['containers', 'restore', '--live', 'cmem1', 'amber.test/cpod-b:1']);
    const restoreMs = performance.now() - t0;
    writeFileSync(join(data, 'b.go'), '');
    assert.match(await verdict(join(data, 'b.done'), 60_000), /^OK counter: 6 ticks/);
    await until('cmem1 stopped', () => taskIs('cmem1', 'STOPPED'));
    assert.equal(deleteTask('cmem1'), 0, 'the member exited 0');
    assert.ok(taskIs('cpod1', 'RUNNING'), 'the sandbox container still holds at tick 3');
    assert.equal(readFileSync(join(data, 'a.state'), 'utf8').trim(), '3');
    ok(['tasks', 'kill', 'cpod1']);
    await until('cpod1 stopped', () => taskIs('cpod1', 'STOPPED'));
    assert.equal(deleteTask('cpod1'), 143, 'the sandbox container ended by SIGTERM');
    t.diagnostic(`two containers: ctr containers checkpoint --task of each ${checkpointMs.toFixed(0)} ms; ctr containers restore --live of each ${restoreMs.toFixed(0)} ms`);
  });
});
