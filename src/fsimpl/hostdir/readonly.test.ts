// The read-only view of a host directory: every call that would change the host is EROFS before it
// reaches node:fs, whatever the filesystem above asked; reads and descriptor bookkeeping pass through.
import assert from 'node:assert/strict';
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { O_CREAT, O_RDONLY, O_RDWR, O_WRONLY } from '../../abi/open.js';
import { thrownErrno } from '../../base/testing/errno.js';
import { NodeHostDirectory } from '../../host/hostdir.js';
import { scratch } from '../../host/testing/scratch.js';
import { readOnlyAccess } from './readonly.js';

test('every change is EROFS at the host boundary; reads pass', (t) => {
  const dir = scratch('hostdir-ro', t);
  nfs.writeFileSync(join(dir, 'f'), 'host bytes');
  nfs.mkdirSync(join(dir, 'd'));
  const before = nfs.readdirSync(dir, { recursive: true }).map(String).sort();
  const host = readOnlyAccess(new NodeHostDirectory(dir));
  const root = host.openRoot();
  t.after(() => host.close(root));
  const file = host.openAt(root, 'f', O_RDONLY, 0);
  t.after(() => host.close(file));
  const buf = new Uint8Array(32);
  assert.equal(new TextDecoder().decode(buf.subarray(0, host.read(file, buf, 0))), 'host bytes');
  assert.equal(host.lookup(root, 'd')?.ino, nfs.statSync(join(dir, 'd')).ino);
  const path = host.openPathAt(root, 'f');
  t.after(() => host.close(path));
  const refused: Array<[string, () => unknown]> = [
    ['open for writing', () => host.openAt(root, 'f', O_WRONLY, 0)],
    ['open read-write', () => host.openAt(root, 'f', O_RDWR, 0)],
    ['create', () => host.openAt(root, 'new', O_RDONLY | O_CREAT, 0o644)],
    ['reopen for writing', () => host.reopen(file, O_RDWR)],
    ['mkdir', () => host.mkdirAt(root, 'nd', 0o755)],
    ['symlink', () => host.symlinkAt('/etc', root, 'l')],
    ['link', () => host.linkAt(root, 'f', root, 'g')],
    ['unlink', () => host.unlinkAt(root, 'f')],
    ['rmdir', () => host.rmdirAt(root, 'd')],
    ['rename', () => host.renameAt(root, 'f', root, 'h')],
    ['utimes by name', () => host.setTimesAt(root, 'f', 0n, 0n)],
    ['chmod', () => host.chmod(path, 0o777)],
    ['utimes', () => host.setTimes(path, 'now', 'now')],
    ['truncate', () => host.truncate(file, 0)],
    ['write', () => host.write(file, new Uint8Array([1]), 0)],
  ];
  for (const [what, call] of refused) assert.equal(thrownErrno(call), 'EROFS', what);
  assert.deepEqual(nfs.readdirSync(dir, { recursive: true }).map(String).sort(), before);
  assert.equal(nfs.readFileSync(join(dir, 'f'), 'utf8'), 'host bytes');
});

test("the host's read-only shortcuts pass through: a stat by path stays one host call", (t) => {
  const dir = scratch('hostdir-ro', t);
  nfs.writeFileSync(join(dir, 'f'), 'host bytes');
  const host = readOnlyAccess(new NodeHostDirectory(dir));
  const root = host.openRoot();
  t.after(() => host.close(root));
  const st = nfs.lstatSync(join(dir, 'f'), { bigint: true });
  const [dev, ino] = [Number(st.dev), Number(st.ino)];
  assert.equal(host.lookupStat?.(root, 'f')?.mtimeNs, st.mtimeNs);
  assert.equal(host.lookupStat?.(root, 'missing'), null);
  assert.equal(host.stillNames?.(root, 'f', dev, ino, 'reg'), true);
  assert.equal(host.stillNamesStat?.(root, 'f', dev, ino, 'reg')?.size, 10);
  assert.equal(host.stillNamesStat?.(root, 'f', dev, ino + 1, 'reg'), null, 'another object is never confirmed');
  // The uvwasi shortcuts answer once asked often (host/wasistat.ts).
  let filestat: Uint8Array | null = null;
  for (let i = 0; i < 64 && filestat === null; i++) filestat = host.stillNamesFilestat?.(root, 'f', dev, ino, 'reg') ?? null;
  assert.ok(filestat !== null, 'stillNamesFilestat answers');
  const file = host.openAt(root, 'f', O_RDONLY, 0);
  t.after(() => host.close(file));
  let fstat: Uint8Array | null = null;
  for (let i = 0; i < 64 && fstat === null; i++) fstat = host.filestat?.(file) ?? null;
  assert.ok(fstat !== null, 'filestat answers');
  assert.equal(new DataView(fstat.buffer, fstat.byteOffset, 64).getBigUint64(32, true), 10n);
});
