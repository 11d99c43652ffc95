// mount(2)/umount2(2) rules: tmpfs stacking, bind mounts, remount flags and Linux's locked-flag rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EBUSY, EINVAL, EPERM, EROFS } from '../abi/errno.js';
import * as M from '../abi/mount.js';
import { O_CREAT, O_WRONLY } from '../abi/open.js';
import { KernelError } from '../base/error.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { MountNamespace } from '../vfs/mount.js';
import { Kernel } from './kernel.js';
import { lockedFlagsOf, mount, umount } from './mount.js';
import { Process } from './process.js';

function setup(): { kernel: Kernel; proc: Process } {
  let t = 0n;
  const kernel = new Kernel({
    clock: { realtimeNs: () => ++t, monotonicNs: () => ++t, cputimeNs: () => 0n, sleepNs: () => {} },
    random: { fill: (b) => b.fill(4) },
  });
  const root = new Tmpfs({ dev: kernel.allocDev(), now: kernel.now });
  const ns = new MountNamespace(kernel.vfs.newMount(root, 0));
  const proc = new Process(kernel, { mounts: ns, argv: ['t'], env: [] });
  for (const d of ['/mnt', '/mnt/x', '/stack', '/shm']) kernel.vfs.mkdirAt(proc.ctx, { at: proc.root }, d, 0o755);
  return { kernel, proc };
}

function errnoOf(fn: () => void): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  return 0;
}

function create(proc: Process, path: string): number {
  return errnoOf(() => proc.kernel.vfs.openAt(proc.ctx, { at: proc.root }, path, { flags: O_CREAT | O_WRONLY, perm: 0o644 }).decRef());
}

test('a tmpfs mounted over a parent hides the mount under it; a second one on the same mountpoint stacks', () => {
  const { kernel, proc } = setup();
  mount(proc, 'tmpfs', '/mnt/x', 'tmpfs', 0, null);
  assert.equal(create(proc, '/mnt/x/f'), 0);
  mount(proc, 'tmpfs', '/mnt', 'tmpfs', 0, null);
  assert.throws(() => kernel.vfs.statAt(proc.ctx, { at: proc.root }, '/mnt/x/f', true));
  mount(proc, 'tmpfs', '/stack', 'tmpfs', 0, null);
  assert.equal(create(proc, '/stack/f'), 0);
  mount(proc, 'tmpfs', '/stack', 'tmpfs', 0, null);
  assert.throws(() => kernel.vfs.statAt(proc.ctx, { at: proc.root }, '/stack/f', true));
  umount(proc, '/stack', 0);
  assert.equal(kernel.vfs.statAt(proc.ctx, { at: proc.root }, '/stack/f', true).type, 'reg');
});

test('a read-only bind remount makes writes EROFS; a bind shows the same files', () => {
  const { proc } = setup();
  mount(proc, 'tmpfs', '/mnt/x', 'tmpfs', 0, null);
  assert.equal(create(proc, '/mnt/x/f'), 0);
  mount(proc, '/mnt/x', '/stack', null, M.MS_BIND, null);
  assert.equal(create(proc, '/stack/g'), 0);
  assert.equal(proc.kernel.vfs.statAt(proc.ctx, { at: proc.root }, '/mnt/x/g', true).type, 'reg');
  mount(proc, null, '/stack', null, M.MS_REMOUNT | M.MS_BIND | M.MS_RDONLY, null);
  assert.equal(create(proc, '/stack/h'), EROFS);
  assert.equal(create(proc, '/mnt/x/h'), 0);
});

test('locked flags cannot be cleared (EPERM); a remount keeping them succeeds', () => {
  const { kernel, proc } = setup();
  mount(proc, 'shm', '/shm', 'tmpfs', M.MS_NOSUID | M.MS_NODEV | M.MS_NOEXEC | M.MS_RDONLY, null);
  const at = kernel.vfs.resolve(proc.ctx, { at: proc.root }, '/shm', true);
  at.mount.flags |= lockedFlagsOf(at.mount.flags);
  const keep = M.MS_RDONLY | M.MS_NOSUID | M.MS_NODEV | M.MS_NOEXEC;
  assert.equal(errnoOf(() => mount(proc, null, '/shm', null, M.MS_REMOUNT | M.MS_BIND | (keep & ~M.MS_NOSUID), null)), EPERM);
  assert.equal(errnoOf(() => mount(proc, null, '/shm', null, M.MS_REMOUNT | M.MS_BIND | (keep & ~M.MS_RDONLY), null)), EPERM);
  assert.equal(errnoOf(() => mount(proc, null, '/shm', null, M.MS_REMOUNT | M.MS_BIND | keep, null)), 0);
  assert.equal(at.mount.flags & (M.MNT_NOSUID | M.MNT_READONLY), M.MNT_NOSUID | M.MNT_READONLY);
});

test('umount: EINVAL off a mount root, EBUSY with mounts under it unless MNT_DETACH', () => {
  const { proc } = setup();
  mount(proc, 'tmpfs', '/mnt', 'tmpfs', 0, null);
  proc.kernel.vfs.mkdirAt(proc.ctx, { at: proc.root }, '/mnt/y', 0o755);
  mount(proc, 'tmpfs', '/mnt/y', 'tmpfs', 0, null);
  assert.equal(errnoOf(() => umount(proc, '/stack', 0)), EINVAL);
  assert.equal(errnoOf(() => umount(proc, '/mnt', 0)), EBUSY);
  assert.equal(errnoOf(() => umount(proc, '/mnt', M.MNT_DETACH)), 0);
  assert.equal(proc.kernel.vfs.statAt(proc.ctx, { at: proc.root }, '/mnt/x', true).type, 'dir');
});
