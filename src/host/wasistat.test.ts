// WasiStat: a descriptor's filestat from uvwasi holds what fstat(2) says at the moment of the call (no
// attribute is kept between calls), and a descriptor closed and its number reused never shows the old
// object.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  FILESTAT_ATIM, FILESTAT_CTIM, FILESTAT_FILETYPE, FILESTAT_INO, FILESTAT_MTIM, FILESTAT_NLINK, FILESTAT_SIZE_FIELD,
  FILETYPE_DIRECTORY, FILETYPE_REGULAR_FILE, FILETYPE_SYMBOLIC_LINK,
} from '../abi/wasi.js';
import { scratch } from './testing/scratch.js';
import { WASI_STAT_AFTER, WasiStat } from './wasistat.js';

/** A filestat's fields as fstat's BigIntStats names them. */
function fields(b: Uint8Array): Record<string, bigint | number> {
  const v = new DataView(b.buffer, b.byteOffset, 64);
  return {
    dev: v.getBigUint64(0, true),
    ino: v.getBigUint64(FILESTAT_INO, true),
    type: v.getUint8(FILESTAT_FILETYPE),
    nlink: v.getBigUint64(FILESTAT_NLINK, true),
    size: v.getBigUint64(FILESTAT_SIZE_FIELD, true),
    atimeNs: v.getBigUint64(FILESTAT_ATIM, true),
    mtimeNs: v.getBigUint64(FILESTAT_MTIM, true),
    ctimeNs: v.getBigUint64(FILESTAT_CTIM, true),
  };
}

