// Checkpoint archives through the built command (podman's names): `checkpoint --export FILE.tar[.gz|.zst]`
// writes the image as one tar (skopeo's oci-archive layout), compressed as its name says, with or
// without --image-path beside it; `restore --import FILE` restores it, detached or not, on a machine that
// never saw the module; `inspect FILE` reads it as it reads a directory. Nothing is left in the temp dir,
// an archive is never changed, and anything that is not an image archive is refused in one line.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tar from 'tar';
import { guest, succeeded, userError } from './testing/amber.js';
import { busyPod, resumesWith } from './testing/busypod.js';
import { manifest } from './testing/manifests.js';
import { until } from './testing/wait.js';
import { workspace } from './testing/workspace.js';

const ticks = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The entry names of a tar file (plain or gzip: node-tar reads both). */
async function entries(file: string): Promise<string[]> {
  const out: string[] = [];
  await tar.t({ file, onReadEntry: (e) => void out.push(e.path) });
  return out;
}

describe('checkpoint archives', () => {
  it('export as .tar, .tar.gz, .tar.zst; inspect and restore --import each way; nothing left behind', async (t) => {
    const w = workspace('archive', t);
    const tmp = w.path('tmp');
    mkdirSync(tmp);
    const cache = w.path('cache');
    mkdirSync(cache);
    // TMPDIR: where imports unpack, checked empty at the end; an empty module cache for the restores.
    const env = { ...process.env, TMPDIR: tmp, XDG_CACHE_HOME: cache };
    copyFileSync(guest('ticker'), w.path('ticker.wasm'));
    const spec = manifest(w.dir, 'pod.yaml', 'arch', [
      { name: 'ticker', guest: 'ticker', image: 'ticker.wasm', args: ['--to', '48', '--every-ms', '250', '--file', '/data/ticks'], mounts: [{ name: 'data', mountPath: '/data' }] },
    ], [{ name: 'data', emptyDir: {} }]);
    await w.ok(['pod', 'run', spec, '--detach']);
    await until('tick 2', async () => ticks((await w.ok(['logs', 'arch'])).stdout).includes(2));

    // A name that says no archive is refused before the pod is touched.
    userError(await w.amber(['checkpoint', 'arch', '--export', w.path('x.zip'), '--leave-running']), 'export to .zip');
    const zst = w.path('out', 'a.tar.zst');
    const gz = w.path('b.tar.gz');
    const plain = w.path('c.tar');
    const dir = w.path('dir');
    await w.ok(['checkpoint', 'arch', '--export', zst, '--leave-running', '--compress', 'zstd'], { env });
    await w.ok(['checkpoint', 'arch', '--export', gz, '--image-path', dir, '--leave-running'], { env });
    await w.ok(['checkpoint', 'arch', '--export', plain], { env });
    const last = Math.max(...ticks((await w.ok(['logs', 'arch'])).stdout));
    rmSync(w.path('ticker.wasm'));

    // Each is one tar of the layout alone, compressed as named; --image-path kept its directory too.
    assert.deepEqual(readFileSync(zst).subarray(0, 4), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    assert.deepEqual(readFileSync(gz).subarray(0, 2), Buffer.from([0x1f, 0x8b]));
    for (const file of [gz, plain]) {
      const names = await entries(file);
      assert.deepEqual(names.slice(0, 4), ['oci-layout', 'index.json', 'blobs/', 'blobs/sha256/']);
      assert.ok(names.slice(4).every((n) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(n)), names.join(' '));
    }
    assert.ok(existsSync(join(dir, 'index.json')));
    assert.deepEqual(readdirSync(w.path('out')), ['a.tar.zst'], 'a temporary image was left beside the archive');
    assert.deepEqual(readdirSync(w.dir).filter((n) => n.includes('.image-')), []);

    const prints = [zst, gz, plain].map(sha);
    for (const file of [zst, gz, plain]) {
      const out = succeeded(await w.amber(['inspect', file], { env }), `inspect ${file}`).stdout;
      assert.match(out, new RegExp(`^Image +${file}$`, 'm'));
      assert.match(out, /^Pod +arch$/m);
    }
    const detached = succeeded(await w.amber(['restore', '--import', gz, '--detach', '--name', 'copy'], { env, root: w.path('elsewhere') }), 'restore --import --detach');
    assert.equal(detached.stdout, 'copy\n');
    const r = succeeded(await w.amber(['restore', '--import', plain], { env, root: w.path('third') }), 'restore --import');
    assert.deepEqual(ticks(r.stdout), Array.from({ length: 48 - last }, (_, i) => last + 1 + i), r.stdout);
    await until('the detached copy to tick on', async () => ticks((await w.ok(['logs', 'copy'], { root: w.path('elsewhere') })).stdout).length > 0);
    assert.deepEqual([zst, gz, plain].map(sha), prints, 'an archive changed');
    assert.deepEqual(readdirSync(tmp), [], 'an unpacked image was left in the temp dir');
  });

  it('an export waits for its temporary image\'s flush before removing it: no warning in sandbox.log, each archive restores', async (t) => {
    const w = workspace('archive-flush', t);
    // The busy pod's flush of each image takes many turns (~100-200 ms here) while the command's archive of
    // a small image is written in a few: the command removed the temporary image mid-flush, and the
    // sandbox logged that it could not flush it.
    const sum = await busyPod(w, 'busy', 8);
    const log = join(w.root, 'pods', 'busy', 'sandbox.log');
    const files = Array.from({ length: 7 }, (_, i) => w.path(`e${i}.tar`));
    for (const [i, file] of files.entries()) {
      await w.ok(['checkpoint', 'busy', '--export', file, ...(i < files.length - 1 ? ['--leave-running'] : [])]);
      assert.deepEqual(readdirSync(w.dir).filter((n) => n.includes('.image-')), [], `export ${i} left its temporary image`);
    }
    // Each flush ends in one line, "flushed to disk" or that it could not be: the log is whole then.
    await until('every flush logged', () => readFileSync(log, 'utf8').split('\n').filter((l) => /flushed to disk|could not be flushed/.test(l)).length === files.length);
    const text = readFileSync(log, 'utf8');
    assert.doesNotMatch(text, /could not be flushed/, text);
    // The first and the last archive restore, the program's memory as it was.
    for (const [i, file] of [files[0], files.at(-1)].entries()) {
      const root = w.path(`r${i}`);
      await w.ok(['restore', '--import', file as string, '--detach', '--name', `copy${i}`], { root });
      await resumesWith(w, `copy${i}`, root, sum);
    }
  });

  it('anything but an image archive is refused in one line, and nothing is written outside', async (t) => {
    const w = workspace('archive-bad', t);
    const tmp = w.path('tmp');
    mkdirSync(tmp);
    const env = { ...process.env, TMPDIR: tmp };
    const noise = w.path('noise.tar');
    writeFileSync(noise, 'this is not a tar file at all, not even close\n'.repeat(40));
    mkdirSync(w.path('src', 'blobs', 'sha256'), { recursive: true });
    writeFileSync(w.path('src', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(w.path('src', 'evil.sh'), 'echo boo\n');
    const extra = w.path('extra.tar');
    await tar.c({ file: extra, cwd: w.path('src') }, ['oci-layout', 'evil.sh']);
    const escape = w.path('escape.tar.gz');
    await tar.c({ file: escape, cwd: w.path('src'), gzip: true, preservePaths: true }, ['oci-layout', '../outside.txt'].map((p) => (p.startsWith('..') ? (writeFileSync(w.path('outside.txt'), 'x'), p) : p)));
    rmSync(w.path('outside.txt'));
    for (const [file, why] of [[noise, /not a checkpoint archive/], [extra, /holds evil\.sh, which no image layout holds/], [escape, /which no image layout holds/], [w.path('none.tar'), /no such (archive|image directory)/]] as const) {
      for (const args of [['restore', '--import', file], ['inspect', file]]) {
        const r = await w.amber(args, { env });
        assert.match(userError(r, `${args.join(' ')}`), why);
      }
    }
    assert.equal(existsSync(w.path('outside.txt')), false);
    assert.deepEqual(readdirSync(tmp), []);
  });
});
