// Damaged, foreign and missing images are refused with one line naming the file or blob, and a refused
// read changes nothing in the image (the acceptance bad-image scenario's image_sums); a write that fails
// at any host call leaves the earlier image whole and no temporary directory behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  cpSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { NodeImageStore } from '../host/imagestore.js';
import { scratch } from '../host/testing/scratch.js';
import { ImageError } from './error.js';
import { CONFIG_KEY, FORMAT_VERSION } from './layout.js';
import { chunked } from './payload.js';
import { readImage } from './reader.js';
import type { ImageStore, Sha256, StoreEntry, StoreReader, StoreWriter } from './store.js';
import { writeImage, type ImageContents } from './writer.js';

const root = scratch('damage');
const store = new NodeImageStore();

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every path under dir, and every file's SHA-256: what image_sums compares. */
function sums(dir: string): string {
  const out: string[] = [];
  for (const f of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = join(dir, f);
    out.push(statSync(p).isFile() ? `${f} ${sha(readFileSync(p))}` : `${f}/`);
  }
  return out.join('\n');
}

function contents(seed: number): ImageContents {
  const mem = new Uint8Array(3 << 16);
  for (let i = 0; i < mem.length; i += 97) mem[i] = (i * seed) & 0xff;
  return {
    podId: `pod-${seed}`,
    meta: { seed },
    created: '2026-01-01T00:00:00.000Z',
    payloads: [{ name: 'kernel', bytes: new TextEncoder().encode(`kernel ${seed}`) }, ...chunked('memory/a', mem, { chunkSize: 1 << 16 })],
  };
}

let golden = '';
before(async () => {
  golden = join(root, 'golden');
  await writeImage(store, golden, contents(1));
});

let n = 0;
function copy(): string {
  const dir = join(root, `copy${n++}`);
  cpSync(golden, dir, { recursive: true });
  return dir;
}

const blobsOf = (dir: string): string[] => readdirSync(join(dir, 'blobs/sha256'));
const blob = (dir: string, hex: string): string => join(dir, 'blobs/sha256', hex);
function indexOf(dir: string): { manifests: { digest: string; size: number }[] } {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
}
const manifestHex = (dir: string): string => indexOf(dir).manifests[0]?.digest.slice(7) ?? '';
const largestBlob = (dir: string): string =>
  blobsOf(dir).sort((a, b) => statSync(blob(dir, b)).size - statSync(blob(dir, a)).size)[0] ?? '';

function flip(path: string, at: number): void {
  const b = readFileSync(path);
  b[at] = (b[at] ?? 0) ^ 0xff;
  writeFileSync(path, b);
}

/** Writes JSON as a blob of dir; its digest. */
function putBlob(dir: string, value: unknown): { digest: string; size: number } {
  const b = Buffer.from(JSON.stringify(value));
  const hex = sha(b);
  writeFileSync(blob(dir, hex), b);
  return { digest: `sha256:${hex}`, size: b.length };
}

/** Rewrites dir's config through edit, re-chaining manifest and index so only the config differs. */
function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(dir, index.manifests[0].digest.slice(7)), 'utf8'));
  const config = JSON.parse(readFileSync(blob(dir, manifest.config.digest.slice(7)), 'utf8'));
  edit(config[CONFIG_KEY]);
  Object.assign(manifest.config, putBlob(dir, config));
  Object.assign(index.manifests[0], putBlob(dir, manifest));
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
}

/** readImage(dir) must fail with one line matching want, leaving every file of dir as it was. */
function refused(dir: string, want: RegExp | string): string {
  const before = sums(dir);
  let message = '';
  assert.throws(() => readImage(store, dir), (e: unknown) => {
    assert.ok(e instanceof ImageError, `not an ImageError: ${String(e)}`);
    message = e.message;
    return true;
  });
  assert.ok(!message.includes('\n'), `more than one line: ${message}`);
  if (typeof want === 'string') assert.ok(message.includes(want), `"${message}" does not say "${want}"`);
  else assert.match(message, want);
  assert.equal(sums(dir), before, 'a refused read changed the image');
  return message;
}

