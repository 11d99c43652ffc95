// What the benchmark measures: each figure is one guest run the same way under Amber and under a
// baseline (node:wasi, or the same C built natively), with the ratio amber/baseline it should meet.
// Guests see the same paths everywhere: the file lives in GUEST_DIR, which is Amber's root tmpfs, a
// host directory Amber mounts with --dir, or (node:wasi's only option) a preopened real directory.
import { join } from 'node:path';
import { amberCommand, nativeCommand, nodeWasiCommand, ROOT, type Command, type DirMap, type Sample } from './commands.js';
import { realFigures } from './realfigures.js';

export const GUEST_DIR = '/tmp/bench';
export const WRITES = 200_000;
export const WRITE_SIZE = 16;
export const OPENS = 100_000;
export const STATS = 100_000;
export const SHA_MIB = 64;

/**
 * Pass when amber/baseline is at most maxRatio (an inner-loop figure), or, for a whole-process figure,
 * when amber's wall time exceeds the baseline's by at most maxExtraMs.
 */
export type Target = { maxRatio: number; text: string } | { maxExtraMs: number; text: string };

export interface Figure {
  /** Short id for --only. */
  id: string;
  title: string;
  amber: Command;
  baseline: Command;
  target?: Target;
  /** Operations in the inner loop, for a per-operation cost. */
  ops?: number;
  /** Something every run's output must show (the same digest everywhere). */
  check?: (s: Sample) => string | undefined;
  /** Judged on whole-process wall time (start-up included); the guest prints no inner figures. */
  whole?: true;
}

/** Where the runs keep their files on the host. */
export interface Places {
  /** node:wasi's stand-in for a tmpfs: a fresh directory on a real tmpfs (/dev/shm) if there is one. */
  nodeTmpfs: string;
  /** A fresh directory on the host's disk, given to Amber with --dir and to node:wasi as a preopen. */
  hostDir: string;
  /** The natively built sha256 guest, when gcc is there. */
  nativeSha?: string;
  /** A fresh directory on a real tmpfs (/dev/shm) if there is one: a host directory with no disk in it. */
  shmDir: string;
  /** build/sqlite/sqlite_bench.wasm (scripts/build-sqlite.mjs). */
  sqlite: string;
  /** Whether the wasmtime Python package is there (`pip install wasmtime`). */
  wasmtime: boolean;
}

export function guest(name: string): string {
  return join(ROOT, 'guests', `${name}.wasm`);
}

/** fd_write, path_open+fd_close and stat, each on Amber's root tmpfs and on a host directory. */
function ioFigures(p: Places): Figure[] {
  const amber = amberCommand;
  // node:wasi with --no-liftoff, as Amber runs guests, so only the syscall paths differ.
  const nodeWasi = (wasm: string, args: string[], dirs: DirMap[]): Command => nodeWasiCommand(wasm, args, dirs, { liftoff: false });
  const hostMap: DirMap[] = [{ host: p.hostDir, guest: GUEST_DIR }];
  const tmpMap: DirMap[] = [{ host: p.nodeTmpfs, guest: GUEST_DIR }];
  const write = guest('bench_write');
  const writeArgs = [`${GUEST_DIR}/f`, String(WRITES), String(WRITE_SIZE)];
  const open = guest('bench_open');
  const openArgs = [GUEST_DIR, String(OPENS)];
  const stat = guest('bench_stat');
  const statArgs = (how: 'path' | 'fd'): string[] => [GUEST_DIR, String(STATS), how];
  return [
    {
      id: 'write-tmpfs', title: `fd_write ${WRITES / 1000}k×${WRITE_SIZE}B, tmpfs`, ops: WRITES,
      amber: amber(write, writeArgs, []), baseline: nodeWasi(write, writeArgs, tmpMap), target: { maxRatio: 1.0, text: '≤1.00×' },
    },
    {
      id: 'write-hostdir', title: `fd_write ${WRITES / 1000}k×${WRITE_SIZE}B, host dir`, ops: WRITES,
      amber: amber(write, writeArgs, hostMap), baseline: nodeWasi(write, writeArgs, hostMap), target: { maxRatio: 1.5, text: '≤1.50×' },
    },
    {
      id: 'open-tmpfs', title: `path_open+fd_close ${OPENS / 1000}k, tmpfs`, ops: OPENS,
      amber: amber(open, openArgs, []), baseline: nodeWasi(open, openArgs, tmpMap),
    },
    {
      id: 'open-hostdir', title: `path_open+fd_close ${OPENS / 1000}k, host dir`, ops: OPENS,
      amber: amber(open, openArgs, hostMap), baseline: nodeWasi(open, openArgs, hostMap),
    },
    {
      id: 'stat-hostdir', title: `path_filestat_get ${STATS / 1000}k, host dir`, ops: STATS,
      amber: amber(stat, statArgs('path'), hostMap), baseline: nodeWasi(stat, statArgs('path'), hostMap), target: { maxRatio: 1.2, text: '≤1.20×' },
    },
    {
      id: 'fstat-hostdir', title: `fd_filestat_get ${STATS / 1000}k, host dir`, ops: STATS,
      amber: amber(stat, statArgs('fd'), hostMap), baseline: nodeWasi(stat, statArgs('fd'), hostMap), target: { maxRatio: 1.2, text: '≤1.20×' },
    },
    {
      id: 'stat-tmpfs', title: `path_filestat_get ${STATS / 1000}k, tmpfs`, ops: STATS,
      amber: amber(stat, statArgs('path'), []), baseline: nodeWasi(stat, statArgs('path'), tmpMap),
    },
  ];
}

