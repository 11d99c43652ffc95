// Helpers for the end-to-end pod tests (pods.test.ts, seeds.test.ts): `amber` run asynchronously (so
// tests in one file can run concurrently), a scratch folder with its own --root whose pods are deleted
// with `delete --force` when the test ends, manifests, trigger and verdict files the guests share with the
// test through a hostPath volume (guests/e2e.h), and image fingerprints.
import assert from 'node:assert/strict';
import { spawn, type StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { amberBin, guest, repo, scratch } from './cli.js';

export { guest };

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Host stdio of the command beyond 0-2 (e.g. extra pipes); stdin is always ignored. */
  stdio?: StdioOptions;
  timeoutMs?: number;
}

/** Runs `amber ARGS` to its end; a command still running after timeoutMs is killed and fails the test. */
export function runAmber(args: readonly string[], opts: RunOptions = {}): Promise<Result> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [amberBin, ...args], { cwd: repo, stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'] });
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

export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/**
 * Polls until cond() holds, every 20 ms (a cond that runs `amber` pays a process start per try, so an
 * async cond waits 100 ms between tries); fails naming what after timeoutMs.
 */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = cond();
    if (typeof r === 'boolean' ? r : await r) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(typeof r === 'boolean' ? 20 : 100);
  }
}

/** A verdict file a guest writes in one write at its end: "OK ..." (returned) or "FAIL ..." (fails). */
export async function verdict(path: string, timeoutMs = 30_000): Promise<string> {
  let text = '';
  await until(`the verdict ${path}`, () => {
    text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    return text.endsWith('\n');
  }, timeoutMs);
  assert.match(text, /^OK /, text);
  return text.trim();
}

/** Every file of an image (relative path → sha256), to prove it was not changed. */
export function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true })) {
    const p = join(dir, String(f));
    out[relative(dir, p)] = statSync(p).isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
  }
  return out;
}

/** The image's blobs, largest first, as [digest hex, path]. */
export function blobs(image: string): Array<[string, string]> {
  const dir = join(image, 'blobs', 'sha256');
  return readdirSync(dir)
    .map((d): [string, string] => [d, join(dir, d)])
    .sort((a, b) => statSync(b[1]).size - statSync(a[1]).size);
}

/** The counter lines of a stream ("5" or "NAME | 5"). */
export function numbers(text: string, name?: string): number[] {
  const re = name === undefined ? /^(?:[\w.-]+ \| )?(\d+)$/ : new RegExp(`^${name} \\| (\\d+)$`);
  return text.split('\n').flatMap((l) => {
    const m = re.exec(l);
    return m?.[1] !== undefined ? [Number(m[1])] : [];
  });
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Exit 1 with exactly one line on stderr and no stack trace; the line. */
export function userError(r: Result, what: string): string {
  assert.equal(r.code, 1, `${what}: expected exit 1, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `${what}: expected one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: a stack trace`);
  return lines[0] ?? '';
}

export interface Container {
  name: string;
  guest: string;
  args: string[];
  mounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

export type Volume = { name: string; emptyDir: Record<string, never> } | { name: string; hostPath: { path: string } };

/** A Kubernetes Pod manifest (JSON is YAML) in dir; its path. */
export function manifest(dir: string, file: string, name: string, containers: Container[], volumes: Volume[], extra: Record<string, unknown> = {}): string {
  const path = join(dir, file);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...extra,
      containers: containers.map((c) => ({ name: c.name, image: guest(c.guest), args: c.args, volumeMounts: c.mounts ?? [] })),
      volumes,
    },
  };
  writeFileSync(path, JSON.stringify(pod, null, 1));
  return path;
}

/**
 * A test's scratch folder and state root; `close()` deletes its pods (in every root it used) with
 * `delete --force`, then the folder unless AMBER_E2E_KEEP is set.
 */
export class Sandbox {
  readonly dir: string;
  readonly root: string;
  readonly #roots = new Set<string>();

  constructor(prefix = 'amber-e2e-') {
    this.dir = scratch(prefix);
    this.root = join(this.dir, 'root');
    this.#roots.add(this.root);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** `amber --root ROOT ARGS` (another root with `root`). */
  amber(args: readonly string[], opts: RunOptions & { root?: string } = {}): Promise<Result> {
    const root = opts.root ?? this.root;
    this.#roots.add(root);
    return runAmber(['--root', root, ...args], opts);
  }

  /** Like amber(), but fails the test unless it exits 0. */
  async ok(args: readonly string[], opts: RunOptions & { root?: string } = {}): Promise<Result> {
    const r = await this.amber(args, opts);
    assert.equal(r.code, 0, `amber ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r;
  }

  /** The JSON an `amber` command prints (`state`, `list --json`); fails the test unless it exits 0. */
  async json<T>(args: readonly string[], opts: RunOptions & { root?: string } = {}): Promise<T> {
    return JSON.parse((await this.ok(args, opts)).stdout) as T;
  }

  async close(): Promise<void> {
    for (const root of this.#roots) {
      const pods = join(root, 'pods');
      if (!existsSync(pods)) continue;
      for (const id of readdirSync(pods)) await runAmber(['--root', root, 'delete', '--force', id]);
    }
    if (process.env['AMBER_E2E_KEEP'] === undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs fn with a fresh Sandbox, closing it whatever happens. */
export async function withSandbox(fn: (s: Sandbox) => Promise<void>): Promise<void> {
  const s = new Sandbox();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}