describe('a damaged or foreign image is refused, and left as it was', () => {
  test('the golden copy reads, and reading changes nothing', () => {
    const before = sums(golden);
    assert.equal(readImage(store, golden).config.podId, 'pod-1');
    assert.equal(sums(golden), before);
  });

  test('one byte flipped in the largest blob: names the blob by its full digest', () => {
    const dir = copy();
    const hex = largestBlob(dir);
    flip(blob(dir, hex), statSync(blob(dir, hex)).size >> 1);
    const msg = refused(dir, `blob sha256:${hex}`);
    assert.match(msg, /: content does not match its digest \(damaged image\)$/);
    assert.ok(msg.startsWith(`${dir}: `));
  });

  test('a flipped byte is found even when only one payload is read (lazy)', () => {
    const dir = copy();
    const hex = largestBlob(dir);
    flip(blob(dir, hex), 0);
    const img = readImage(store, dir, { lazy: true });
    assert.throws(() => img.payload('memory/a'), new RegExp(`blob sha256:${hex}.*content does not match`));
  });

  test('index.json truncated', () => {
    const dir = copy();
    truncateSync(join(dir, 'index.json'), statSync(join(dir, 'index.json')).size >> 1);
    refused(dir, `${dir}/index.json: not valid JSON (truncated?)`);
  });

  test('index.json missing', () => {
    const dir = copy();
    unlinkSync(join(dir, 'index.json'));
    refused(dir, `${dir}/index.json: missing`);
  });

  test('the manifest blob truncated, or with a byte flipped', () => {
    const dir = copy();
    const hex = manifestHex(dir);
    truncateSync(blob(dir, hex), statSync(blob(dir, hex)).size >> 1);
    refused(dir, new RegExp(`^${dir}: manifest sha256:${hex}: \\d+ bytes where the image says \\d+ \\(damaged image\\)$`));
    const dir2 = copy();
    flip(blob(dir2, hex), 10);
    refused(dir2, `${dir2}: manifest sha256:${hex}: content does not match its digest (damaged image)`);
  });

  test('the config blob damaged', () => {
    const dir = copy();
    const manifest = JSON.parse(readFileSync(blob(dir, manifestHex(dir)), 'utf8'));
    const hex = manifest.config.digest.slice(7);
    flip(blob(dir, hex), 3);
    refused(dir, `config sha256:${hex}: content does not match its digest`);
  });

  test('a blob deleted', () => {
    const dir = copy();
    const hex = largestBlob(dir);
    unlinkSync(blob(dir, hex));
    refused(dir, new RegExp(`blob sha256:${hex} \\(payload "memory/a" part \\d/3\\): missing \\(damaged image\\)`));
  });

  test('a blob grown', () => {
    const dir = copy();
    const hex = largestBlob(dir);
    writeFileSync(blob(dir, hex), 'x', { flag: 'a' });
    refused(dir, `blob sha256:${hex}`);
  });

  test('a newer format version', () => {
    const dir = copy();
    editConfig(dir, (c) => { c['version'] = FORMAT_VERSION + 1; });
    refused(dir, `${dir}: was written by amber-checkpoint format version ${FORMAT_VERSION + 1}; this Amber reads version ${FORMAT_VERSION}`);
  });

  test('another format', () => {
    const dir = copy();
    editConfig(dir, (c) => { c['format'] = 'other-checkpoint'; });
    refused(dir, `was written by other-checkpoint format version ${FORMAT_VERSION}; this Amber reads amber-checkpoint version ${FORMAT_VERSION}`);
  });

  test('a config missing a field', () => {
    const dir = copy();
    editConfig(dir, (c) => { delete c['podId']; });
    refused(dir, /config sha256:[0-9a-f]{64}: org\.amber\.checkpoint\.podId: expected a string, found nothing$/);
  });

  test('an OCI image that is not a checkpoint', () => {
    const dir = copy();
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(blob(dir, index.manifests[0].digest.slice(7)), 'utf8'));
    manifest.config = { mediaType: 'application/vnd.oci.image.config.v1+json', ...putBlob(dir, { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }) };
    Object.assign(index.manifests[0], putBlob(dir, manifest));
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    refused(dir, `${dir}: not an Amber checkpoint (its image config has no ${CONFIG_KEY})`);
  });

  test('a manifest whose config is neither kind', () => {
    const dir = copy();
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(blob(dir, index.manifests[0].digest.slice(7)), 'utf8'));
    manifest.config.mediaType = 'application/vnd.example.other+json';
    Object.assign(index.manifests[0], putBlob(dir, manifest));
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    refused(dir, `${dir}: not an Amber checkpoint (its manifest's config is application/vnd.example.other+json, expected application/vnd.oci.image.config.v1+json)`);
  });

  test('stats that are not numbers', () => {
    const dir = copy();
    editConfig(dir, (c) => { c['stats'] = { pauseMs: 'soon' }; });
    refused(dir, /config sha256:[0-9a-f]{64}: org\.amber\.checkpoint\.stats\.pauseMs: expected a number or null, found "soon"$/);
  });

  test('a compressed blob whose bytes are not the ones its layer names', async () => {
    // Every blob is verified whatever its codec: the blob by its digest, what it decompresses to by the
    // digest the layer gives for it (org.amber.content).
    const dir = join(root, `gz${n++}`);
    await writeImage(store, dir, { podId: 'p', payloads: [{ name: 'memory/a', bytes: new Uint8Array(1 << 17) }] }, { compress: 'gzip' });
    const index = indexOf(dir);
    const manifest = JSON.parse(readFileSync(blob(dir, manifestHex(dir)), 'utf8'));
    manifest.layers[0].annotations['org.amber.content'] = `sha256:${sha(new Uint8Array(1))}`;
    Object.assign(index.manifests[0] ?? {}, putBlob(dir, manifest));
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    refused(dir, /blob sha256:[0-9a-f]{64} \(payload "memory\/a"\): decompresses to bytes whose digest is not sha256:[0-9a-f]{64} \(damaged image\)$/);
  });

  test('a digest that is not sha256:<hex> never becomes a path', () => {
    const dir = copy();
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    index.manifests[0].digest = 'sha256:../../../etc/passwd';
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    refused(dir, `${dir}/index.json: manifests[0].digest: expected a digest sha256:<64 hex digits>`);
  });

  test('oci-layout missing or truncated', () => {
    const dir = copy();
    unlinkSync(join(dir, 'oci-layout'));
    refused(dir, `${dir}: not an image directory (no oci-layout file)`);
    const dir2 = copy();
    truncateSync(join(dir2, 'oci-layout'), 5);
    refused(dir2, `${dir2}/oci-layout: not valid JSON (truncated?)`);
  });

  test('no such directory; a file where the directory should be', () => {
    assert.throws(() => readImage(store, join(root, 'no/such/image')), {
      name: 'ImageError', message: `${join(root, 'no/such/image')}: no such image directory`,
    });
    writeFileSync(join(root, 'afile'), 'x');
    assert.throws(() => readImage(store, join(root, 'afile')), { message: `${join(root, 'afile')}: not a directory` });
  });
});

