// The ways the benchmark runs a program (Amber, node:wasi, wasmtime, native), each as a host command
// line, and running one to a Sample: the guest's own figures for its inner loop (it prints `elapsed_ns N`
// and `cpu_ns N`) and the whole-process wall time measured here around the child.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;

export interface Command {
  file: string;
  args: string[];
  /** What the table calls it ("amber", "node:wasi", "native gcc -O2"). */
  label: string;
}

export interface Sample {
  /** The guest's CLOCK_MONOTONIC time for its inner loop. */
  innerNs: number;
  /** The same loop in CLOCK_PROCESS_CPUTIME_ID: every thread's CPU, not time spent waiting for one. */
  cpuNs: number;
  /** Spawn to exit of the whole process, start-up included. */
  wallNs: number;
  stdout: string;
}

/** A host directory a guest sees at guestPath (`--dir HOST:GUEST`, or a node:wasi preopen). */
export interface DirMap {
  host: string;
  guest: string;
}

/** `amber do [--dir HOST:GUEST]... -- prog.wasm args`, through the installed bin as a user runs it. */
export function amberCommand(wasm: string, args: string[], dirs: DirMap[] = []): Command {
  const dirFlags = dirs.flatMap((d) => ['--dir', `${d.host}:${d.guest}`]);
  return { label: 'amber', file: join(ROOT, 'node_modules/.bin/amber'), args: ['do', ...dirFlags, '--', wasm, ...args] };
}

/**
 * The module under node's own node:wasi in a child node. --no-turbo-fast-api-calls keeps node 20's
 * fd_write from crashing (DESIGN.md §3); `liftoff: false` adds --no-liftoff, as Amber compiles guests.
 * The runner is plain JavaScript passed with -e so no TypeScript loader adds to its start-up time.
 */
export function nodeWasiCommand(wasm: string, args: string[], dirs: DirMap[], opts: { liftoff: boolean }): Command {
  const flags = ['--no-turbo-fast-api-calls', '--no-warnings', ...(opts.liftoff ? [] : ['--no-liftoff'])];
  const preopens = Object.fromEntries(dirs.map((d) => [d.guest, d.host]));
  return {
    label: opts.liftoff ? 'node:wasi (default)' : 'node:wasi',
    file: process.execPath,
    args: [...flags, '--input-type=module', '-e', NODE_WASI_RUNNER, wasm, JSON.stringify(preopens), ...args],
  };
}

/** process.argv: [node, wasm, preopens as JSON, ...guest args]; exits with the guest's code. */
const NODE_WASI_RUNNER = `
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const [wasm, preopens, ...args] = process.argv.slice(1);
const wasi = new WASI({ version: 'preview1', args: [wasm, ...args], env: {}, preopens: JSON.parse(preopens), returnOnExit: true });
const instance = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(wasm)), { wasi_snapshot_preview1: wasi.wasiImport });
process.exitCode = wasi.start(instance);
`;

export function nativeCommand(bin: string, args: string[]): Command {
  return { label: 'native gcc -O2', file: bin, args };
}

/**
 * The module under wasmtime's own WASI (the `wasmtime` Python package, `pip install wasmtime`), compiled
 * by Cranelift when it starts. Only where bench/places.ts found the package.
 */
export function wasmtimeCommand(wasm: string, args: string[], dirs: DirMap[]): Command {
  const preopens = Object.fromEntries(dirs.map((d) => [d.guest, d.host]));
  return { label: 'wasmtime', file: 'python3', args: ['-c', WASMTIME_RUNNER, wasm, JSON.stringify(preopens), ...args] };
}

/** sys.argv: [-c, wasm, preopens as JSON, ...guest args]; exits with the guest's code. */
const WASMTIME_RUNNER = `
import json, sys
from wasmtime import Engine, ExitTrap, Linker, Module, Store, WasiConfig
wasm, preopens, *args = sys.argv[1:]
engine = Engine()
linker = Linker(engine)
linker.define_wasi()
cfg = WasiConfig()
cfg.argv = [wasm, *args]
cfg.inherit_stdout()
cfg.inherit_stderr()
for guest, host in json.loads(preopens).items():
    cfg.preopen_dir(host, guest)
store = Store(engine)
store.set_wasi(cfg)
instance = linker.instantiate(store, Module.from_file(engine, wasm))
code = 0
try:
    instance.exports(store)["_start"](store)
except ExitTrap as e:
    code = e.code
sys.exit(code)
`;

/**
 * Runs cmd to completion; throws with its stderr unless it exits 0 and (for an inner-loop figure, the
 * default) prints both figures. A whole-process figure has NaN for them.
 */
export function measure(cmd: Command, opts: { inner: boolean } = { inner: true }): Sample {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd.file, cmd.args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const wallNs = Number(process.hrtime.bigint() - t0);
  if (r.error) throw r.error;
  const inner = /^elapsed_ns (\d+)$/m.exec(r.stdout);
  const cpu = /^cpu_ns (\d+)$/m.exec(r.stdout);
  if (r.status !== 0 || (opts.inner && (inner === null || cpu === null))) {
    const why = r.status !== 0 ? `exited ${r.status ?? r.signal}` : 'printed no elapsed_ns and cpu_ns lines';
    throw new Error(`${cmd.label} ${why}: ${[cmd.file, ...cmd.args].filter((a) => !a.includes('\n')).join(' ')}\n${r.stderr}`);
  }
  return { innerNs: inner === null ? NaN : Number(inner[1]), cpuNs: cpu === null ? NaN : Number(cpu[1]), wallNs, stdout: r.stdout };
}
