// A pod's output and its time under load (issue 12 point 3; `npm run bench -- --only exec`, and in every
// full run): 64 MiB written by guests/flood in 1 MiB writes through `amber exec POD CTR -- ... | wc -c` into a
// detached pod, against the same module writing to the same pipe under node's own node:wasi and under
// `amber do`, whole processes, in the same run; and how many of its ticks a 100 ms ticker gets in a few
// seconds beside a container looping 1 MiB tmpfs writes and one spinning, against the same ticker alone
// in a pod of its own (ticks counted in `amber logs` around a window of the wall clock).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratch, removeScratch } from '../src/host/testing/scratch.js';
import { nodeWasiCommand, ROOT, type Command } from './commands.js';
import { guest } from './figures.js';
import { median, table } from './report.js';

const AMBER = join(ROOT, 'bin/amber.js');
const MIB = 64;
const EVERY_MS = 100;
const WINDOW_MS = 3000;

function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

function amber(root: string, args: string[]): string {
  const r = spawnSync(process.execPath, [AMBER, '--root', root, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`amber ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `COMMAND | wc -c` by bash: ms from spawn to exit; fails unless every byte came. */
function throughPipe(c: Command): number {
  const line = `set -o pipefail; ${[c.file, ...c.args].map(quote).join(' ')} | wc -c`;
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', line], { encoding: 'utf8', cwd: ROOT });
  const ms = performance.now() - t0;
  if (r.status !== 0 || r.stdout.trim() !== String(MIB << 20)) throw new Error(`bench stream: ${c.label}: exit ${r.status}, ${r.stdout.trim()} bytes: ${r.stderr.trim()}`);
  return ms;
}

function pod(dir: string, name: string, containers: Array<{ name: string; image: string; args: string[]; data?: boolean }>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      containers: containers.map((c) => ({ name: c.name, image: c.image, args: c.args, volumeMounts: c.data === true ? [{ name: 'data', mountPath: '/data' }] : [] })),
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  }));
  return path;
}

/** Ticks the ticker of pod id logs in a window of WINDOW_MS, as a share of those it asked for. */
async function tickShare(root: string, id: string): Promise<number> {
  const ticks = (): number => amber(root, ['logs', id, 'tick']).split('\n').filter((l) => /^tick \d+$/.test(l)).length;
  for (let i = 0; ticks() < 3; i++) {
    if (i > 300) throw new Error(`bench stream: ${id}'s ticker never ticked`);
    await new Promise((res) => setTimeout(res, 100));
  }
  const n0 = ticks();
  const t0 = performance.now();
  await new Promise((res) => setTimeout(res, WINDOW_MS));
  const n1 = ticks();
  return (n1 - n0) / ((performance.now() - t0) / EVERY_MS);
}

export async function runStreamBench(reps: number): Promise<string> {
  const dir = makeScratch('bench-stream');
  const root = join(dir, 'root');
  try {
    const ticker = { name: 'tick', image: guest('ticker'), args: ['--to', '1000000', '--every-ms', String(EVERY_MS)] };
    amber(root, ['pod', 'run', '--detach', pod(dir, 'ex', [ticker])]);
    const flood = guest('flood');
    const hostile = guest('hostile');
    const cmds: Command[] = [
      { label: 'amber exec', file: process.execPath, args: [AMBER, '--root', root, 'exec', 'ex', 'tick', '--', flood, String(MIB)] },
      { label: 'amber do', file: process.execPath, args: [AMBER, 'do', '--', flood, String(MIB)] },
      nodeWasiCommand(flood, [String(MIB)], [], { liftoff: false }),
    ];
    // Once each untimed first: the module's transform into the cache, and files into the page cache.
    for (const c of cmds) throughPipe(c);
    const times: number[][] = cmds.map(() => []);
    for (let i = 0; i < reps; i++) {
      // Rotate which goes first, so none always runs on a warmer (or hotter) machine.
      for (let k = 0; k < cmds.length; k++) {
        const j = (i + k) % cmds.length;
        (times[j] as number[]).push(throughPipe(cmds[j] as Command));
        process.stderr.write('.');
      }
    }
    process.stderr.write('\n');
    const base = median(times[2] as number[]);
    const rows = [['64 MiB to | wc -c', 'median', 'MiB/s', 'vs node:wasi']];
    cmds.forEach((c, j) => {
      const m = median(times[j] as number[]);
      rows.push([c.label, `${m.toFixed(0)} ms`, (MIB / (m / 1000)).toFixed(0), `${(m / base).toFixed(2)}×`]);
    });
    amber(root, ['delete', '--force', 'ex']);

    amber(root, ['pod', 'run', '--detach', pod(dir, 'alone', [ticker])]);
    amber(root, ['pod', 'run', '--detach', pod(dir, 'busy', [
      { name: 'writer', image: hostile, args: ['spinwrite', '/data/f'], data: true },
      { name: 'spinner', image: guest('spin'), args: ['lcg', '1000000000000000'] },
      ticker,
    ])]);
    const [alone, busy] = await Promise.all([tickShare(root, 'alone'), tickShare(root, 'busy')]);
    return `${table(rows)}\n` +
      'a detached pod\'s exec streamed to a pipe, against the same module and pipe without a pod; whole processes\n\n' +
      `a ${EVERY_MS} ms ticker over ${WINDOW_MS / 1000} s: ${(busy * 100).toFixed(0)}% of its ticks beside a tmpfs writer and a spinner, ` +
      `${(alone * 100).toFixed(0)}% alone in a pod at the same time (ratio ${(busy / alone).toFixed(2)})`;
  } finally {
    for (const id of ['ex', 'alone', 'busy']) spawnSync(process.execPath, [AMBER, '--root', root, 'delete', '--force', id]);
    removeScratch(dir);
  }
}
