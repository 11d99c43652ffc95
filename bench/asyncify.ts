// What the module transform (src/transform/) costs a compute guest: the raw module against the
// fuel checks alone, checks plus Asyncify (the module Amber runs), Amber's lean transform (the same
// protocol on raw bytes), checks plus Asyncify with Binaryen's optimizer after it, and Asyncify alone,
// each run to its end with no unwind (the preemption hook never asks to yield), in one process with
// V8's optimizing tier only (--no-liftoff, DESIGN.md §3); then what one block-and-resume cycle costs
// (Binaryen's Asyncify, then the lean transform). `checks+lean tracked` is the lean module with write
// tracking (transform/track.ts: every store marks its page), run without a Fiber (nothing unwinds).
// Not a test: it prints figures.
//   node --import tsx bench/asyncify.ts [--reps N] [--only sha256,lcg,fib,sort]
// Each figure is the fastest of N interleaved runs (default 7), in process CPU time, which a loaded
// machine disturbs far less than wall time; the wall-time ratio is printed beside it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import binaryen from 'binaryen';
import { FUEL_EXPORT, transformModule, transformModuleWithReport, type TransformOptions } from '../src/transform/transform.js';
import { TRACK_BASE_EXPORT } from '../src/wasi/transformed.js';
import { FakeWasi } from '../src/transform/testing/fixture.js';
import { Fiber, SUSPEND } from '../src/wasi/suspend.js';
import { findWasmOpt, wasmOptEngine } from '../src/host/wasmopt.js';
import { transformLean } from '../src/transform/lean/lean.js';
import { LeanUnsupported } from '../src/transform/lean/types.js';

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

const native = findWasmOpt();

/**
 * Each variant's options; `native` runs Asyncify with Debian's wasm-opt (what a pod gets where it is
 * installed); `lean` is Amber's own transform (transform/lean/, a fuel check at every loop head), never
 * Binaryen's in its place: a module it refuses fails the run.
 */
const VARIANTS: Record<string, (TransformOptions & { native?: boolean; lean?: boolean }) | null> = {
  raw: null,
  checks: { asyncify: false },
  'checks+asyncify': {},
  'checks+lean': { lean: true },
  'checks+lean tracked': { lean: true, trackWrites: true },
  ...(native !== null ? { 'checks+asyncify (wasm-opt)': { native: true } } : {}),
  'checks+asyncify O2 pipeline': { optimizeLevel: 2, optimizeAfter: true },
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
    // The raw module, the checks alone (no Asyncify, so no Fiber), or a tracked module (the wasi's pointers
    // are guest addresses, B up): preempt refills as a Fiber would.
    const instance: WebAssembly.Instance = new WebAssembly.Instance(module, {
      wasi_snapshot_preview1: wasi.imports() as unknown as WebAssembly.ModuleImports,
      amber: { preempt: () => void ((instance.exports[FUEL_EXPORT] as WebAssembly.Global).value = 16384) },
    });
    wasi.memory = instance.exports['memory'] as WebAssembly.Memory;
    wasi.base = (instance.exports[TRACK_BASE_EXPORT] as WebAssembly.Global | undefined)?.value ?? 0;
    start = instance.exports['_start'] as () => void;
  }
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  start();
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / 1000, wall, stdout: wasi.stdout };
}

/**
 * One block-and-resume cycle: a guest calls a suspending import in a loop (three frames deep); each
 * call unwinds, and resume() rewinds it with the result. Microseconds per cycle, and per call when the
 * import answers at once, in CPU time.
 */