function expected(fd: number, type: number): Record<string, bigint | number> {
  const s = nfs.fstatSync(fd, { bigint: true });
  return { dev: s.dev, ino: s.ino, type, nlink: s.nlink, size: s.size, atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
}

/** Stats fd until WasiStat answers (it answers only descriptors stat'ed often); the calls it took. */
function firstAnswer(ws: WasiStat, fd: number): { calls: number; out: Uint8Array } {
  for (let calls = 1; calls <= WASI_STAT_AFTER; calls++) {
    const out = ws.filestat(fd);
    if (out !== null) return { calls, out };
  }
  assert.fail(`no answer after ${WASI_STAT_AFTER} calls`);
}

test("a descriptor's filestat is fstat's, taken anew at every call", (t) => {
  const dir = scratch('wasistat', t);
  const path = join(dir, 'f');
  nfs.writeFileSync(path, 'ab');
  const fd = nfs.openSync(path, 'r+');
  t.after(() => nfs.closeSync(fd));
  const ws = new WasiStat();
  const { calls, out } = firstAnswer(ws, fd);
  assert.equal(calls, WASI_STAT_AFTER, 'an instance only for a descriptor stat\'ed often');
  assert.deepEqual(fields(out), expected(fd, FILETYPE_REGULAR_FILE));
  // Another writer and exact times set by another process: the next call shows them.
  nfs.appendFileSync(path, 'cdef');
  nfs.utimesSync(path, 1_600_000_000.25, 1_700_000_000.5);
  const now = fields(ws.filestat(fd) ?? assert.fail('no answer'));
  assert.equal(now.size, 6n);
  assert.equal(now.mtimeNs, 1_700_000_000_500_000_000n);
  assert.deepEqual(now, expected(fd, FILETYPE_REGULAR_FILE));
  nfs.linkSync(path, join(dir, 'g'));
  assert.equal(fields(ws.filestat(fd) ?? assert.fail('no answer')).nlink, 2n);
});

test('directories and O_PATH handles answer too', (t) => {
  const dir = scratch('wasistat', t);
  const ws = new WasiStat();
  const d = nfs.openSync(dir, nfs.constants.O_RDONLY | nfs.constants.O_DIRECTORY);
  t.after(() => nfs.closeSync(d));
  assert.deepEqual(fields(firstAnswer(ws, d).out), expected(d, FILETYPE_DIRECTORY));
  nfs.writeFileSync(join(dir, 'f'), 'x');
  const h = nfs.openSync(join(dir, 'f'), 0o10000000 | nfs.constants.O_NOFOLLOW); // O_PATH
  t.after(() => nfs.closeSync(h));
  assert.deepEqual(fields(firstAnswer(ws, h).out), expected(h, FILETYPE_REGULAR_FILE));
});

test('a number forgotten and reused names the new object; one closed behind its back answers null', (t) => {
  const dir = scratch('wasistat', t);
  nfs.writeFileSync(join(dir, 'a'), 'a');
  nfs.writeFileSync(join(dir, 'b'), 'bb');
  const ws = new WasiStat();
  const a = nfs.openSync(join(dir, 'a'), 'r');
  firstAnswer(ws, a);
  ws.forget(a);
  nfs.closeSync(a);
  const b = nfs.openSync(join(dir, 'b'), 'r');
  t.after(() => nfs.closeSync(b));
  assert.equal(b, a, 'the number is reused');
  assert.equal(ws.filestat(b), null, 'a new descriptor starts counting again');
  assert.deepEqual(fields(firstAnswer(ws, b).out), expected(b, FILETYPE_REGULAR_FILE));
  const c = nfs.openSync(join(dir, 'a'), 'r');
  firstAnswer(ws, c);
  nfs.closeSync(c);
  assert.equal(ws.filestat(c), null, 'uvwasi reports EBADF; the caller asks node:fs, which throws it');
});

/** Asks for name in dir's filestat by path until WasiStat answers; the calls it took. */
function firstPathAnswer(ws: WasiStat, via: number, dir: string, name: string): { calls: number; out: Uint8Array } {
  for (let calls = 1; calls <= WASI_STAT_AFTER; calls++) {
    const out = ws.pathFilestat(via, dir, name);
    if (out !== null) return { calls, out };
  }
  assert.fail(`no answer after ${WASI_STAT_AFTER} calls`);
}

function lexpected(path: string, type: number): Record<string, bigint | number> {
  const s = nfs.lstatSync(path, { bigint: true });
  return { dev: s.dev, ino: s.ino, type, nlink: s.nlink, size: s.size, atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
}

test("a path's filestat is lstat's, taken anew at every call, never through a final symlink", (t) => {
  const dir = scratch('wasistat', t);
  const via = nfs.openSync(dir, 'r');
  t.after(() => nfs.closeSync(via));
  nfs.writeFileSync(join(dir, 'f'), 'ab');
  nfs.mkdirSync(join(dir, 'sub'));
  nfs.writeFileSync(join(dir, 'sub', 'é ü'), 'x');
  nfs.symlinkSync('f', join(dir, 'link'));
  const ws = new WasiStat();
  const { calls, out } = firstPathAnswer(ws, via, dir, 'f');
  assert.equal(calls, WASI_STAT_AFTER);
  assert.deepEqual(fields(out), lexpected(join(dir, 'f'), FILETYPE_REGULAR_FILE));
  nfs.appendFileSync(join(dir, 'f'), 'cdef');
  nfs.utimesSync(join(dir, 'f'), 5, 1_700_000_000.5);
  assert.deepEqual(fields(ws.pathFilestat(via, dir, 'f') ?? assert.fail('no answer')), lexpected(join(dir, 'f'), FILETYPE_REGULAR_FILE));
  assert.equal(fields(ws.pathFilestat(via, dir, 'link') ?? assert.fail('no answer')).type, FILETYPE_SYMBOLIC_LINK);
  // Another directory, and a name that is not ASCII, after a longer one.
  const sub = join(dir, 'sub');
  assert.deepEqual(fields(ws.pathFilestat(via, sub, 'é ü') ?? assert.fail('no answer')), lexpected(join(sub, 'é ü'), FILETYPE_REGULAR_FILE));
  assert.deepEqual(fields(ws.pathFilestat(via, dir, 'sub') ?? assert.fail('no answer')), lexpected(sub, FILETYPE_DIRECTORY));
  assert.equal(ws.pathFilestat(via, dir, 'missing'), null);
  assert.equal(ws.pathFilestat(via, dir, 'f\0'), null, 'a NUL never reaches the host');
  assert.equal(ws.pathFilestat(via, '/', 'proc')?.[FILESTAT_FILETYPE], FILETYPE_DIRECTORY, 'a name in "/"');
});

test("the path instance's own descriptor is closed with the directory it was made for", (t) => {
  const dir = scratch('wasistat', t);
  nfs.writeFileSync(join(dir, 'f'), 'x');
  // Descriptors by number, with what each names: compared, not counted, as another test's instance may
  // close one of its own meanwhile (uvwasi's, when the garbage collector frees it).
  const fds = (): Map<string, string> => new Map(nfs.readdirSync('/proc/self/fd').flatMap((fd): [string, string][] => {
    try {
      const to = nfs.readlinkSync(`/proc/self/fd/${fd}`);
      return to.startsWith('/proc/') ? [] : [[fd, to]]; // the listing's own descriptor
    } catch {
      return []; // closed since it was listed
    }
  }));
  const via = nfs.openSync(dir, 'r');
  const before = fds();
  const ws = new WasiStat();
  firstPathAnswer(ws, via, dir, 'f');
  const opened = [...fds()].filter(([fd, to]) => before.get(fd) !== to);
  assert.deepEqual(opened.map(([, to]) => to), ['/'], 'uvwasi opened "/", and nothing else');
  ws.forget(via);
  nfs.closeSync(via);
  const after = fds();
  assert.ok(opened.every(([fd, to]) => after.get(fd) !== to), 'the instance\'s "/" is closed');
  assert.notEqual(after.get(String(via)), dir, 'via is closed');
  assert.equal(ws.pathFilestat(via, dir, 'f'), null, 'a new instance is made only after as many calls again');
});

test('loading node:wasi puts no "experimental" warning on stderr; other warnings still show', (t) => {
  // In a process of its own: Node warns once per process, when node:wasi is first loaded.
  const dir = scratch('wasistat', t);
  nfs.writeFileSync(join(dir, 'f'), 'x');
  const script = [
    `import { openSync } from 'node:fs';`,
    `import { WasiStat } from ${JSON.stringify(fileURLToPath(new URL('./wasistat.ts', import.meta.url)))};`,
    `const fd = openSync(${JSON.stringify(join(dir, 'f'))}, 'r');`,
    `const ws = new WasiStat();`,
    `let out = null;`,
    `for (let i = 0; i < ${WASI_STAT_AFTER} && out === null; i++) out = ws.filestat(fd);`,
    `if (out === null) throw new Error('no answer');`,
    `process.emitWarning('a warning of our own');`,
  ].join('\n');
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /a warning of our own/);
  assert.doesNotMatch(r.stderr, /experimental/i);
});
