// The density benchmark (`npm run bench -- --only density`, and in every full run): how much memory an
// idle pod's sandbox holds, like the per-pod overhead runsc or Kata report (a sandbox's RSS with its
// container asleep). One detached pod of one container (guests/ticker, ticking once a minute) is started
// and left idle, and its sandbox's RSS and PSS read from /proc (PSS shares the node binary's pages among
// the processes mapping them: what each pod adds on a host running many); then ten such pods at once,
// and the figures per pod. Target (issue 12.7): an idle single-container pod's sandbox under 60 MiB RSS.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './commands.js';
import { guest } from './figures.js';
import { median, table } from './report.js';

export const DENSITY_TARGET_MIB = 60;
const MANY = 10;
/** How long a pod is left idle before it is measured: past its start-up's garbage. */
const SETTLE_MS = 2000;
const AMBER = join(ROOT, 'bin/amber.js');
const KiB = 1024;

export interface PodMemory {
  rssKiB: number;
  pssKiB: number;
}

export interface DensityResult {
  /** The one pod alone, each repetition. */
  one: PodMemory[];
  /** Each of the MANY pods running together (the last repetition's). */
  many: PodMemory[];
}

function amber(root: string, args: string[]): string {
  const r = spawnSync(process.execPath, [AMBER, '--root', root, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`amber ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A field of /proc/PID/smaps_rollup (or status), in KiB. */
function procKiB(pid: number, file: 'smaps_rollup' | 'status', field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  if (m === null) throw new Error(`/proc/${pid}/${file}: no ${field}`);
  return Number(m[1]);
}

function podMemory(pid: number): PodMemory {
  return { rssKiB: procKiB(pid, 'status', 'VmRSS'), pssKiB: procKiB(pid, 'smaps_rollup', 'Pss') };
}

/** Starts pod name, waits until its first tick is logged; its sandbox's pid. */
function startIdle(root: string, manifest: string, name: string): number {
  amber(root, ['pod', 'run', '--detach', '--name', name, manifest]);
  const log = join(root, 'pods', name, 'logs', 'ticker.log');
  for (let i = 0; i < 3000 && !(existsSync(log) && readFileSync(log, 'utf8').includes('tick 1')); i++) sleepMs(10);
  const pid = (JSON.parse(amber(root, ['state', name])) as { pid?: unknown }).pid;
  if (typeof pid !== 'number' || pid <= 0) throw new Error(`pod ${name}: no sandbox pid in its state`);
  return pid;
}

export function runDensityBench(reps: number): DensityResult {
  const work = mkdtempSync(join(tmpdir(), 'amber-bench-density-'));
  const root = join(work, 'root');
  const manifest = join(work, 'idle.yaml');
  writeFileSync(manifest, [
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: idle}', 'spec:', '  containers:',
    `  - {name: ticker, image: ${guest('ticker')}, args: ["--to", "1000000", "--every-ms", "60000"]}`, '',
  ].join('\n'));
  const names: string[] = [];
  try {
    const one: PodMemory[] = [];
    for (let i = 0; i < reps; i++) {
      const name = `idle-${i}`;
      names.push(name);
      const pid = startIdle(root, manifest, name);
      sleepMs(SETTLE_MS);
      one.push(podMemory(pid));
      amber(root, ['delete', '--force', name]);
      names.pop();
      process.stderr.write('.');
    }
    const pids: number[] = [];
    for (let i = 0; i < MANY; i++) {
      const name = `many-${i}`;
      names.push(name);
      pids.push(startIdle(root, manifest, name));
    }
    sleepMs(SETTLE_MS);
    const many = pids.map(podMemory);
    process.stderr.write('.');
    return { one, many };
  } finally {
    for (const n of names) spawnSync(process.execPath, [AMBER, '--root', root, 'delete', '--force', n]);
    rmSync(work, { recursive: true, force: true });
  }
}

const mib = (kib: number): string => `${(kib / KiB).toFixed(1)} MiB`;

/** The table: one idle pod (median), ten together (per pod: median, and the total), against the target. */
export function densityTable(r: DensityResult): string {
  const rss = (xs: PodMemory[]) => median(xs.map((x) => x.rssKiB));
  const pss = (xs: PodMemory[]) => median(xs.map((x) => x.pssKiB));
  const verdict = (kib: number): string => (kib / KiB < DENSITY_TARGET_MIB ? 'pass' : 'FAIL');
  const sum = (xs: PodMemory[], k: keyof PodMemory) => xs.reduce((n, x) => n + x[k], 0);
  return table([
    ['idle sandbox (median)', 'RSS', 'PSS', 'target', 'result'],
    ['one single-container pod alone', mib(rss(r.one)), mib(pss(r.one)), `<${DENSITY_TARGET_MIB} MiB RSS`, verdict(rss(r.one))],
    [`per pod, ${r.many.length} pods at once`, mib(rss(r.many)), mib(pss(r.many)), '—', 'info'],
    [`all ${r.many.length} pods' sandboxes`, mib(sum(r.many, 'rssKiB')), mib(sum(r.many, 'pssKiB')), '—', 'info'],
  ]);
}

export function densityFailures(r: DensityResult): string[] {
  return median(r.one.map((x) => x.rssKiB)) / KiB < DENSITY_TARGET_MIB ? [] : ['density'];
}
