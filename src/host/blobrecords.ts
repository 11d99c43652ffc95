// Records of the blob files this user's Amber wrote or hashed, as containerd verifies a blob once, as it
// enters its content store, and git's index trusts a file whose stat is unchanged: one small file per
// file identity, <cache>/amber/verified/<dev>-<ino>, holding the blob's hex, size, mtime and birth time in
// ns. A restore reads a memory part that has one unhashed (image/blobs.ts). Not ctime (git's
// core.trustctime=false): every link and unlink moves it, and checkpoints link blobs and drop images. The
// birth time (statx; 0 where a filesystem has none) tells a new file in a reused inode from the one
// recorded even when a tool set its mtime to the old one's (tar, cp -p, rsync -t), and no one can set it.
// The folder is kept small as a cache is (prune): records age out and the oldest go past a count.
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync, type BigIntStats } from 'node:fs';
import { lstat, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A file modified less than this before it is recorded (or opened, for a restore's record) is not: a
 * change within the same tick of the clock that stamps mtime would leave it as it was (git's "racily
 * clean" entries).
 */
export const RACY_NS = 100_000_000n;

/** A record written longer ago than this is removed (prune): the blob is hashed again by its next restore, which records it anew. */
export const RECORD_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** The most records kept: prune removes the oldest past it (each vouches for a blob of 64 KiB or more, most of 4 MiB). */
export const RECORDS_MAX = 20_000;
/** How often the folder is pruned, whichever process's turn it is: the stamp file's mtime says when it last was. */
const PRUNE_EVERY_MS = 3600 * 1000;
/** A temporary record left by a writer that died is removed once it is this old. */
const LEFTOVER_MS = 3600 * 1000;
const STAMP = '.pruned';

/** The most of a record read: "<64 hex> <size> <mtime ns> <birth ns>\n" is under 130 bytes. */
const RECORD_MAX = 160;

/** The part of a file's stat a record holds and a reader compares: device, inode, size, mtime, birth time. */
export function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.birthtimeNs === b.birthtimeNs;
}

/** The wall clock in ns, as mtime is stamped. */
export function wallNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function recordText(hex: string, st: BigIntStats): string {
  return `${hex} ${st.size} ${st.mtimeNs} ${st.birthtimeNs}\n`;
}

/**
 * The records folder: read by a restore's store, written by a checkpoint's and a restore's. A record is
 * written whole under a temporary name and renamed (concurrent writers can only lose one, which means a
 * hash again); one that cannot be read or says anything else is no record; a folder that cannot be
 * made means no records, not an error.
 */
export class BlobRecords {
  readonly dir: string;
  /** Whether dir exists (made once, when the first record is written); false: records are not kept. */
  #made: boolean | null = null;
  /** prune() is started once, by this instance's first record. */
  #pruneStarted = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(st: BigIntStats): string {
    return join(this.dir, `${st.dev}-${st.ino}`);
  }

  /** Whether the record of the file st is the stat of says it holds blob hex, at st's size, mtime and birth time. */
  vouches(st: BigIntStats, hex: string): boolean {
    let fd: number;
    try {
      fd = openSync(this.#path(st), 'r');
    } catch {
      return false;
    }
    try {
      const buf = Buffer.alloc(RECORD_MAX);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return buf.toString('latin1', 0, n) === recordText(hex, st);
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Records that the file st is the stat of holds blob hex: 'racy' (not recorded) when its mtime is within
   * RACY_NS of now, 'refused' when the record could not be written.
   */
  record(st: BigIntStats, hex: string): 'recorded' | 'racy' | 'refused' {
    if (wallNs() - st.mtimeNs < RACY_NS) return 'racy';
    if (this.#made === null) {
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        this.#made = true;
      } catch {
        this.#made = false;
      }
    }
    if (!this.#made) return 'refused';
    if (!this.#pruneStarted) {
      this.#pruneStarted = true;
      this.prune().catch(() => {}); // a folder that cannot be pruned only grows
    }
    const to = this.#path(st);
    const tmp = `${to}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(tmp, recordText(hex, st), { flag: 'wx', mode: 0o600 });
      renameSync(tmp, to);
      return 'recorded';
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // a leftover temporary record is ignored like any garbled one
      }
      return 'refused';
    }
  }

  /**
   * Removes records older than RECORD_MAX_AGE_MS, temporary ones left by a writer that died, and the
   * oldest past RECORDS_MAX: at most once every PRUNE_EVERY_MS (the stamp file), off this thread's
   * way (the pool's). Resolves with how many it removed; 0 when it was not yet time. The limits are
   * given only by tests.
   */
  async prune({ now = Date.now(), max = RECORDS_MAX, maxAgeMs = RECORD_MAX_AGE_MS } = {}): Promise<number> {
    const stamp = join(this.dir, STAMP);
    const last = await stat(stamp).then((s) => s.mtimeMs, () => null);
    if (last !== null && Math.abs(now - last) < PRUNE_EVERY_MS) return 0; // a stamp far ahead (a clock set back) does not stop it for long
    await writeFile(stamp, '');
    await utimes(stamp, now / 1000, now / 1000);
    const kept: { name: string; mtimeMs: number }[] = [];
    let removed = 0;
    const remove = async (name: string): Promise<void> => {
      await rm(join(this.dir, name), { force: true });
      removed++;
    };
    for (const name of await readdir(this.dir)) {
      if (name === STAMP) continue;
      const s = await lstat(join(this.dir, name)).catch(() => null);
      if (s === null) continue;
      if (name.endsWith('.tmp')) {
        if (now - s.mtimeMs > LEFTOVER_MS) await remove(name);
      } else if (now - s.mtimeMs > maxAgeMs) {
        await remove(name);
      } else {
        kept.push({ name, mtimeMs: s.mtimeMs });
      }
    }
    kept.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { name } of kept.slice(0, Math.max(0, kept.length - max))) await remove(name);
    return removed;
  }
}
