// The figures of real work: SQLite (scripts/build-sqlite.mjs, a real program nobody here wrote) running
// transactions on a host directory held in memory by the host (/dev/shm: no disk in the figure) and on
// Amber's own tmpfs, and the start-up of `amber do` (hello, and SQLite's 1 MB module doing 10
// transactions). The baseline is node:wasi as a user runs it (node's default tiers: Liftoff first, hot
// functions optimized later), and wasmtime beside it where its Python package is installed.
import { join } from 'node:path';
import { amberCommand, nodeWasiCommand, ROOT, wasmtimeCommand, type Command, type DirMap, type Sample } from './commands.js';
import type { Figure, Places } from './figures.js';

export const TRANSACTIONS = 2000;
/** Transactions run before the guest starts its clock: every path compiled, so the loop is the steady state. */
export const WARMUP = 200;
const START_TRANSACTIONS = 10;
const START_EXTRA_MS = 50;

/** Every run must end with the same `rows N sum S` line: the transactions all happened. */
function rowsCheck(n: number): (s: Sample) => string | undefined {
  const want = `rows ${n} sum ${(n * (n + 1)) / 2}`;
  return (s) => (new RegExp(`^${want}$`, 'm').test(s.stdout) ? undefined : `did not print "${want}"`);
}

export function realFigures(p: Places): Figure[] {
  const GUEST = '/tmp';
  const shm: DirMap[] = [{ host: p.shmDir, guest: GUEST }];
  const nodeWasi = (wasm: string, args: string[], dirs: DirMap[]): Command => nodeWasiCommand(wasm, args, dirs, { liftoff: true });
  const tx = [GUEST, String(TRANSACTIONS), '--warmup', String(WARMUP)];
  const check = rowsCheck(TRANSACTIONS + WARMUP);
  const hello = join(ROOT, 'guests/hello.wasm');
  const start = [GUEST, String(START_TRANSACTIONS)];
  const startText = `≤ +${START_EXTRA_MS} ms`;
  const figures: Figure[] = [
    {
      id: 'sqlite-hostdir', title: `SQLite ${TRANSACTIONS} transactions, host dir on tmpfs`, ops: TRANSACTIONS, check,
      amber: amberCommand(p.sqlite, tx, shm), baseline: nodeWasi(p.sqlite, tx, shm), target: { maxRatio: 1.0, text: '≤1.00×' },
    },
    {
      id: 'sqlite-tmpfs', title: `SQLite ${TRANSACTIONS} transactions, Amber's tmpfs vs node:wasi's host dir`, ops: TRANSACTIONS, check,
      amber: amberCommand(p.sqlite, tx), baseline: nodeWasi(p.sqlite, tx, shm), target: { maxRatio: 0.7, text: '≤0.70×' },
    },
    {
      id: 'start-hello', title: 'amber do hello, whole process', whole: true,
      amber: amberCommand(hello, []), baseline: nodeWasi(hello, [], []), target: { maxExtraMs: START_EXTRA_MS, text: startText },
    },
    {
      id: 'start-sqlite', title: `SQLite ${START_TRANSACTIONS} transactions, whole process`, whole: true, check: rowsCheck(START_TRANSACTIONS),
      amber: amberCommand(p.sqlite, start, shm), baseline: nodeWasi(p.sqlite, start, shm), target: { maxExtraMs: START_EXTRA_MS, text: startText },
    },
  ];
  if (p.wasmtime) {
    figures.push(
      {
        id: 'sqlite-hostdir-wasmtime', title: `SQLite ${TRANSACTIONS} transactions, host dir on tmpfs`, ops: TRANSACTIONS, check,
        amber: amberCommand(p.sqlite, tx, shm), baseline: wasmtimeCommand(p.sqlite, tx, shm),
      },
      {
        id: 'start-hello-wasmtime', title: 'amber do hello, whole process', whole: true,
        amber: amberCommand(hello, []), baseline: wasmtimeCommand(hello, [], []),
      },
    );
  }
  return figures;
}
