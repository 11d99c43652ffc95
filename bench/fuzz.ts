// `npm run fuzz`: hostile input against Amber's parsers (issue 12), with counts: tried / one-line
// error / accepted / anything else (a stack trace, a hang, something accepted that should not be).
//   npm run fuzz [-- --runs N] [-- --cli N] [-- --images N] [-- --image-cli N] [-- --seed S]
// specs: generated Pod manifests and OCI configs (src/runtime/spec/testing/specgen.ts) taken the whole
// way in this process (src/host/testing/specfuzz.ts: read, parse, check host paths, build the pod's
// kernel objects, save its graph). specs via the CLI: a sample of the same run through the built
// `amber pod run` / `amber run --bundle`, which must exit 0, or 1 with one line on stderr and no stack.
// images: generated images that lie (src/host/testing/imagegen.ts: a real checkpoint edited, every
// digest recomputed) taken through restore and inspect in this process (src/client/testing/imagefuzz.ts):
// restored correctly (the pod runs on as checkpointed), restored with a guest failing by itself (a forged
// memory or stack is the guest's own state), or refused in one line naming the image. images via the
// CLI: a sample through `amber restore --detach` and `amber inspect`, each exit 0 or one line and exit 1.
// Not a test: it prints what it found (the first few of each kind) and exits 1 if anything else happened.
// Needs `npm run build` for the CLI part.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { makeFuzzPlace, resetFuzzPlace, trySpec, type FuzzPlace } from '../src/host/testing/specfuzz.js';
import { lyingImages, type ImageTally } from './fuzzimages.js';
import { hostileSpec, type GeneratedSpec } from '../src/runtime/spec/testing/specgen.js';
import { ROOT } from './commands.js';

interface Tally {
  tried: number;
  oneLine: number;
  accepted: number;
  other: number;
  /** The first few "anything else", with what led to them. */
  examples: string[];
}

function tally(): Tally {
  return { tried: 0, oneLine: 0, accepted: 0, other: 0, examples: [] };
}

function note(t: Tally, kind: 'oneLine' | 'accepted' | 'other', example?: string): void {
  t.tried++;
  t[kind]++;
  if (kind === 'other' && example !== undefined && t.examples.length < 5) t.examples.push(example);
}

function options(): { runs: number; cli: number; images: number; imageCli: number; seed: number } {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '3000' }, cli: { type: 'string', default: '60' }, images: { type: 'string', default: '400' }, 'image-cli': { type: 'string', default: '20' }, seed: { type: 'string' } },
  });
  const int = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a whole number, got ${v}`);
    return n;
  };
  return {
    runs: int('runs', values.runs),
    cli: int('cli', values.cli),
    images: int('images', values.images),
    imageCli: int('image-cli', values['image-cli']),
    seed: values.seed !== undefined ? int('seed', values.seed) : Date.now() % 2 ** 31,
  };
}

function specsInProcess(place: FuzzPlace, specs: readonly GeneratedSpec[]): Tally {
  const t = tally();
  for (const g of specs) {
    const o = trySpec(place, g);
    note(t, o.kind === 'refused' ? 'oneLine' : o.kind, o.kind === 'other' ? `${o.what} (after: ${g.mutations.join('; ')})` : undefined);
    resetFuzzPlace(place);
  }
  return t;
}

/** The built CLI on each spec: exit 0, or exit 1 with one line and no stack; anything else is noted. */
function specsViaCli(place: FuzzPlace, specs: readonly GeneratedSpec[]): Tally {
  const t = tally();
  const bin = join(ROOT, 'bin', 'amber.js');
  const root = join(place.bundle, '..', 'state');
  for (const g of specs) {
    const target = g.kind === 'pod' ? ['pod', 'run', place.manifest] : ['run', '--bundle', place.bundle, 'fuzz'];
    // trySpec writes the spec where the CLI reads it; its own outcome is not what is counted here.
    trySpec(place, g);
    const r = spawnSync(process.execPath, [bin, '--root', root, ...target], { encoding: 'utf8', timeout: 20_000, input: '' });
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    const after = `(after: ${g.mutations.join('; ')})`;
    if (r.error !== undefined) note(t, 'other', `${r.error.message} ${after}`);
    else if (r.status === 0) note(t, 'accepted');
    else if (r.status === 1 && lines.length === 1 && !/^\s+at /m.test(r.stderr)) note(t, 'oneLine');
    else note(t, 'other', `exit ${String(r.status)}: ${lines.slice(0, 3).join(' | ')} ${after}`);
    resetFuzzPlace(place);
  }
  return t;
}

function row(name: string, t: Tally): string {
  return `${name.padEnd(18)} ${String(t.tried).padStart(6)} ${String(t.oneLine).padStart(14)} ${String(t.accepted).padStart(9)} ${String(t.other).padStart(15)}`;
}

function imageRow(name: string, t: ImageTally): string {
  return `${name.padEnd(18)} ${String(t.tried).padStart(6)} ${String(t.oneLine).padStart(14)} ${String(t.restored).padStart(19)} ${String(t.guestFailed).padStart(14)} ${String(t.other).padStart(15)}`;
}

async function main(): Promise<number> {
  const opts = options();
  const dir = mkdtempSync(join(tmpdir(), 'amber-fuzz-'));
  try {
    const place = makeFuzzPlace(dir, join(ROOT, 'guests', 'hello.wasm'));
    const specs = fc.sample(hostileSpec(place.layout), { numRuns: opts.runs, seed: opts.seed });
    const results: Array<[string, Tally]> = [['specs', specsInProcess(place, specs)]];
    if (opts.cli > 0) results.push(['specs via the CLI', specsViaCli(place, specs.slice(0, opts.cli))]);
    const images = opts.images > 0 ? await lyingImages(join(dir, 'images'), opts.images, opts.imageCli, opts.seed) : [];
    console.log(`fuzz (seed ${opts.seed})`);
    console.log(`${'input'.padEnd(18)} ${'tried'.padStart(6)} ${'one-line error'.padStart(14)} ${'accepted'.padStart(9)} ${'anything else'.padStart(15)}`);
    for (const [name, t] of results) console.log(row(name, t));
    if (images.length > 0) {
      console.log(`${'input'.padEnd(18)} ${'tried'.padStart(6)} ${'one-line error'.padStart(14)} ${'restored correctly'.padStart(19)} ${'guest failed'.padStart(14)} ${'anything else'.padStart(15)}`);
      for (const [name, t] of images) console.log(imageRow(name, t));
    }
    let bad = 0;
    for (const [name, t] of [...results, ...images]) {
      for (const e of t.examples) console.log(`  ${name}: ${e}`);
      bad += t.other;
    }
    return bad === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