describe('memory read off the calling thread (source.fill, readAt): verified before use, the image unchanged', () => {
  const PART = 1 << 20;
  let big = '';
  let mem = new Uint8Array(0);
  before(async () => {
    big = join(root, 'big');
    mem = new Uint8Array(5 * PART - 4096); // the last part shorter
    for (let i = 0; i < mem.length; i += 61) mem[i] = (i * 7) & 0xff;
    await writeImage(store, big, { podId: 'big', payloads: chunked('memory/a', mem, { chunkSize: PART }) });
  });
  const bigCopy = (): string => {
    const dir = join(root, `big${n++}`);
    cpSync(big, dir, { recursive: true });
    return dir;
  };

  test('an intact image: the bytes read are the memory, verified() resolves, nothing changed', async () => {
    const before = sums(big);
    const img = readImage(store, big, { lazy: true });
    const into = new Uint8Array(mem.length);
    await img.source('memory/a').fill(into, 0);
    await img.verified();
    assert.deepEqual(into, mem);
    assert.equal(sums(big), before);
  });

  test('a byte flipped in a part: verified() rejects naming the blob; nothing changed', async () => {
    const dir = bigCopy();
    const hex = largestBlob(dir);
    flip(blob(dir, hex), PART >> 1);
    const before = sums(dir);
    const img = readImage(store, dir, { lazy: true });
    await img.source('memory/a').fill(new Uint8Array(mem.length), 0);
    await assert.rejects(img.verified(), (e: unknown) => e instanceof ImageError && e.message.startsWith(`${dir}: blob sha256:${hex}`) && e.message.endsWith('content does not match its digest (damaged image)'));
    assert.equal(sums(dir), before);
  });

  test('a part deleted or of another size: fill rejects naming the blob', async () => {
    const dir = bigCopy();
    const hex = largestBlob(dir);
    truncateSync(blob(dir, hex), PART - 1);
    const img = readImage(store, dir, { lazy: true });
    await assert.rejects(img.source('memory/a').fill(new Uint8Array(mem.length), 0), new RegExp(`${dir}: blob sha256:${hex} .*: ${PART - 1} bytes where the image says ${PART} \\(damaged image\\)$`));
    unlinkSync(blob(dir, hex));
    const again = readImage(store, dir, { lazy: true });
    await assert.rejects(again.source('memory/a').fill(new Uint8Array(mem.length), 0), new RegExp(`blob sha256:${hex} .*: missing \\(damaged image\\)$`));
  });
});

/** A store that throws at its failAt-th call (counting every call, of writers and readers too). */
class FailingStore implements ImageStore {
  readonly #inner = new NodeImageStore();
  readonly codecs = this.#inner.codecs;
  calls = 0;
  failAt: number;

  constructor(failAt: number) {
    this.failAt = failAt;
  }

