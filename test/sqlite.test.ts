// A real program nobody here wrote: SQLite (built by scripts/build-sqlite.mjs) running transactions on a
// database in a host directory and on Amber's own tmpfs, giving the same answer as under node:wasi.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { scratch } from '../src/host/testing/scratch.js';
import { amber, repo, runScript } from './testing/amber.js';
import { sqliteGuest } from './testing/sqlite.js';

describe('SQLite as a guest', () => {
  let wasm = '';
  before(() => {
    wasm = sqliteGuest();
  });

  test('30 transactions on a host directory: the rows are there, the file is on the host', (t) => {
    const dir = scratch('sqlite', t);
    const r = amber(['do', '--dir', `${dir}:/db`, '--', wasm, '/db', '30', '--progress', '10']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sqlite 3\.\d+\.\d+\ntx 10\ntx 20\ntx 30\n/);
    assert.match(r.stdout, /^rows 30 sum 465$/m);
    assert.ok(statSync(join(dir, 'bench.db')).size >= 4096, 'bench.db on the host');
  });

  test("on Amber's tmpfs, the same answer as node:wasi's on a host directory", (t) => {
    const r = amber(['do', '--', wasm, '/tmp', '30']);
    assert.equal(r.code, 0, r.stderr);
    const dir = scratch('sqlite', t);
    const n = runScript(join(repo, 'scripts', 'run-wasi.mjs'), ['--dir', `${dir}:/db`, '--', wasm, '/db', '30']);
    assert.equal(n.code, 0, n.stderr);
    const last = (s: string): string | undefined => /^rows .*$/m.exec(s)?.[0];
    assert.equal(last(r.stdout), 'rows 30 sum 465');
    assert.equal(last(n.stdout), last(r.stdout));
  });
});
