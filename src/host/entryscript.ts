// Where a process or worker thread Amber starts finds its script, as a runtime finds its shim binary:
// the bundle's copy (dist/bundle/NAME.js, made by scripts/bundle.mjs: one file to load, not a graph of
// ~130 modules) when the build made one, else tsc's module under dist/. The same from dist/host/, from a
// chunk of the bundle (both one folder under dist/) and from source (src/host/, tests through tsx).
// A sandbox starts from its V8 startup snapshot instead (sandbox/snapshot.ts) when the build made one for
// this very node and the V8 flags it is started with: V8 refuses any other (node exits 14).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The scripts Amber starts, and each one's module as tsc builds it (relative to dist/). */
const UNBUNDLED = {
  sandbox: 'sandbox/start.js',
  relay: 'sandbox/relay.js',
  transformworker: 'host/transformworker.js',
} as const;

export type EntryScript = keyof typeof UNBUNDLED;

/** The sandbox's snapshot and the file saying what it was built for, as scripts/bundle.mjs writes them. */
const SNAPSHOT = 'bundle/sandbox.blob';
const SNAPSHOT_FACTS = 'bundle/sandbox.blob.json';
/** The script the snapshot was built from: paths derived from it (import.meta.url) are frozen into it. */
const SNAPSHOT_SCRIPT = 'bundle/sandbox-snapshot.cjs';

/** What a snapshot was built by and for: it fits only a process started the same way. */
export interface SnapshotFacts {
  node: string;
  execPath: string;
  arch: string;
  /** The V8 flags node was given (they are part of the snapshot). */
  flags: string[];
  /** The script it was built from, where it is now: a package moved elsewhere needs a new snapshot. */
  script: string;
}

function distDir(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/', here) : new URL('../', here);
}

/** The path of the script to start for name. */
export function entryScript(name: EntryScript): string {
  const dist = distDir();
  const bundled = new URL(`bundle/${name}.js`, dist);
  return fileURLToPath(existsSync(bundled) ? bundled : new URL(UNBUNDLED[name], dist));
}

/** The snapshots built with V8 flags: the sandbox's, and the command's for a foreground pod (cli-pod.blob). */
export type FlaggedSnapshot = 'sandbox' | 'cli-pod';

/** Each one's blob, the script it is built from (frozen paths come from there), and the facts file. */
const FLAGGED: Record<FlaggedSnapshot, { blob: string; script: string; facts: string }> = {
  sandbox: { blob: SNAPSHOT, script: SNAPSHOT_SCRIPT, facts: SNAPSHOT_FACTS },
  'cli-pod': { blob: 'bundle/cli-pod.blob', script: 'bundle/cli-snapshot.cjs', facts: 'bundle/cli-pod.blob.json' },
};

/** The facts of the process about to be started with flags from snapshot `of`: this node, its flags. */
export function snapshotFacts(flags: readonly string[], of: FlaggedSnapshot = 'sandbox'): SnapshotFacts {
  return { node: process.version, execPath: process.execPath, arch: process.arch, flags: [...flags], script: fileURLToPath(new URL(FLAGGED[of].script, distDir())) };
}

/** Whether a snapshot built as built says fits a process started as want says. */
export function snapshotFits(built: unknown, want: SnapshotFacts): boolean {
  if (typeof built !== 'object' || built === null) return false;
  const b = built as Partial<Record<keyof SnapshotFacts, unknown>>;
  return b.node === want.node && b.execPath === want.execPath && b.arch === want.arch && b.script === want.script &&
    Array.isArray(b.flags) && b.flags.length === want.flags.length && b.flags.every((f, i) => f === want.flags[i]);
}

/** What the build wrote about its snapshot; null when it wrote nothing readable (tsc's modules alone). */
function builtFacts(file: URL): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * What node is given after its V8 flags to start a sandbox: `--snapshot-blob FILE` when the build made a
 * snapshot that fits (snapshot: true) and useSnapshot, else the sandbox's script.
 */
export function sandboxEntry(flags: readonly string[], useSnapshot = true): { args: string[]; snapshot: boolean } {
  const dist = distDir();
  const blob = fileURLToPath(new URL(SNAPSHOT, dist));
  if (useSnapshot && existsSync(blob) && snapshotFits(builtFacts(new URL(SNAPSHOT_FACTS, dist)), snapshotFacts(flags))) return { args: ['--snapshot-blob', blob, '--'], snapshot: true };
  return { args: [entryScript('sandbox')], snapshot: false };
}

/**
 * What node is given after its V8 flags to run the command again for a foreground pod (cli/reexec.ts)
 * from the command's snapshot built with those flags (cli-pod.blob: the stack's), when it fits; else null
 * (then the command's script runs). The same snapshot as bin/amber's cli.blob, built again under the
 * flags, which V8 requires to be those it is started with.
 */
export function foregroundPodSnapshot(flags: readonly string[]): string[] | null {
  const dist = distDir();
  const blob = fileURLToPath(new URL(FLAGGED['cli-pod'].blob, dist));
  if (!existsSync(blob) || !snapshotFits(builtFacts(new URL(FLAGGED['cli-pod'].facts, dist)), snapshotFacts(flags, 'cli-pod'))) return null;
  return ['--snapshot-blob', blob, '--'];
}
