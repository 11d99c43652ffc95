// The compression benchmark (`npm run bench -- --only compression`, issue 10 point 2): a real program's
// checkpoint, SQLite (build/sqlite/sqlite_bench.wasm, `npm run sqlite`) stopped mid-run with its database
// on the pod's tmpfs, so the image holds real memory (SQLite's heap and page cache), real files (the
// database, in the kernel payload) and a real module; then the same payloads written again here with each
// codec and read back (every blob verified): bytes on disk, write and read time, each against raw (no
// codec) measured in the same run. Zero parts and parts unchanged since a parent cost nothing whatever
// the codec (one shared blob, or a link), so they are left out of the comparison by construction.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fullImageStore } from '../src/host/imagestore.js';
import type { Payload } from '../src/image/payload.js';
import { readImage } from '../src/image/reader.js';
import { writeImage } from '../src/image/writer.js';
import { ROOT } from './commands.js';
import { median, table } from './report.js';

const AMBER = join(ROOT, 'bin/amber.js');
const SQLITE = join(ROOT, 'build/sqlite/sqlite_bench.wasm');
export const CODECS = ['none', 'gzip', 'zstd'] as const;

function amber(root: string, args: string[]): string {
  const r = spawnSync(process.execPath, [AMBER, '--root', root, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`amber ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A raw checkpoint of SQLite mid-run, in dir/image; throws naming what to build when the module is missing. */
function sqliteImage(dir: string): string {
  if (!existsSync(SQLITE)) throw new Error(`${SQLITE} is missing: run npm run sqlite`);
  const spec = join(dir, 'pod.yaml');
  writeFileSync(spec, JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sq' },
    spec: {
      containers: [{ name: 'sqlite', image: SQLITE, args: ['/data', '200000', '--progress', '1000'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  }));
  const root = join(dir, 'root');
  amber(root, ['pod', 'run', spec, '--detach']);
  const deadline = Date.now() + 120_000;
  while (!/tx 5000\b/.test(amber(root, ['logs', 'sq']))) {
    if (Date.now() > deadline) throw new Error('sqlite did not reach 5000 transactions in 120 s');
    spawnSync('sleep', ['0.2']);
  }
  const image = join(dir, 'image');
  amber(root, ['checkpoint', 'sq', '--image-path', image]);
  amber(root, ['delete', '--force', 'sq']);
  return image;
}

function bytesOf(dir: string): number {
  const blobs = join(dir, 'blobs', 'sha256');
  return readdirSync(blobs).reduce((n, b) => n + statSync(join(blobs, b)).size, 0);
}

export interface CodecSample { bytes: number; writeMs: number; readMs: number; byKind: Record<string, number> }
export interface CompressionResult { payloadBytes: number; kinds: Record<string, number>; samples: Record<string, CodecSample[]> }

export async function runCompressionBench(reps: number): Promise<CompressionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'amber-bench-compress-'));
  try {
    const store = await fullImageStore();
    const source = readImage(store, sqliteImage(dir));
    const payloads: Payload[] = [];
    const kinds: Record<string, number> = {};
    for (const name of source.names()) {
      const parts = source.parts(name);
      const kind = source.kind(name);
      parts.forEach((bytes, index) => payloads.push({ name, kind, bytes, ...(parts.length > 1 ? { part: { index, count: parts.length } } : {}) }));
      kinds[kind] = (kinds[kind] ?? 0) + source.size(name);
    }
    const payloadBytes = Object.values(kinds).reduce((a, b) => a + b, 0);
    const samples: Record<string, CodecSample[]> = {};
    for (let i = 0; i < reps; i++) {
      for (const codec of i % 2 === 0 ? CODECS : [...CODECS].reverse()) {
        const out = join(dir, `out-${codec}-${i}`);
        const t0 = performance.now();
        await writeImage(store, out, { podId: 'sq', payloads }, codec === 'none' ? {} : { compress: codec });
        const writeMs = performance.now() - t0;
        const t1 = performance.now();
        const back = readImage(store, out);
        const readMs = performance.now() - t1;
        const byKind: Record<string, number> = {};
        const manifest = back.names();
        for (const name of manifest) byKind[back.kind(name)] = 0;
        const layers = JSON.parse(new TextDecoder().decode(spawnSync('cat', [join(out, 'blobs', 'sha256', back.manifestDigest.slice(7))]).stdout)) as { layers: Array<{ mediaType: string; size: number }> };
        for (const l of layers.layers) {
          const kind = /checkpoint\.([a-z0-9.-]+)\.v1/.exec(l.mediaType)?.[1] ?? '?';
          byKind[kind] = (byKind[kind] ?? 0) + l.size;
        }
        (samples[codec] ??= []).push({ bytes: bytesOf(out), writeMs, readMs, byKind });
        rmSync(out, { recursive: true, force: true });
      }
      process.stderr.write('.');
    }
    return { payloadBytes, kinds, samples };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

export function compressionTable(r: CompressionResult): string {
  const raw = r.samples['none'] ?? [];
  const base = { bytes: median(raw.map((s) => s.bytes)), writeMs: median(raw.map((s) => s.writeMs)), readMs: median(raw.map((s) => s.readMs)) };
  const kinds = Object.keys(r.kinds);
  const rows = [['codec', 'on disk', 'size ×raw', 'write ms', 'write ×raw', 'read+verify ms', 'read ×raw', ...kinds.map((k) => `${k} ×raw`)]];
  for (const codec of CODECS) {
    const s = r.samples[codec] ?? [];
    const bytes = median(s.map((x) => x.bytes));
    const w = median(s.map((x) => x.writeMs));
    const rd = median(s.map((x) => x.readMs));
    const perKind = kinds.map((k) => (median(s.map((x) => x.byKind[k] ?? 0)) / median(raw.map((x) => x.byKind[k] ?? 1))).toFixed(2));
    rows.push([codec, kib(bytes), (bytes / base.bytes).toFixed(3), w.toFixed(0), (w / base.writeMs).toFixed(2), rd.toFixed(0), (rd / base.readMs).toFixed(2), ...perKind]);
  }
  const payloads = kinds.map((k) => `${k} ${kib(r.kinds[k] ?? 0)}`).join(', ');
  return `${table(rows)}\nSQLite checkpointed after 5000 transactions (payloads: ${payloads}); the same payloads written and read\nback here with each codec, medians; ×raw = against no codec in the same run (lower is smaller/faster)`;
}
