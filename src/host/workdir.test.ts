// host/workdir: the working directory lent to host directories moves to a descriptor's very directory,
// notices when something else moved it, forgets a closed descriptor, and comes back when released.
import assert from 'node:assert/strict';
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scratch } from './testing/scratch.js';
import { WorkingDirectoryLease } from './workdir.js';

const FD_DIR = `/proc/${process.pid}/fd/`;

test('a lease moves to the directory a descriptor holds, checks it is still there, and gives it back', (t) => {
  const top = scratch('workdir', t);
  for (const d of ['a', 'b']) nfs.mkdirSync(join(top, d));
  const a = nfs.openSync(join(top, 'a'), 'r');
  const b = nfs.openSync(join(top, 'b'), 'r');
  t.after(() => {
    nfs.closeSync(a);
    nfs.closeSync(b);
  });
  const before = process.cwd();
  const one = WorkingDirectoryLease.take();
  const two = WorkingDirectoryLease.take();
  assert.ok(one !== null && two !== null);
  try {
    assert.ok(one.moveTo(a, FD_DIR));
    assert.equal(process.cwd(), join(top, 'a'));
    // Renamed on the host: still that directory, as after fchdir(2).
    nfs.renameSync(join(top, 'a'), join(top, 'a2'));
    nfs.writeFileSync('x', 'made in a');
    assert.equal(nfs.readFileSync(join(top, 'a2', 'x'), 'utf8'), 'made in a');
    // Moved by something else: noticed, and moved back before a name is used.
    assert.ok(two.moveTo(b, FD_DIR));
    assert.equal(process.cwd(), join(top, 'b'));
    assert.ok(one.moveTo(a, FD_DIR));
    assert.equal(process.cwd(), join(top, 'a2'));
    // A closed descriptor's number may name another directory next: not trusted again.
    one.closed(a);
    process.chdir(join(top, 'b'));
    assert.ok(one.moveTo(a, FD_DIR));
    assert.equal(process.cwd(), join(top, 'a2'));
    one.release();
    assert.equal(process.cwd(), before, 'the working directory is given back');
    assert.equal(one.moveTo(a, FD_DIR), false, 'a released lease moves it no more');
    assert.equal(process.cwd(), before);
  } finally {
    one.release();
    two.release();
    process.chdir(before);
  }
});
