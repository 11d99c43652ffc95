// `npm run fuzz`'s images: generated lying images (src/host/testing/imagegen.ts) through restore and
// inspect in this process (src/client/testing/imagefuzz.ts), and a sample of them through the built CLI
// (`amber restore --detach`, then `amber inspect`): exit 0 and a running pod, or exit 1 with one line
// and no pod left; the image unchanged either way.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fingerprint, forgeCase, makeImageFuzzPlace, tryImage, type ImageFuzzPlace } from '../src/client/testing/imagefuzz.js';
import { describeEdit, lyingImage, type GeneratedImage } from '../src/host/testing/imagegen.js';
import { ROOT } from './commands.js';

export interface ImageTally {
  tried: number;
  oneLine: number;
  restored: number;
  guestFailed: number;
  other: number;
  examples: string[];
}

function tally(): ImageTally {
  return { tried: 0, oneLine: 0, restored: 0, guestFailed: 0, other: 0, examples: [] };
}

function note(t: ImageTally, kind: 'oneLine' | 'restored' | 'guestFailed' | 'other', example?: string): void {
  t.tried++;
  t[kind]++;
  if (kind === 'other' && example !== undefined && t.examples.length < 5) t.examples.push(example);
}

const TIMEOUT_MS = 30_000;

/** exit 0, or exit 1 with one line and no stack: else what happened. */
function cliProblem(r: ReturnType<typeof spawnSync>, what: string): string | 'ok' | 'oneLine' {
  const stderr = String(r.stderr);
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (r.error !== undefined) return `${what}: ${r.error.message}`;
  if (r.status === 0) return 'ok';
  if (r.status === 1 && lines.length === 1 && !/^\s+at /m.test(stderr)) return 'oneLine';
  return `${what}: exit ${String(r.status)}: ${lines.slice(0, 3).join(' | ')}`;
}

/** One image through the built CLI: restore --detach (its pod then checked and deleted), then inspect. */
function viaCli(place: ImageFuzzPlace, root: string, g: GeneratedImage): { kind: 'oneLine' | 'restored' | 'other'; what?: string } {
  const { img, volumes, before } = forgeCase(place, g);
  const bin = join(ROOT, 'bin', 'amber.js');
  const run = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [bin, '--root', root, ...args], { encoding: 'utf8', timeout: TIMEOUT_MS, input: '' });
  const vols = Object.entries(volumes).flatMap(([n, d]) => ['--volume', `${n}=${d}`]);
  const restore = cliProblem(run(['restore', '--image-path', img, '--detach', '--name', 'fz', ...vols]), 'restore');
  let kind: 'oneLine' | 'restored' | 'other' = restore === 'ok' ? 'restored' : restore === 'oneLine' ? 'oneLine' : 'other';
  let what = kind === 'other' ? restore : undefined;
  const state = run(['state', 'fz']);
  if (restore === 'ok' && !/"status":\s*"(running|stopped)"/.test(String(state.stdout))) [kind, what] = ['other', `restore exit 0, then state: ${String(state.stdout).slice(0, 200)}`];
  if (restore !== 'ok' && state.status === 0) [kind, what] = ['other', 'a refused restore left its pod behind'];
  run(['delete', '--force', 'fz']);
  const inspect = cliProblem(run(['inspect', img]), 'inspect');
  if (inspect !== 'ok' && inspect !== 'oneLine' && kind !== 'other') [kind, what] = ['other', inspect];
  if (fingerprint(img) !== before && kind !== 'other') [kind, what] = ['other', 'the image changed'];
  return what === undefined ? { kind } : { kind, what };
}

/** n generated images in process, the first cli of them through the CLI too; the tallies by row name. */
export async function lyingImages(dir: string, n: number, cli: number, seed: number): Promise<Array<[string, ImageTally]>> {
  mkdirSync(dir, { recursive: true });
  const place = await makeImageFuzzPlace(dir, join(ROOT, 'guests'));
  const images = fc.sample(lyingImage({ payloads: place.payloads }), { numRuns: n, seed });
  const inProcess = tally();
  for (const g of images) {
    const o = await tryImage(place, g);
    note(inProcess, o.kind === 'refused' ? 'oneLine' : o.kind, o.kind === 'other' ? o.what : undefined);
  }
  const out: Array<[string, ImageTally]> = [['images', inProcess]];
  if (cli > 0) {
    const viaTheCli = tally();
    const root = join(dir, 'state');
    mkdirSync(root, { recursive: true });
    for (const g of images.slice(0, cli)) {
      const o = viaCli(place, root, g);
      note(viaTheCli, o.kind, `${o.what ?? ''} (after: ${g.edits.map(describeEdit).join('; ')})`);
    }
    out.push(['images via the CLI', viaTheCli]);
  }
  return out;
}
