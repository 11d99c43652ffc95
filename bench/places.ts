// Setting up what the figures need on the host: fresh directories for node:wasi's "tmpfs" and for the
// host-directory runs (on disk, and on /dev/shm), the native build of the sha256 guest, the SQLite guest
// (scripts/build-sqlite.mjs: the bench fails saying why when it cannot be built, never runs without it),
// whether wasmtime is there, and a probe that tells whether Amber's --dir is a real host directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amberCommand, measure, ROOT } from './commands.js';
import { guest, GUEST_DIR, type Places } from './figures.js';

const SHM = '/dev/shm';

export function isWritableDir(path: string): boolean {
  try {
    const d = mkdtempSync(join(path, 'amber-bench-'));
    rmSync(d, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** build/sqlite/sqlite_bench.wasm, built if missing or stale; throws with the build script's reason. */
function buildSqlite(): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-sqlite.mjs')], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n').pop() ?? '';
  if (r.error !== undefined || r.status !== 0 || !existsSync(path)) {
    throw new Error(`the SQLite guest could not be built (npm run sqlite): ${r.error?.message ?? r.stderr.trim()}`);
  }
  return path;
}

function hasWasmtime(): boolean {
  return spawnSync('python3', ['-c', 'import wasmtime'], { encoding: 'utf8' }).status === 0;
}

/** Builds guests/bench_sha256.c natively into bench/out/; undefined without gcc. */
function buildNativeSha(): string | undefined {
  const out = join(ROOT, 'bench/out');
  mkdirSync(out, { recursive: true });
  const bin = join(out, 'bench_sha256');
  const r = spawnSync('gcc', ['-O2', '-o', bin, join(ROOT, 'guests/bench_sha256.c')], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return bin;
}

export function makePlaces(): Places & { cleanup: () => void; notes: string[] } {
  const sqlite = buildSqlite();
  const shm = isWritableDir(SHM);
  const nodeTmpfs = mkdtempSync(join(shm ? SHM : tmpdir(), 'amber-bench-'));
  const shmDir = mkdtempSync(join(shm ? SHM : tmpdir(), 'amber-bench-host-'));
  const hostDir = mkdtempSync(join(tmpdir(), 'amber-bench-host-'));
  const nativeSha = buildNativeSha();
  const wasmtime = hasWasmtime();
  const notes = [
    `node:wasi "tmpfs" runs use ${nodeTmpfs}${shm ? ' (a real tmpfs)' : ' (no writable /dev/shm: the temp dir instead)'}`,
    `host dir runs use ${hostDir}, at ${GUEST_DIR} in the guest; SQLite's use ${shmDir}, at /tmp`,
    nativeSha === undefined ? 'gcc not found: no native baseline' : `native baseline: gcc -O2 guests/bench_sha256.c`,
    wasmtime ? 'wasmtime: the Python package (its own WASI)' : 'wasmtime absent (pip install wasmtime): no wasmtime figures',
  ];
  const cleanup = (): void => {
    rmSync(nodeTmpfs, { recursive: true, force: true });
    rmSync(shmDir, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
  };
  return { nodeTmpfs, hostDir, shmDir, sqlite, wasmtime, ...(nativeSha === undefined ? {} : { nativeSha }), cleanup, notes };
}

/** Writes one 16-byte record through `amber do --dir` and looks for it on the host. */
export function hostDirIsReal(hostDir: string): boolean {
  const probe = join(hostDir, 'probe');
  measure(amberCommand(guest('bench_write'), [`${GUEST_DIR}/probe`, '1', '16'], [{ host: hostDir, guest: GUEST_DIR }]));
  const real = existsSync(probe) && statSync(probe).size === 16;
  rmSync(probe, { force: true });
  return real;
}
