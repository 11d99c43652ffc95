// tmpfs file times as Linux keeps them: a write stamps mtime and ctime with the time of the write
// (Linux: file_update_time, from a clock never ahead of any later reading). Stamping lazily, when the
// times are next read, would be cheaper per write but shows a guest a file modified after a clock
// reading it took after the write, and files written in one order appearing newer in another.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { O_CREAT, O_WRONLY } from '../../abi/open.js';
import { VirtualFilesystem, type PathContext, type PathStart } from '../../vfs/vfs.js';
import { Tmpfs } from './tmpfs.js';

function setup(): { vfs: VirtualFilesystem; ctx: PathContext; root: PathStart; clock: { ns: bigint } } {
  const clock = { ns: 1_000n };
  const vfs = new VirtualFilesystem();
  const m = vfs.newMount(new Tmpfs({ dev: 1, now: () => clock.ns }), 0);
  const ctx: PathContext = { root: { mount: m, dentry: m.root }, caller: { pid: 1, creds: { uid: 0, gid: 0 } } };
  return { vfs, ctx, root: { at: ctx.root }, clock };
}

function write(s: ReturnType<typeof setup>, path: string): void {
  const f = s.vfs.openAt(s.ctx, s.root, path, { flags: O_WRONLY | O_CREAT, perm: 0o644 });
  f.write(new TextEncoder().encode('x'));
  f.decRef();
}

test('a write stamps mtime and ctime with the time of the write, not of the next stat', () => {
  const s = setup();
  s.clock.ns = 2_000n;
  write(s, '/f');
  s.clock.ns = 3_000n; // a clock reading the guest could take after the write
  const st = s.vfs.statAt(s.ctx, s.root, '/f', true);
  assert.equal(st.mtimeNs, 2_000n);
  assert.equal(st.ctimeNs, 2_000n);
});

test('files written a then b show a no newer than b, whichever is looked at first', () => {
  const s = setup();
  s.clock.ns = 2_000n;
  write(s, '/a');
  s.clock.ns = 3_000n;
  write(s, '/b');
  s.clock.ns = 4_000n;
  const b = s.vfs.statAt(s.ctx, s.root, '/b', true).mtimeNs;
  s.clock.ns = 5_000n;
  const a = s.vfs.statAt(s.ctx, s.root, '/a', true).mtimeNs;
  assert.ok(a < b, `a written first has mtime ${a}, b ${b}`);
});