/**
 * sha256 in two shapes (guests/bench_sha256.c): "flat", one long call that V8 can never tier up, is
 * the case the ≥8× target is about (DESIGN.md §3); "calls", one call per block, lets node:wasi's
 * Liftoff code tier up by itself, so there the gap is V8's tiering delay only and carries no target.
 */
function computeFigures(p: Places): Figure[] {
  const wasm = guest('bench_sha256');
  const calls = [String(SHA_MIB), 'calls'];
  const flat = [String(SHA_MIB), 'flat'];
  const check = shaCheck();
  const out: Figure[] = [
    {
      id: 'sha256-flat-nodewasi', title: `sha256 ${SHA_MIB} MiB, one call, vs node:wasi default`, check,
      amber: amberCommand(wasm, flat), baseline: nodeWasiCommand(wasm, flat, [], { liftoff: true }),
      target: { maxRatio: 1 / 8, text: '≥8× faster' },
    },
    {
      id: 'sha256-nodewasi', title: `sha256 ${SHA_MIB} MiB, per block, vs node:wasi default`, check,
      amber: amberCommand(wasm, calls), baseline: nodeWasiCommand(wasm, calls, [], { liftoff: true }),
    },
    {
      id: 'sha256-noliftoff', title: `sha256 ${SHA_MIB} MiB, per block, vs node:wasi --no-liftoff`, check,
      amber: amberCommand(wasm, calls), baseline: nodeWasiCommand(wasm, calls, [], { liftoff: false }),
    },
  ];
  if (p.nativeSha !== undefined) {
    out.push({
      id: 'sha256-native', title: `sha256 ${SHA_MIB} MiB, per block, vs native gcc -O2`, check,
      amber: amberCommand(wasm, calls), baseline: nativeCommand(p.nativeSha, calls), target: { maxRatio: 1 / 0.95, text: '≥0.95× native' },
    });
  }
  return out;
}

/** Every run must print the same digest as the first one seen. */
function shaCheck(): (s: Sample) => string | undefined {
  let first: string | undefined;
  return (s) => {
    const d = /^sha256 ([0-9a-f]{64})$/m.exec(s.stdout)?.[1];
    if (d === undefined) return 'printed no digest';
    first ??= d;
    return d === first ? undefined : `digest ${d} differs from ${first}`;
  };
}

export function allFigures(p: Places): Figure[] {
  return [...ioFigures(p), ...computeFigures(p), ...realFigures(p)];
}
