// Values computed from a file's bytes (a module file's sha256, a wasm-opt binary's release), remembered
// between commands by the file's identity and times, as git's index or Bazel's digest cache remember a
// file's hash: a warm `pod run` of yosys read and hashed its 30.8 MB (~37 ms) and ran `wasm-opt
// --version` (~12 ms) on every start only to find the cache key of a module the cache already held. Any
// change to a file gives it a new ctime (which the kernel sets, not the user), so a file whose device,
// inode, size, mtime and ctime (in ns) are those recorded holds the bytes the value was computed from.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, type BigIntStats } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * A file is remembered only once its times are this far in the past (git's "racily clean" rule): a write
 * in the same clock tick as the reading could leave mtime and ctime as they were.
 */
const SETTLED_NS = 2_000_000_000n;

/** What a memo is of: its entries' names differ by it. */
export type MemoKind = 'sha256' | 'wasm-opt-version' | 'validated';

/** The identity and times a remembered value holds for. */
function identity(s: BigIntStats): string {
  return [s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(':');
}

/** The entry for kind of the file at path: one small file named by the sha256 of both. */
function entryPath(dir: string, kind: MemoKind, path: string): string {
  return join(dir, `${createHash('sha256').update(`${kind}\0${resolve(path)}`).digest('hex')}.json`);
}

/** The file's stat (following symlinks), or null when it cannot be had; take it before reading the file. */
export function statForMemo(path: string): BigIntStats | null {
  try {
    return statSync(path, { bigint: true });
  } catch {
    return null;
  }
}

/**
 * The value of kind recorded in dir for the file at path, if the file is as it was read; else null. Given
 * the stat a caller took before it read the file, that is the identity checked.
 */
export function remembered(dir: string, kind: MemoKind, path: string, before?: BigIntStats | null): string | null {
  const s = before === undefined ? statForMemo(path) : before;
  if (s === null) return null;
  try {
    const e = JSON.parse(readFileSync(entryPath(dir, kind, path), 'utf8')) as { file?: unknown; value?: unknown };
    return e.file === identity(s) && typeof e.value === 'string' ? e.value : null;
  } catch {
    return null;
  }
}

/**
 * Records value as kind of the file at path, whose stat before it was read was `before` (statForMemo):
 * only if the file is unchanged since and settled (SETTLED_NS). A failed write only costs the next
 * command the work again.
 */
export function remember(dir: string, kind: MemoKind, path: string, before: BigIntStats, value: string): void {
  const now = statForMemo(path);
  if (now === null || identity(now) !== identity(before)) return;
  const wall = BigInt(Date.now()) * 1_000_000n;
  if (wall - now.mtimeNs < SETTLED_NS || wall - now.ctimeNs < SETTLED_NS) return;
  try {
    mkdirSync(dir, { recursive: true });
    const to = entryPath(dir, kind, path);
    const tmp = `${to}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ file: identity(now), value }));
    renameSync(tmp, to);
  } catch {
    // a cache that cannot be written only costs time
  }
}
