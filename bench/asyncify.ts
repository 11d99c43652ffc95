// What the module transform (src/wasi/asyncify.ts) costs a compute guest: the raw module against the
// fuel checks alone and against checks plus Asyncify, each run to its end with no unwind (the
// preemption hook never asks to yield), in one process with V8's optimizing tier only (--no-liftoff,
// DESIGN.md §3). Not a test: it prints figures.
//   node --import tsx bench/asyncify.ts [--reps N] [--only sha256,lcg,fib,sort]
// Each figure is the fastest of N interleaved runs (default 7), in process CPU time, which a loaded
// machine disturbs far less than wall time; the wall-time ratio is printed beside it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FUEL_EXPORT, transformModuleWithReport, type TransformOptions } from '../src/wasi/asyncify.js';
import { FakeWasi } from '../src/wasi/asyncify_fixture.test.js';
import { Fiber } from '../src/wasi/suspend.js';

if (!process.execArgv.includes('--no-liftoff')) {
  // Guests must compile with the optimizing tier from the start: re-run this file under the flag.
  const r = spawnSync(process.execPath, ['--no-liftoff', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const WORKLOADS: Record<string, string[]> = {
  sha256: ['sha256', '16'],
  lcg: ['lcg', '400000000'],
  fib: ['fib', '32'],
  sort: ['sort', '1000000'],
};

const VARIANTS: Record<string, TransformOptions | null> = {
  raw: null,
  checks: { asyncify: false },
  'checks+asyncify': {},
  'asyncify alone': { preempt: false },
};

function options(): { reps: number; only: string[] } {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '7' }, only: { type: 'string' } } });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${values.reps}`);
  const only = values.only?.split(',') ?? Object.keys(WORKLOADS);
  for (const w of only) if (!(w in WORKLOADS)) throw new Error(`--only: unknown workload ${w}; expected ${Object.keys(WORKLOADS).join(', ')}`);
  return { reps, only };
}

/** One run to the end: CPU and wall milliseconds of _start, and what the guest printed. */
function run(module: WebAssembly.Module, fiber: boolean, args: string[]): { cpu: number; wall: number; stdout: string } {
  const wasi = new FakeWasi({ args, blocking: false });
  let start: () => unknown;
  if (fiber) {
    const f = new Fiber(module, { wasi_snapshot_preview1: wasi.imports() });
    wasi.memory = f.memory;
    start = () => f.start();
  } else {
    // The raw module, or the checks alone (no Asyncify, so no Fiber): preempt refills as a Fiber would.
    const instance: WebAssembly.Instance = new WebAssembly.Instance(module, {
      wasi_snapshot_preview1: wasi.imports() as unknown as WebAssembly.ModuleImports,
      amber: { preempt: () => void ((instance.exports[FUEL_EXPORT] as WebAssembly.Global).value = 16384) },
    });
    wasi.memory = instance.exports['memory'] as WebAssembly.Memory;
    start = instance.exports['_start'] as () => void;
  }
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  start();
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / 1000, wall, stdout: wasi.stdout };
}

function main(): void {
  const { reps, only } = options();
  const raw = new Uint8Array(readFileSync(new URL('../guests/spin.wasm', import.meta.url)));
  const modules: Record<string, { module: WebAssembly.Module; fiber: boolean; size: number; ms: number }> = {};
  for (const [name, opts] of Object.entries(VARIANTS)) {
    const t = performance.now();
    const bytes = opts === null ? raw : transformModuleWithReport(raw, opts).bytes;
    modules[name] = { module: new WebAssembly.Module(bytes), fiber: opts !== null && opts.asyncify !== false, size: bytes.length, ms: performance.now() - t };
  }
  console.log(`guests/spin.wasm under each variant; fastest of ${reps} interleaved runs, CPU ms (wall ms); ratio to raw`);
  console.log(`code size: ${Object.entries(modules).map(([n, m]) => `${n} ${m.size} B${n !== 'raw' ? ` (transform ${m.ms.toFixed(0)} ms)` : ''}`).join(', ')}`);
  for (const w of only) {
    const args = WORKLOADS[w]!;
    const best: Record<string, { cpu: number; wall: number }> = {};
    let want: string | undefined;
    for (let i = 0; i < reps; i++) {
      for (const [name, m] of Object.entries(modules)) {
        const r = run(m.module, m.fiber, args);
        want ??= r.stdout;
        if (r.stdout !== want) throw new Error(`${name} printed ${JSON.stringify(r.stdout)}, raw printed ${JSON.stringify(want)}`);
        const b = (best[name] ??= { cpu: Infinity, wall: Infinity });
        b.cpu = Math.min(b.cpu, r.cpu);
        b.wall = Math.min(b.wall, r.wall);
      }
    }
    const base = best['raw']!;
    const cells = Object.entries(best).map(
      ([name, b]) => `${name} ${b.cpu.toFixed(1)} (${b.wall.toFixed(1)}) ${(b.cpu / base.cpu).toFixed(3)}x (wall ${(b.wall / base.wall).toFixed(3)}x)`,
    );
    console.log(`${w.padEnd(7)} spin ${args.join(' ')}: ${cells.join(' | ')}`);
  }
}

main();
