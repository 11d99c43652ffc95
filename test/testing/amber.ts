// The built `amber` command (bin/amber.js → dist/; `npm run build` first) run as a user runs it: to its
// end with spawnSync, or as a child process so that tests in one file can run concurrently; the guests
// in guests/; and the checks every end-to-end test makes of a command's exit and stderr.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const amberBin = join(repo, 'bin', 'amber.js');

/**
 * What commands left in the folder XDG_CACHE_HOME named, as <dir>/<entry>, but the records of verified
 * blobs (amber/verified: a restore writes them for the memory parts it hashed): a module transformed
 * shows as amber/modules.
 */
export function cacheBesidesRecords(cache: string): string[] {
  return readdirSync(cache).flatMap((d) => readdirSync(join(cache, d)).map((e) => `${d}/${e}`)).filter((e) => e !== 'amber/verified');
}

/** guests/NAME.wasm. */
export function guest(name: string): string {
  return join(repo, 'guests', `${name}.wasm`);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SyncOptions {
  /** Written to the command's stdin (default: nothing). */
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 60 s. */
  timeoutMs?: number;
}

/** Runs `amber ARGS` to its end (60 s at most unless told another limit). */
export function amber(args: string[], opts: SyncOptions = {}): RunResult {
  return runScript(amberBin, args, opts);
}

/** Runs `node SCRIPT ARGS` to its end (60 s at most), in the repository unless told another cwd. */
export function runScript(script: string, args: string[], opts: SyncOptions = {}): RunResult {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    cwd: opts.cwd ?? repo,
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs ?? 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface RunOptions {
  /** Host stdio of the command beyond 0-2 (e.g. extra pipes); stdin is always ignored. */
  stdio?: StdioOptions;
  timeoutMs?: number;
  /** The command's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** Runs `amber ARGS` without blocking; a command still running after timeoutMs is killed and fails the test. */
export function runAmber(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [amberBin, ...args], { cwd: repo, stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`amber ${args.join(' ')}: still running after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal !== null ? 128 : -1), stdout, stderr });
    });
  });
}

/** Fails the test unless the command exited 0; the result. */
export function succeeded(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Exit 1 with exactly one line on stderr and no stack trace; the line. */
export function userError(r: RunResult, what: string): string {
  assert.equal(r.code, 1, `${what}: expected exit 1, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `${what}: expected one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: a stack trace`);
  return lines[0] ?? '';
}
