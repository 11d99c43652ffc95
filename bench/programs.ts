// Real programs as a user runs them (issue 9 point 7; `npm run bench -- --only yosys` or `--only sqlite-pod`,
// and in every full run): yosys (scripts/fetch-yosys.mjs, ~30 MB) synthesizing a multiplier, and SQLite
// (scripts/build-sqlite.mjs, ~1 MB) running transactions, each as a whole process: under node's own
// node:wasi (the baseline), `amber do`, a foreground `amber pod run` whose module is in the cache (warm),
// and one on an empty cache (cold: the client transforms the module first). Wall time and peak RSS (the
// largest process of the run's tree, by wait4's rusage, through python3) of each, in the same run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeWasiCommand, ROOT, type Command } from './commands.js';
import { median, table } from './report.js';

/** The command as a user runs it (bin/amber: from its startup snapshots when they fit), as bench/commands.ts runs it. */
const AMBER = join(ROOT, 'node_modules/.bin/amber');

export const PROGRAM_IDS = ['yosys', 'sqlite-pod'] as const;
export type ProgramId = (typeof PROGRAM_IDS)[number];

/** One program's workload: its module, arguments, host directories, and what a good run prints. */
interface Program {
  id: ProgramId;
  title: string;
  wasm: string;
  args: string[];
  dirs: Array<{ host: string; guest: string; readOnly?: boolean }>;
  /** The line every run must print (labelled `NAME | ` in a pod). */
  expect: RegExp;
  /** Targets for the cold pod run: at most maxRatio × `amber do`, or under maxMs. */
  cold: { maxRatio?: number; maxMs?: number; text: string };
}

function fetchedPath(script: string, what: string): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', script)], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n').pop() ?? '';
  if (r.error !== undefined || r.status !== 0 || path === '') throw new Error(`${what} could not be built (${script}): ${r.error?.message ?? r.stderr.trim()}`);
  return path;
}

const MULTIPLIER_BITS = 32;

function programs(ids: readonly ProgramId[], work: string): Program[] {
  const out: Program[] = [];
  if (ids.includes('yosys')) {
    const dir = fetchedPath('fetch-yosys.mjs', 'yosys');
    const w = MULTIPLIER_BITS;
    writeFileSync(join(work, 'mul.v'), `module mul(input [${w - 1}:0] a, input [${w - 1}:0] b, output [${2 * w - 1}:0] y);\n  assign y = a * b;\nendmodule\n`);
    out.push({
      id: 'yosys', title: `yosys: synth -noabc of a ${w}×${w} multiplier`, wasm: join(dir, 'yosys.wasm'),
      args: ['-p', 'read_verilog /work/mul.v; synth -top mul -noabc; stat'],
      dirs: [{ host: join(dir, 'share'), guest: '/share', readOnly: true }, { host: work, guest: '/work', readOnly: true }],
      expect: /Number of cells:\s+\d+/, cold: { maxMs: 120_000, text: '< 120 s' },
    });
  }
  if (ids.includes('sqlite-pod')) {
    const wasm = fetchedPath('build-sqlite.mjs', 'SQLite');
    const db = mkdtempSync(join(work, 'db-'));
    out.push({
      id: 'sqlite-pod', title: 'SQLite: 2000 transactions on a host directory', wasm, args: ['/db', '2000'],
      dirs: [{ host: db, guest: '/db' }], expect: /^(?:\S+ \| )?rows 2000 sum 2001000$/m, cold: { maxRatio: 3, text: '≤ 3× do' },
    });
  }
  return out;
}

/** A foreground pod running the program once, in a manifest under work. */
function podManifest(p: Program, work: string): string {
  const path = join(work, `${p.id}.yaml`);
  const volumes = p.dirs.map((d, i) => ({ name: `v${i}`, hostPath: { path: d.host } }));
  const mounts = p.dirs.map((d, i) => ({ name: `v${i}`, mountPath: d.guest, readOnly: d.readOnly ?? false }));
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: p.id },
    spec: { containers: [{ name: 'p', image: p.wasm, args: p.args, volumeMounts: mounts }], volumes },
  }));
  return path;
}