  #tick(what: string): void {
    if (++this.calls === this.failAt) throw new ImageError(`injected failure at call ${this.calls} (${what})`);
  }

  resolve(path: string): string { this.#tick('resolve'); return this.#inner.resolve(path); }
  stat(path: string): StoreEntry | null { this.#tick('stat'); return this.#inner.stat(path); }
  list(path: string): string[] | null { this.#tick('list'); return this.#inner.list(path); }
  makeDir(path: string): void { this.#tick('makeDir'); this.#inner.makeDir(path); }
  makeDirs(path: string): void { this.#tick('makeDirs'); this.#inner.makeDirs(path); }
  link(a: string, b: string): boolean { this.#tick('link'); return this.#inner.link(a, b); }
  rename(a: string, b: string): void { this.#tick('rename'); this.#inner.rename(a, b); }
  sync(path: string): void { this.#tick('sync'); this.#inner.sync(path); }
  remove(path: string): void { this.#tick('remove'); this.#inner.remove(path); }
  randomSuffix(): string { this.#tick('randomSuffix'); return this.#inner.randomSuffix(); }
  sha256(): Sha256 { this.#tick('sha256'); return this.#inner.sha256(); }

  writeFile(path: string, bytes: Uint8Array): Promise<void> {
    this.#tick('writeFile');
    return this.#inner.writeFile(path, bytes).then(() => this.#tick('writeFile done'));
  }

  create(path: string): StoreWriter {
    this.#tick('create');
    const w = this.#inner.create(path);
    return {
      write: (b) => { this.#tick('write'); w.write(b); },
      sync: () => { this.#tick('writer sync'); w.sync(); },
      close: () => { w.close(); this.#tick('close'); },
    };
  }

  open(path: string): StoreReader | null {
    this.#tick('open');
    const r = this.#inner.open(path);
    if (r === null) return null;
    return {
      size: r.size,
      read: (into) => { this.#tick('read'); return r.read(into); },
      close: () => { r.close(); this.#tick('close'); },
    };
  }
}

describe('a write that fails leaves the earlier image whole', () => {
  test('at every host call in turn', async () => {
    const parent = join(root, 'parent');
    await writeImage(store, parent, contents(2));
    const dir = join(root, 'target');
    await writeImage(store, dir, contents(1));
    const before = sums(dir);
    const next = contents(3);
    const dryRun = join(root, 'dry-run');
    await writeImage(store, dryRun, contents(1));
    const counting = new FailingStore(0);
    await writeImage(counting, dryRun, next, { parent });
    assert.ok(counting.calls > 30, `only ${counting.calls} calls`);

    let failed = 0;
    let warned = 0;
    for (let k = 1; k <= counting.calls + 1; k++) {
      const s = new FailingStore(k);
      let threw = false;
      try {
        const r = await writeImage(s, dir, next, { parent });
        assert.equal(readImage(store, dir).config.podId, 'pod-3');
        for (const w of r.warnings) assert.match(w, /injected failure/);
        if (r.warnings.length > 0) warned++;
        await writeImage(store, dir, contents(1)); // put the earlier image back for the next round
      } catch (e) {
        threw = true;
        assert.ok(e instanceof ImageError && /injected failure/.test(e.message), `call ${k}: ${String(e)}`);
        assert.equal(sums(dir), before, `call ${k}: the earlier image changed`);
        failed++;
      }
      const left = readdirSync(root).filter((f) => /^target\.(tmp|old)-/.test(f));
      // Only a failed cleanup may leave something, and then it was reported.
      if (left.length > 0) {
        assert.ok(!threw || left.every((f) => f.startsWith('target.tmp-')), `call ${k}: left ${left.join(' ')}`);
        for (const f of left) rmSync(join(root, f), { recursive: true });
      }
    }
    assert.ok(failed > 30, `only ${failed} failures`);
    assert.equal(warned, 2); // flushing the parent directory, removing the old image
    assert.equal(failed, counting.calls - 2);
  });

  test('a store that throws midway through writing the payloads', async () => {
    const dir = join(root, 'mid');
    await writeImage(store, dir, contents(1));
    const before = sums(dir);
    let writes = 0;
    const inner = new NodeImageStore();
    const flaky: ImageStore = Object.create(inner, {
      // Payload blobs: the third fails while others are in flight.
      writeFile: {
        value: async (path: string, b: Uint8Array): Promise<void> => {
          if (++writes === 3) throw new ImageError(`${path}: no space left on device`);
          await inner.writeFile(path, b);
        },
      },
      create: {
        value: (path: string): StoreWriter => {
          const w = inner.create(path);
          return {
            write: (b: Uint8Array) => {
              if (++writes === 3) throw new ImageError(`${path}: no space left on device`);
              w.write(b);
            },
            sync: () => w.sync(),
            close: () => w.close(),
          };
        },
      },
    });
    await assert.rejects(() => writeImage(flaky, dir, contents(4)), /no space left on device/);
    assert.equal(sums(dir), before);
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('mid.')), []);
  });
});
