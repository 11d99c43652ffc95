// `npm run bench`: Amber against node's own node:wasi (and native code for compute), the same guest
// module under each. Not a test and never part of `npm test`: it prints figures, it does not assert.
//   npm run bench [-- --reps N] [-- --only ID[,ID...]]
// --only checkpoint runs only the checkpoint/restore benchmark (bench/checkpoint.ts; checkpoint-64 or
// checkpoint-256 for one size); --only containerd only Amber under containerd (bench/containerd.ts, root);
// --only exec an exec's output streamed through a pipe, and a ticker's share beside busy containers
// (bench/stream.ts);
// --only compression the image codecs on a real checkpoint (bench/compression.ts: SQLite, npm run sqlite);
// --only yosys and --only sqlite-pod a real program's cold and warm start and run against node:wasi
// (bench/programs.ts: npm run yosys, npm run sqlite); --only density an idle pod's sandbox RSS, alone and
// ten at once (bench/density.ts);
// every other id names a figure of the main tables (bench/figures.ts).
// Each figure is the median of N runs (default 5), amber and baseline interleaved so drift hits both.
// Guests time their own inner loop (CLOCK_MONOTONIC, and process CPU time beside it), so start-up is
// left out of the main table; the second table has whole-process times. The machine is noisy: compare
// ratios within one run, and check a surprising one against its "noise" and "cpu ratio" columns.
// Needs `npm run build` and `npm run guests` first.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHECKPOINT_SIZES, checkpointFailures, checkpointId, checkpointTable, coldRestoreLines, imageSizes, incrementalTable, runCheckpointBench } from './checkpoint.js';
import { measure, ROOT, type Sample } from './commands.js';
import { compressionTable, runCompressionBench } from './compression.js';
import { runContainerdBench } from './containerd.js';
import { densityFailures, densityTable, runDensityBench } from './density.js';
import { allFigures, guest, type Figure } from './figures.js';
import { hostDirIsReal, makePlaces } from './places.js';
import { PROGRAM_IDS, programFailures, programsTable, runProgramsBench, type ProgramId } from './programs.js';
import { failures, innerTable, wallTable, type Result } from './report.js';
import { runStreamBench } from './stream.js';

const GUESTS = ['bench_write', 'bench_open', 'bench_stat', 'bench_sha256', 'bench_mem', 'hello'];