/** Runs a command under python3's wait4 so its tree's peak RSS comes back: wall ms, peak KiB, stdout. */
function runMeasured(cmd: Command, env: NodeJS.ProcessEnv, expect: RegExp): { ms: number; rssKb: number } {
  const probe = 'import resource, subprocess, sys\nr = subprocess.run(sys.argv[1:])\nprint("maxrss", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\nsys.exit(r.returncode)';
  const t0 = performance.now();
  const r = spawnSync('python3', ['-c', probe, cmd.file, ...cmd.args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.error !== undefined) throw new Error(`python3 (which measures peak RSS) could not run: ${r.error.message}`);
  if (r.status !== 0 || !expect.test(r.stdout)) throw new Error(`${cmd.label} exited ${r.status}, printing ${JSON.stringify(r.stdout.slice(-300))}: ${r.stderr.slice(-1000)}`);
  return { ms, rssKb: Number(/^maxrss (\d+)$/m.exec(r.stderr)?.[1] ?? NaN) };
}

interface Row { label: string; ms: number[]; rssKb: number[] }
export interface ProgramResult { program: Program; rows: Row[] }

/**
 * Each program under every way (warm ones `reps` times, interleaved; the cold pod run once, on an empty
 * cache of its own, since it costs a whole transform).
 */
export function runProgramsBench(ids: readonly ProgramId[], reps: number): ProgramResult[] {
  const work = mkdtempSync(join(tmpdir(), 'amber-bench-programs-'));
  try {
    const results: ProgramResult[] = [];
    for (const p of programs(ids, work)) {
      const root = join(work, `root-${p.id}`);
      const pod = podManifest(p, work);
      const dirFlags = p.dirs.flatMap((d) => ['--dir', `${d.host}:${d.guest}`]);
      const ways: Array<{ label: string; cmd: Command; env?: NodeJS.ProcessEnv }> = [
        { label: 'node:wasi', cmd: nodeWasiCommand(p.wasm, p.args, p.dirs, { liftoff: true }) },
        { label: 'amber do', cmd: { label: 'amber do', file: AMBER, args: ['do', ...dirFlags, '--', p.wasm, ...p.args] } },
        { label: 'pod run (warm)', cmd: { label: 'pod run', file: AMBER, args: ['--root', root, 'pod', 'run', pod] } },
      ];
      const rows: Row[] = ways.map((w) => ({ label: w.label, ms: [], rssKb: [] }));
      process.stderr.write(`${p.id} cold `);
      const cache = mkdtempSync(join(work, 'cache-'));
      const cold = runMeasured(ways[2]!.cmd, { ...process.env, XDG_CACHE_HOME: cache }, p.expect);
      rmSync(cache, { recursive: true, force: true });
      // Warm: the per-user cache, filled first if this host never ran the module.
      runMeasured(ways[2]!.cmd, process.env, p.expect);
      for (let i = 0; i < reps; i++) {
        const order = i % 2 === 0 ? ways.map((_, j) => j) : ways.map((_, j) => ways.length - 1 - j);
        for (const j of order) {
          const m = runMeasured(ways[j]!.cmd, process.env, p.expect);
          rows[j]!.ms.push(m.ms);
          rows[j]!.rssKb.push(m.rssKb);
        }
        process.stderr.write('.');
      }
      process.stderr.write('\n');
      rows.push({ label: 'pod run (cold)', ms: [cold.ms], rssKb: [cold.rssKb] });
      results.push({ program: p, rows });
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The table: each way's median wall time, its ratio to node:wasi and to `amber do`, its peak RSS; the targets. */
export function programsTable(results: ProgramResult[]): string {
  const rows = [['program, way (whole process, median)', 'wall', '/ node:wasi', '/ amber do', 'peak RSS', 'target', 'result']];
  for (const { program: p, rows: ways } of results) {
    const base = median(ways[0]!.ms);
    const doMs = median(ways[1]!.ms);
    for (const w of ways) {
      const ms = median(w.ms);
      let target = '';
      let result = '';
      if (w.label === 'pod run (warm)') {
        target = '≤ 1.5× do';
        result = ms / doMs <= 1.5 ? 'pass' : 'FAIL';
      } else if (w.label === 'pod run (cold)') {
        target = p.cold.text;
        const ok = (p.cold.maxMs === undefined || ms < p.cold.maxMs) && (p.cold.maxRatio === undefined || ms / doMs <= p.cold.maxRatio);
        result = ok ? 'pass' : 'FAIL';
      }
      rows.push([`${p.title}, ${w.label}`, `${(ms / 1000).toFixed(2)} s`, `${(ms / base).toFixed(2)}×`, `${(ms / doMs).toFixed(2)}×`, `${(median(w.rssKb) / 1024).toFixed(0)} MiB`, target, result]);
    }
  }
  return table(rows);
}

/** The ids of the programs whose targets were missed. */
export function programFailures(results: ProgramResult[]): string[] {
  return programsTable(results).includes('FAIL') ? results.filter((r) => programsTable([r]).includes('FAIL')).map((r) => r.program.id) : [];
}
