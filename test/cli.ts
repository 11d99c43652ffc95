// Helpers for end-to-end tests: run the built `amber` command (bin/amber.js → dist/) as a user would.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = dirname(dirname(fileURLToPath(import.meta.url)));
export const amberBin = join(repo, 'bin', 'amber.js');

export function guest(name: string): string {
  return join(repo, 'guests', `${name}.wasm`);
}

export function scratch(prefix = 'amber-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function amber(args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [amberBin, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    cwd: opts.cwd ?? repo,
    env: opts.env ?? process.env,
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
