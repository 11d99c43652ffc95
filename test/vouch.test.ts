// End to end, "verified once, trusted while unchanged" (host/blobrecords.ts): a checkpoint records the
// memory parts it wrote as verified once they are on disk, so a restore reads them unhashed; a part
// changed in place since is hashed again and refused; a cache with no records hashes every part; an
// image copied from elsewhere is hashed on its first restore, which records it, and trusted on the next;
// restore --verify hashes every part regardless.
import assert from 'node:assert/strict';
import { closeSync, cpSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { guest, userError } from './testing/amber.js';
import { fingerprint, layers } from './testing/images.js';
import { sleep, until } from './testing/wait.js';
import { workspace, type Workspace } from './testing/workspace.js';

/** The blob files of the image's memory parts. */
function memoryParts(image: string): string[] {
  return layers(image).filter((l) => l.annotations?.['org.amber.name']?.startsWith('memory/') === true).map((l) => join(image, 'blobs', 'sha256', l.digest.slice('sha256:'.length)));
}

/** Whether cache holds a record for each of files (named by device and inode). */
function recorded(cache: string, files: readonly string[]): boolean {
  return files.every((f) => {
    const s = statSync(f, { bigint: true });
    return existsSync(join(cache, 'amber', 'verified', `${s.dev}-${s.ino}`));
  });
}

/** Restores image as name with env, checks it resumes with sum; its memory parts as its sandbox.log counts them. */
async function restore(w: Workspace, image: string, name: string, env: NodeJS.ProcessEnv, sum: string, flags: string[] = []): Promise<{ vouched: number; hashed: number }> {
  await w.ok(['restore', '--image-path', image, '--detach', '--name', name, ...flags], { env });
  await until(`${name} resumes`, async () => /^resumed .* sum=/m.test((await w.ok(['logs', name])).stdout));
  assert.match((await w.ok(['logs', name])).stdout, new RegExp(`^resumed .* sum=${sum}$`, 'm'), `${name}: the restored memory is the checkpointed one`);
  const log = readFileSync(join(w.root, 'pods', name, 'sandbox.log'), 'utf8');
  const m = /pod rebuilt .*, memory parts (\d+) vouched, (\d+) hashed$/m.exec(log);
  assert.ok(m !== null, `${name}: no restore line in sandbox.log:\n${log}`);
  return { vouched: Number(m[1]), hashed: Number(m[2]) };
}

test('memory parts a checkpoint wrote are trusted unhashed while unchanged; a changed, unrecorded or copied one is hashed, and every one with --verify', async (t) => {
  const w = workspace('vouch', t);
  const cache = w.path('cache');
  const env = { ...process.env, XDG_CACHE_HOME: cache };
  const spec = w.path('pod.yaml');
  writeFileSync(spec, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mem' }, spec: { containers: [{ name: 'mem', image: guest('bench_mem'), args: ['16'] }] } }));
  await w.ok(['pod', 'run', '--detach', spec], { env });
  let sum = '';
  await until('mem is ready', async () => (sum = /^ready 16 sum=([0-9a-f]+)$/m.exec((await w.ok(['logs', 'mem'])).stdout)?.[1] ?? '') !== '');
  const img = w.path('img');
  await w.ok(['checkpoint', 'mem', '--image-path', img, '--leave-running'], { env });
  const parts = memoryParts(img);
  assert.ok(parts.length >= 4, `${parts.length} memory parts`);
  // Recorded once on disk, after the reply (a part written within the last ~100 ms a little later).
  await until('the records of the parts the checkpoint wrote', () => recorded(cache, parts));
  assert.deepEqual(await restore(w, img, 'warm', env, sum), { vouched: parts.length, hashed: 0 });
  assert.deepEqual(await restore(w, img, 'verify', env, sum, ['--verify']), { vouched: 0, hashed: parts.length }, '--verify hashes every part');

  // No records (another user, a cache emptied): every part hashed.
  const empty = { ...process.env, XDG_CACHE_HOME: w.path('empty') };
  assert.deepEqual(await restore(w, img, 'cold', empty, sum), { vouched: 0, hashed: parts.length });

  // A copy (new files): hashed on its first restore, which records them once the pod runs; trusted after.
  const copy = w.path('copy');
  cpSync(img, copy, { recursive: true });
  const copied = memoryParts(copy);
  await sleep(200); // past the racy window: a file modified just before it is read is not recorded
  assert.deepEqual(await restore(w, copy, 'copy1', env, sum), { vouched: 0, hashed: parts.length });
  await until('the records of the copy\'s parts', () => recorded(cache, copied));
  assert.deepEqual(await restore(w, copy, 'copy2', env, sum), { vouched: parts.length, hashed: 0 });

  // One byte flipped in place in a part (the same file, its mtime moved): hashed, and refused in one line.
  const part = parts[1] ?? '';
  const fd = openSync(part, 'r+');
  const byte = Buffer.alloc(1);
  const at = 12345;
  byte[0] = (readFileSync(part)[at] ?? 0) ^ 0x10;
  writeSync(fd, byte, 0, 1, at);
  closeSync(fd);
  const before = fingerprint(img);
  const line = userError(await w.amber(['restore', '--image-path', img, '--detach', '--name', 'never'], { env }), 'restore of a flipped part');
  assert.match(line, new RegExp(`^amber: .*blob sha256:${part.slice(-64)}.*content does not match its digest \\(damaged image\\)$`));
  assert.deepEqual(fingerprint(img), before, 'the restore changed nothing in the image');
});
