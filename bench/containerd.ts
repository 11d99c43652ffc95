// Amber driven by containerd (`npm run bench -- --only containerd`; root and Debian's containerd): the
// times a user of ctr waits, against what the same work costs without containerd, measured in the same
// run: `ctr run --rm` of guests/hello from create to its first output line and to its exit, against the
// same module under node:wasi (a whole process); `ctr containers checkpoint --task` of a held counter and
// `ctr containers restore --live` until it runs, against `amber checkpoint` and `amber restore --detach`
// of the same counter in a pod run without containerd.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratch, removeScratch } from '../src/host/testing/scratch.js';
import { containerdMissing, importGuestImage, PrivateContainerd } from '../test/testing/containerd.js';
import { measure, nodeWasiCommand, ROOT } from './commands.js';
import { guest } from './figures.js';

const IMAGE = 'amber.bench/guests:1';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function waitFor(path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${path}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** `ctr run --rm` of hello: ms to its first output line and to its exit. */
function ctrRun(ctd: PrivateContainerd, id: string): Promise<{ first: number; exit: number }> {
  const t0 = performance.now();
  const child = ctd.spawnCtr(['run', '--rm', ...ctd.runFlags(), IMAGE, id, '/hello.wasm']);
  let first = NaN;
  child.stdout?.once('data', () => (first = performance.now() - t0));
  return new Promise((res, rej) => child.on('exit', (code) => (code === 0 ? res({ first, exit: performance.now() - t0 }) : rej(new Error(`ctr run exited ${code}`)))));
}

const COUNTER = ['--ticks', '6', '--every-ms', '5', '--hold-at', '3'];

/** One checkpoint and restore of a held counter through ctr: ms for each. */
async function ctrCheckpoint(ctd: PrivateContainerd, dir: string, id: string): Promise<{ checkpoint: number; restore: number }> {
  const data = join(dir, id);
  mkdirSync(data);
  const mount = ['--mount', `type=bind,src=${data},dst=/data,options=rbind:rw`];
  const ok = (args: string[]): void => {
    const r = ctd.ctr(args);
    if (r.code !== 0) throw new Error(`ctr ${args.join(' ')}: ${r.stderr}`);
  };
  ok(['run', '--detach', ...ctd.runFlags(), ...mount, IMAGE, id, '/e2e_counter.wasm', ...COUNTER, '--ready', '/data/ready', '--go', '/data/go']);
  await waitFor(join(data, 'ready'));
  let t0 = performance.now();
  ok(['containers', 'checkpoint', '--task', '--image', id, `amber.bench/${id}:1`]);
  const checkpoint = performance.now() - t0;
  ctd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]); // may have ended already
  for (let i = 0; i < 200 && !/STOPPED/.test(ctd.ctr(['tasks', 'list']).stdout.split('\n').find((l) => l.startsWith(`${id} `)) ?? ''); i++) await new Promise((res) => setTimeout(res, 20));
  ok(['tasks', 'delete', id]);
  ok(['containers', 'delete', id]);
  t0 = performance.now();
  ok(['containers', 'restore', '--live', id, `amber.bench/${id}:1`]);
  const restore = performance.now() - t0;
  writeFileSync(join(data, 'go'), '');
  ctd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]); // may have ended already
  return { checkpoint, restore };
}

/** The same checkpoint and restore without containerd: `amber checkpoint` and `amber restore --detach`. */
async function amberCheckpoint(dir: string, id: string): Promise<{ checkpoint: number; restore: number }> {
  const amber = (args: string[]): void => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/amber.js'), '--root', join(dir, 'root'), ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`amber ${args.join(' ')}: ${r.stderr}`);
  };
  const data = join(dir, id);
  mkdirSync(data);
  writeFileSync(join(dir, `${id}.yaml`), [
    'apiVersion: v1', 'kind: Pod', `metadata: {name: ${id}}`, 'spec:',
    '  volumes: [{name: data, hostPath: {path: ' + JSON.stringify(data) + '}}]',
    '  containers:', '  - name: c', `    image: ${guest('e2e_counter')}`,
    `    args: ${JSON.stringify([...COUNTER, '--ready', '/data/ready', '--go', '/data/go'])}`,
    '    volumeMounts: [{name: data, mountPath: /data}]', '',
  ].join('\n'));
  amber(['pod', 'run', '--detach', join(dir, `${id}.yaml`)]);
  await waitFor(join(data, 'ready'));
  let t0 = performance.now();
  amber(['checkpoint', id, '--image-path', join(dir, `${id}.img`)]);
  const checkpoint = performance.now() - t0;
  amber(['delete', id]);
  t0 = performance.now();
  amber(['restore', '--image-path', join(dir, `${id}.img`), '--detach']);
  const restore = performance.now() - t0;
  amber(['delete', '--force', id]);
  return { checkpoint, restore };
}

/** The containerd table, or why it was not measured. */
export async function runContainerdBench(reps: number): Promise<string> {
  const missing = containerdMissing();
  if (missing !== null) return `containerd: not measured: ${missing}`;
  const dir = makeScratch('bench-containerd');
  const ctd = await PrivateContainerd.start(dir);
  try {
    importGuestImage(ctd, join(dir, 'image'), IMAGE, ['hello', 'e2e_counter']);
    const first: number[] = [];
    const exit: number[] = [];
    const wasi: number[] = [];
    const ck: number[] = [];
    const rs: number[] = [];
    const ack: number[] = [];
    const ars: number[] = [];
    const nodeWasi = nodeWasiCommand(guest('hello'), [], [], { liftoff: false });
    for (let i = 0; i < reps; i++) {
      const r = await ctrRun(ctd, `hello${i}`);
      first.push(r.first);
      exit.push(r.exit);
      wasi.push(measure(nodeWasi, { inner: false }).wallNs / 1e6);
      const c = await ctrCheckpoint(ctd, dir, `counter${i}`);
      ck.push(c.checkpoint);
      rs.push(c.restore);
      const a = await amberCheckpoint(dir, `direct${i}`);
      ack.push(a.checkpoint);
      ars.push(a.restore);
      process.stderr.write('.');
    }
    const row = (what: string, xs: number[], base: number[], baseWhat: string): string =>
      `${what.padEnd(44)} ${median(xs).toFixed(0).padStart(6)} ms   ${(median(xs) / median(base)).toFixed(1).padStart(5)}x ${baseWhat} (${median(base).toFixed(0)} ms)`;
    return [
      `containerd ${ctd.ctr(['version']).stdout.match(/Version:\s+(\S+)/)?.[1] ?? '?'}, its runc shim driving amber (median of ${reps})`,
      row('ctr run --rm hello: create to first output', first, wasi, 'node:wasi whole run'),
      row('ctr run --rm hello: to exit (delete included)', exit, wasi, 'node:wasi whole run'),
      row('ctr containers checkpoint --task', ck, ack, 'amber checkpoint'),
      row('ctr containers restore --live', rs, ars, 'amber restore --detach'),
    ].join('\n');
  } finally {
    await ctd.stop();
    rmSync(join(dir, 'root'), { recursive: true, force: true });
    removeScratch(dir);
  }
}