function options(): { reps: number; only: string[] | undefined } {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, only: { type: 'string' } } });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${values.reps}`);
  return { reps, only: values.only?.split(',') };
}

/** What must be built before measuring: Amber's dist/ and every bench guest, newer than its source. */
function preflight(): string[] {
  const problems: string[] = [];
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) problems.push('dist/ is missing: run npm run build');
  for (const g of GUESTS) {
    const wasm = guest(g);
    const src = join(ROOT, 'guests', `${g}.c`);
    if (!existsSync(wasm)) problems.push(`guests/${g}.wasm is missing: run npm run guests`);
    else if (statSync(wasm).mtimeMs < statSync(src).mtimeMs) problems.push(`guests/${g}.wasm is older than its source: run npm run guests`);
  }
  return problems;
}

/** The commit measured, and whether src/ differs from it (others' work in progress changes figures). */
function describeTree(): string {
  const git = (...args: string[]): string => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter((l) => l !== '').length;
    return `${git('log', '-1', '--format=%h %s')}${dirty > 0 ? ` (+${dirty} uncommitted change(s) under src/)` : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

function runFigure(f: Figure, reps: number): Result {
  const result: Result = { figure: f, amber: [], baseline: [] };
  const take = (s: Sample, into: Sample[]): void => {
    const bad = f.check?.(s);
    if (bad !== undefined) throw new Error(`${f.id}: ${bad}`);
    into.push(s);
  };
  for (let i = 0; i < reps; i++) {
    // Alternate which goes first, so neither always runs on a warmer (or hotter) machine.
    const inner = { inner: f.whole !== true };
    if (i % 2 === 0) {
      take(measure(f.amber, inner), result.amber);
      take(measure(f.baseline, inner), result.baseline);
    } else {
      take(measure(f.baseline, inner), result.baseline);
      take(measure(f.amber, inner), result.amber);
    }
    process.stderr.write('.');
  }
  return result;
}

/** The main tables: every figure of figures.ts that --only selects; the ids of targets missed. */
function runFigures(opts: { reps: number; only: string[] | undefined }): string[] {
  const places = makePlaces();
  try {
    const real = hostDirIsReal(places.hostDir);
    const figures = allFigures(places).filter((f) => opts.only === undefined || opts.only.includes(f.id));
    if (figures.length === 0) return [];
    console.log(`--dir: ${real ? 'a real host directory (fsimpl/hostdir)' : 'NOT a host directory yet (empty tmpfs placeholder)'}`);
    for (const n of places.notes) console.log(n);
    const results: Result[] = [];
    for (const f of figures) {
      process.stderr.write(`${f.id} `);
      results.push(runFigure(f, opts.reps));
      process.stderr.write('\n');
    }
    console.log(`\n${innerTable(results)}`);
    console.log('ratio = amber/baseline (lower is better); noise = ± half the spread of the runs; cpu ratio = the');
    console.log('same ratio in process CPU time, which waiting for a busy CPU does not inflate');
    console.log(`\n${wallTable(results)}`);
    console.log('extra = amber minus baseline; a start-up figure (target in ms) is judged on it');
    return failures(results).map((f) => f.id);
  } finally {
    places.cleanup();
  }
}

/**
 * What the transform costs compute guests (bench/asyncify.ts, in a process of its own under --no-liftoff):
 * its table as it prints it; 'asyncify' when the pod's module (checks+lean) misses the target.
 */
function runAsyncifyBench(reps: number): string[] {
  console.log('\nthe module transform against the raw module (bench/asyncify.ts):');
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/asyncify.ts'), '--reps', String(Math.max(3, reps))], { encoding: 'utf8', cwd: ROOT });
  process.stdout.write(out);
  // The pod's module is the lean transform's (the default engine; Binaryen's only for a module it refuses).
  return /^checks\+lean: .*MISSED/m.test(out) ? ['asyncify'] : [];
}

/** The checkpoint table (bench/checkpoint.ts) for the sizes --only selects; the targets missed. */
async function runCheckpoints(opts: { reps: number; only: string[] | undefined }): Promise<string[]> {
  const sizes = CHECKPOINT_SIZES.filter((n) => opts.only === undefined || opts.only.includes('checkpoint') || opts.only.includes(checkpointId(n)));
  if (sizes.length === 0) return [];
  const results = await runCheckpointBench(sizes, opts.reps);
  console.log(`\n${checkpointTable(results)}`);
  console.log('a detached pod of guests/bench_mem (N MiB filled, then parked); ratio = time/baseline; copy = N MiB into a');
  console.log('fresh Buffer, write+fsync = N MiB to a new file beside the images; pause = the sandbox\'s own timing');
  console.log(imageSizes(results));
  console.log(coldRestoreLines(results));
  console.log(`\n${incrementalTable(results)}`);
  console.log('the same pod checkpointed again at once: ratio = incremental/full (median of per-run ratios); bytes');
  console.log('written anew = the files of the incremental image that are not hard links to the first image\'s');
  return checkpointFailures(results);
}

async function main(): Promise<number> {
  const opts = options();
  const problems = preflight();
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`bench: ${p}\n`);
    return 1;
  }
  console.log(`amber bench — ${describeTree()}`);
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), median of ${opts.reps}`);
  const isProgram = (id: string): id is ProgramId => (PROGRAM_IDS as readonly string[]).includes(id);
  const special = (id: string): boolean =>
    id === 'checkpoint' || id === 'containerd' || id === 'asyncify' || id === 'compression' || id === 'density' || id === 'exec' || isProgram(id) || CHECKPOINT_SIZES.some((n) => id === checkpointId(n));
  const onlySpecial = opts.only !== undefined && opts.only.every(special);
  const failed = onlySpecial ? [] : runFigures(opts);
  if (opts.only === undefined || opts.only.includes('asyncify')) failed.push(...runAsyncifyBench(opts.reps));
  if (opts.only === undefined || opts.only.some((id) => id !== 'containerd' && id !== 'asyncify' && id !== 'compression' && id !== 'density' && id !== 'exec' && !isProgram(id))) failed.push(...await runCheckpoints(opts));
  if (opts.only === undefined || opts.only.includes('exec')) console.log(`\n${await runStreamBench(opts.reps)}`);
  const programs = opts.only === undefined ? PROGRAM_IDS : opts.only.filter(isProgram);
  if (programs.length > 0) {
    const results = runProgramsBench(programs, opts.reps);
    console.log(`\n${programsTable(results)}`);
    console.log('real programs as a user runs them: wall time of the whole process (start-up and, cold, the module transform');
    console.log('on an empty cache, once), ratios in the same run; peak RSS = the largest process of the run');
    failed.push(...programFailures(results));
  }
  if (opts.only === undefined || opts.only.includes('density')) {
    const density = runDensityBench(opts.reps);
    console.log(`\n${densityTable(density)}`);
    console.log('a detached pod of guests/ticker asleep (a tick a minute), 2 s after its first tick: its sandbox\'s VmRSS and');
    console.log('PSS (the node binary\'s shared pages divided among the processes that map them)');
    failed.push(...densityFailures(density));
  }
  if (opts.only === undefined || opts.only.includes('compression')) console.log(`\n${compressionTable(await runCompressionBench(opts.reps))}`);
  if (opts.only === undefined || opts.only.includes('containerd')) console.log(`\n${await runContainerdBench(opts.reps)}`);
  console.log(failed.length === 0 ? '\nall targets met' : `\nmissed: ${failed.join(', ')}`);
  return 0;
}

process.exitCode = await main();