function roundTrip(reserve: number, calls: number, lean: boolean): { cycle: number; direct: number } {
  const text = `(module (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32))) (memory (export "memory") 2)
    (global $sum (mut i32) (i32.const 0))
    (func $leaf (param i32) (result i32) (i32.add (local.get 0) (call $y)))
    (func $mid (param i32) (result i32) (i32.mul (call $leaf (local.get 0)) (i32.const 3)))
    (func (export "_start") (local $i i32)
      (loop $l (global.set $sum (i32.add (global.get $sum) (call $mid (local.get $i))))
        (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${calls})))))
    (func (export "sum") (result i32) (global.get $sum)))`;
  const mod = binaryen.parseText(text);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = lean ? transformLean(mod.emitBinary()).bytes : transformModule(mod.emitBinary());
  } finally {
    mod.dispose();
  }
  const module = new WebAssembly.Module(bytes);
  const time = (block: boolean): number => {
    const fiber = new Fiber(module, { wasi_snapshot_preview1: { sched_yield: () => (block ? SUSPEND : 1) } }, { reserve });
    const c0 = process.cpuUsage();
    let out = fiber.start();
    while (out.kind === 'suspended') out = fiber.resume({ value: 1 });
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / calls;
  };
  time(true); // warm up
  return { cycle: Math.min(time(true), time(true), time(true)), direct: Math.min(time(false), time(false), time(false)) };
}

/** The lean transform's module, or null (said on stdout) when it refuses the guest. */
function leanBytes(raw: Uint8Array, opts: TransformOptions): Uint8Array<ArrayBuffer> | null {
  try {
    return transformLean(raw, opts).bytes;
  } catch (e) {
    if (!(e instanceof LeanUnsupported)) throw e;
    console.log(`checks+lean: left out, ${e.message}`);
    return null;
  }
}

function main(): void {
  const { reps, only } = options();
  const raw = new Uint8Array(readFileSync(new URL('../guests/spin.wasm', import.meta.url)));
  const modules: Record<string, { module: WebAssembly.Module; fiber: boolean; size: number; ms: number }> = {};
  for (const [name, opts] of Object.entries(VARIANTS)) {
    const t = performance.now();
    const bytes =
      opts === null ? raw
      : opts.lean === true ? leanBytes(raw, opts)
      : opts.native === true && native !== null ? transformModuleWithReport(raw, { ...opts, engine: native.engine }, wasmOptEngine(native)).bytes
      : transformModuleWithReport(raw, opts).bytes;
    if (bytes === null) continue;
    modules[name] = { module: new WebAssembly.Module(bytes), fiber: opts !== null && opts.asyncify !== false && opts.trackWrites !== true, size: bytes.length, ms: performance.now() - t };
  }
  console.log(`guests/spin.wasm under each variant; fastest of ${reps} interleaved runs, CPU ms (wall ms); ratio to raw`);
  console.log(`code size: ${Object.entries(modules).map(([n, m]) => `${n} ${m.size} B${n !== 'raw' ? ` (transform ${m.ms.toFixed(0)} ms)` : ''}`).join(', ')}`);
  const ratios: Record<string, number[]> = {};
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
    for (const [name, b] of Object.entries(best)) (ratios[name] ??= []).push(b.cpu / base.cpu);
  }
  // Issue 9's target for the module a pod runs: geometric mean <= 1.15x raw, none above 1.3x.
  for (const [name, rs] of Object.entries(ratios)) {
    if (!name.startsWith('checks+')) continue;
    const geo = Math.exp(rs.reduce((a, r) => a + Math.log(r), 0) / rs.length);
    const max = Math.max(...rs);
    console.log(`${name}: geometric mean ${geo.toFixed(3)}x raw, worst ${max.toFixed(3)}x (target <= 1.15x, none above 1.3x: ${geo <= 1.15 && max <= 1.3 ? 'met' : 'MISSED'})`);
  }
  for (const lean of [false, true]) {
    for (const reserve of [65536, 4096]) {
      const r = roundTrip(reserve, 100000, lean);
      console.log(`suspend${lean ? ' (lean)' : ''}: unwind + rewind through 3 frames ${r.cycle.toFixed(2)} µs a cycle (Asyncify buffer ${reserve / 1024} KiB); an import answering at once ${r.direct.toFixed(2)} µs a call`);
    }
  }
}

main();
