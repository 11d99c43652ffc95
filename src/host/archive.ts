// Checkpoint archives, like `podman container checkpoint --export FILE.tar.gz` and the kubelet's
// checkpoint archives: an image directory (an OCI image layout) as one tar file, the same tar that
// skopeo's oci-archive: transport reads, optionally gzip- or zstd-compressed as a whole (by the file's
// name when written, by its first bytes when read). Tar is node-tar's; gzip node:zlib's; zstd is written
// as a run of independent frames (@bokuweb/zstd-wasm), which `zstd -d` reads, and read by fzstd's stream
// decoder, which reads any .zst. Only the layout's files come out of an archive: oci-layout, index.json
// and blobs/sha256/<hex>, regular files; anything else in it is refused, so no path outside is written.
import { createReadStream, createWriteStream, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import * as tar from 'tar';
import { AmberError, messageOf } from '../base/error.js';
import type { StoreCodec } from '../image/store.js';
import { zstdCodec } from './codecs.js';

export type ArchiveCompression = 'none' | 'gzip' | 'zstd';

/** How an archive's name says it is compressed: .tar, .tar.gz/.tgz, .tar.zst/.tzst; null for another name. */
export function compressionOfName(file: string): ArchiveCompression | null {
  if (/\.tar$/.test(file)) return 'none';
  if (/\.(tar\.gz|tgz)$/.test(file)) return 'gzip';
  if (/\.(tar\.zst|tzst)$/.test(file)) return 'zstd';
  return null;
}

/** The layout's files, in the order an archive holds them: oci-layout first (skopeo looks for it), then the index, then the blobs, sorted. */
function layoutFiles(dir: string): string[] {
  const blobs = readdirSync(join(dir, 'blobs', 'sha256')).sort();
  return ['oci-layout', 'index.json', 'blobs', 'blobs/sha256', ...blobs.map((b) => `blobs/sha256/${b}`)];
}

/** Bytes per zstd frame written: big enough for a good ratio, small enough to stream. */
const ZSTD_FRAME = 4 << 20;

/** A stream of zstd frames (codec's, at its level), one per ZSTD_FRAME bytes of input. */
function zstdFrames(codec: StoreCodec): Transform {
  let pending: Buffer[] = [];
  let size = 0;
  const flush = (t: Transform): void => {
    if (size === 0) return;
    t.push(Buffer.from(codec.compress(Buffer.concat(pending, size))));
    pending = [];
    size = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= ZSTD_FRAME) flush(this);
      done();
    },
    flush(done) {
      flush(this);
      done();
    },
  });
}

/**
 * Writes image directory dir as the archive file (compressed as its name says, or as `compression`),
 * whole or not at all: to FILE.tmp-<pid>, flushed to stable storage, renamed into place, the rename
 * flushed (what a user keeps is on disk when this returns); a failure leaves an earlier FILE as it was.
 */
export async function writeArchive(dir: string, file: string, compression: ArchiveCompression): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  mkdirSync(dirname(file), { recursive: true });
  try {
    const source = tar.c({ cwd: dir, portable: true, noDirRecurse: true, mtime: new Date(0), gzip: false }, layoutFiles(dir)) as unknown as Readable;
    const out = createWriteStream(tmp, { flags: 'wx' });
    if (compression === 'gzip') await pipeline(source, createGzip({ level: 1 }), out);
    else if (compression === 'zstd') await pipeline(source, zstdFrames(await zstdCodec()), out);
    else await pipeline(source, out);
    await syncPath(tmp);
    renameSync(tmp, file);
    await syncPath(dirname(file));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new AmberError(`${file}: cannot write the archive: ${messageOf(e)}`);
  }
}

/** fsync(2) of a file or a directory (which makes a rename in it durable). */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The first bytes of a gzip member and of a zstd frame. */
const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

async function firstBytes(file: string, n: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file, { start: 0, end: n - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const startsWith = (bytes: Uint8Array, magic: readonly number[]): boolean => magic.every((b, i) => bytes[i] === b);

/** fzstd's stream decoder as a Transform: any number of frames in, their bytes out. */
function zstdDecoder(): Transform {
  const out: Buffer[] = [];
  const decoder = new ZstdStream((data) => out.push(Buffer.from(data)));
  const drain = (t: Transform): void => {
    for (const b of out.splice(0)) t.push(b);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder.push(chunk);
        drain(this);
        done();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        drain(this);
        done();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    },
  });
}

/** Whether an entry's path is one an image layout holds: oci-layout, index.json, blobs/, blobs/sha256/<hex>. */
function isLayoutPath(path: string): boolean {
  const p = path.replace(/^\.\//, '').replace(/\/$/, '');
  return p === 'oci-layout' || p === 'index.json' || p === 'blobs' || p === 'blobs/sha256' || /^blobs\/sha256\/[0-9a-f]{64}$/.test(p);
}

/**
 * Extracts the image layout in archive file (tar, .tar.gz or .tar.zst, told apart by its first bytes)
 * into directory into (which must exist and be empty). Refuses, naming the file, an archive that is not
 * one, or that holds anything but the layout's regular files and folders.
 */
export async function readArchive(file: string, into: string): Promise<void> {
  const refused: string[] = [];
  try {
    const head = await firstBytes(file, 4);
    const extract = tar.x({
      cwd: into,
      strict: true,
      zstd: false,
      preservePaths: false,
      noChmod: true,
      filter: (path, entry) => {
        const type = 'type' in entry ? entry.type : entry.isDirectory() ? 'Directory' : 'File';
        const ok = isLayoutPath(path) && (type === 'File' || type === 'OldFile' || type === 'Directory');
        if (!ok && refused.length < 3) refused.push(path);
        return ok;
      },
    }) as unknown as Writable;
    const input = createReadStream(file);
    if (startsWith(head, ZSTD_MAGIC)) await pipeline(input, zstdDecoder(), extract);
    else await pipeline(input, extract); // tar reads gzip itself (GZIP_MAGIC)
  } catch (e) {
    const reason = messageOf(e);
    throw new AmberError(`${file}: not a checkpoint archive (${reason.split('\n')[0] ?? ''})`);
  }
  if (refused.length > 0) throw new AmberError(`${file}: holds ${refused.join(', ')}, which no image layout holds; refusing it`);
}
