// Setting up what the figures need on the host: fresh directories for node:wasi's "tmpfs" and for the
// host-directory runs, the native build of the sha256 guest, and a probe that tells whether Amber's
// --dir is a real host directory yet (until src/fsimpl/hostdir lands it mounts an empty tmpfs).
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
  const shm = isWritableDir(SHM);
  const nodeTmpfs = mkdtempSync(join(shm ? SHM : tmpdir(), 'amber-bench-'));
  const hostDir = mkdtempSync(join(tmpdir(), 'amber-bench-host-'));
  const nativeSha = buildNativeSha();
  const notes = [
    `node:wasi "tmpfs" runs use ${nodeTmpfs}${shm ? ' (a real tmpfs)' : ' (no writable /dev/shm: the temp dir instead)'}`,
    `host dir runs use ${hostDir}, at ${GUEST_DIR} in the guest`,
    nativeSha === undefined ? 'gcc not found: no native baseline' : `native baseline: gcc -O2 guests/bench_sha256.c`,
  ];
  const cleanup = (): void => {
    rmSync(nodeTmpfs, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
  };
  return { nodeTmpfs, hostDir, ...(nativeSha === undefined ? {} : { nativeSha }), cleanup, notes };
}

/** Writes one 16-byte record through `amber do --dir` and looks for it on the host. */
export function hostDirIsReal(hostDir: string): boolean {
  const probe = join(hostDir, 'probe');
  measure(amberCommand(guest('bench_write'), [`${GUEST_DIR}/probe`, '1', '16'], [{ host: hostDir, guest: GUEST_DIR }]));
  const real = existsSync(probe) && statSync(probe).size === 16;
  rmSync(probe, { force: true });
  return real;
}
