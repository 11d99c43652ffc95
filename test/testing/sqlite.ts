// The SQLite guest (scripts/build-sqlite.mjs: SQLite's amalgamation from a pinned npm package and the
// driver guests/sqlite/sqlite_bench.c, built with the project's clang into build/sqlite/). A test that
// needs it fails with the script's reason (no clang, no package) rather than passing without it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './amber.js';

/** The path of build/sqlite/sqlite_bench.wasm, built first if missing or stale (~45 s the first time). */
export function sqliteGuest(): string {
  const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build-sqlite.mjs')], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  const path = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !path.endsWith('.wasm')) throw new Error(`the SQLite guest could not be built (npm run sqlite): ${r.stderr.trim()}`);
  return path;
}
