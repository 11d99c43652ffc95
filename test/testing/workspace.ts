// A test's workspace for pods: a scratch folder with its own state root (--root) that the test's pods
// live in. Closing it deletes every pod in every root it used with `amber delete --force`, so no sandbox
// process outlives the test, then the folder (kept when AMBER_E2E_KEEP is set, to look at after a failure).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { atEnd, makeScratch, removeScratch } from '../../src/host/testing/scratch.js';
import { runAmber, succeeded, type RunOptions, type RunResult } from './amber.js';

export class Workspace {
  readonly dir: string;
  /** The state root `amber()` passes as --root unless told another. */
  readonly root: string;
  readonly #roots = new Set<string>();

  /** A new folder <tmpdir>/amber-<name>-XXXXXX; whoever makes one must close() it (withWorkspace does). */
  constructor(name = 'e2e') {
    this.dir = makeScratch(name);
    this.root = join(this.dir, 'root');
    this.#roots.add(this.root);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** `amber --root ROOT ARGS` (another root with `root`, which close() then empties too). */
  amber(args: readonly string[], opts: RunOptions & { root?: string } = {}): Promise<RunResult> {
    const root = opts.root ?? this.root;
    this.#roots.add(root);
    return runAmber(['--root', root, ...args], opts);
  }

  /** Like amber(), but fails the test unless it exits 0. */
  async ok(args: readonly string[], opts: RunOptions & { root?: string } = {}): Promise<RunResult> {
    return succeeded(await this.amber(args, opts), `amber ${args.join(' ')}`);
  }

  /** The JSON an `amber` command prints (`state`, `list --json`); fails the test unless it exits 0. */
  async json<T>(args: readonly string[], opts: RunOptions & { root?: string } = {}): Promise<T> {
    return JSON.parse((await this.ok(args, opts)).stdout) as T;
  }

  /** Deletes the pods of every root used (`delete --force`, which ends their sandboxes), then the folder. */
  async close(): Promise<void> {
    for (const root of this.#roots) {
      const pods = join(root, 'pods');
      if (!existsSync(pods)) continue;
      for (const id of readdirSync(pods)) await runAmber(['--root', root, 'delete', '--force', id]);
    }
    if (process.env['AMBER_E2E_KEEP'] === undefined) removeScratch(this.dir);
  }
}

/**
 * A Workspace <tmpdir>/amber-<name>-XXXXXX, closed when t ends (without t: when the describe() or the
 * file ends), passed or failed.
 */
export function workspace(name: string, t?: TestContext): Workspace {
  const w = new Workspace(name);
  atEnd(t, () => w.close());
  return w;
}

/** Runs fn with a fresh Workspace, closing it whatever happens. */
export async function withWorkspace(fn: (w: Workspace) => Promise<void>): Promise<void> {
  const w = new Workspace();
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}
