// The mount table as /proc/<pid>/mountinfo and /proc/<pid>/mounts show it, like Linux's show_mountinfo()
// and show_vfsmnt() (fs/proc_namespace.c), in proc(5)'s format. Mountpoints are __d_path()s from the
// reader's root, so mounts outside it (beyond a chroot, or detached) are left out, as Linux leaves them.
import {
  MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY, MNT_RELATIME,
} from '../abi/mount.js';
import { devMajor, devMinor } from '../abi/stat.js';
import { pathUnder } from './dpath.js';
import type { Mount, MountNamespace, VirtualDentry } from './mount.js';

/** show_mnt_opts(): the per-mount flags after "rw"/"ro", in Linux's order. */
const MOUNT_OPTION_NAMES: ReadonlyArray<readonly [number, string]> = [
  [MNT_NOSUID, 'nosuid'],
  [MNT_NODEV, 'nodev'],
  [MNT_NOEXEC, 'noexec'],
  [MNT_NOATIME, 'noatime'],
  [MNT_NODIRATIME, 'nodiratime'],
  [MNT_RELATIME, 'relatime'],
  [MNT_NOSYMFOLLOW, 'nosymfollow'],
];

/**
 * Escapes space, tab, newline and backslash as three-digit octal (\040, \011, \012, \134), as Linux's
 * mangle()/seq_escape() do for every path and name field of mountinfo and mounts.
 */
export function escapeMountField(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** The per-mount flags after "rw"/"ro" (",nosuid,nodev,relatime"), each with its leading comma. */
function mountFlagOptions(flags: number): string {
  let out = '';
  for (const [bit, name] of MOUNT_OPTION_NAMES) if ((flags & bit) !== 0) out += ',' + name;
  return out;
}

/** The filesystem's own options after its "rw"/"ro" (",size=65536k,mode=755"), or ''. */
function superOptions(m: Mount): string {
  const opts = m.fs.superOptions();
  return opts === '' ? '' : ',' + opts;
}

/** dentry_path(): the mount's root inside its filesystem; "//deleted" is Linux's mark for an unlinked one. */
function rootInFs(m: Mount): string {
  const p = m.root.pathInFs();
  return m.root.dead ? p + '//deleted' : p;
}

function sourceOf(m: Mount): string {
  return escapeMountField(m.fs.source === '' ? 'none' : m.fs.source);
}

/**
 * The optional fields (shared:N, master:N, propagate_from:N, unbindable), each with a leading space.
 * Mounts are private until propagation groups exist, and a private mount has none.
 */
function optionalFields(_m: Mount): string {
  return '';
}

/**
 * /proc/<pid>/mountinfo for a process whose mount namespace is ns and whose root is root: one line per
 * mount reachable from root, in ns.mounts() order:
 * `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
 * The namespace's root mount has no parent; it shows its own id, as Linux's (whose mnt_parent is itself).
 */
export function mountinfo(ns: MountNamespace, root: VirtualDentry): string {
  let out = '';
  for (const m of ns.mounts()) {
    const mountpoint = pathUnder(root, { mount: m, dentry: m.root });
    if (mountpoint === null) continue;
    const parentId = m.parent === null ? m.id : m.parent.id;
    const dev = m.fs.dev;
    out +=
      `${m.id} ${parentId} ${devMajor(dev)}:${devMinor(dev)} ${escapeMountField(rootInFs(m))} ` +
      `${escapeMountField(mountpoint)} ${(m.flags & MNT_READONLY) !== 0 ? 'ro' : 'rw'}${mountFlagOptions(m.flags)}` +
      `${optionalFields(m)} - ${escapeMountField(m.fs.fsType)} ${sourceOf(m)} ` +
      `${m.fs.readOnly ? 'ro' : 'rw'}${superOptions(m)}\n`;
  }
  return out;
}

/**
 * /proc/<pid>/mounts (and /etc/mtab's format): `source mountpoint fstype options 0 0`, where options
 * are "ro" when the mount or its filesystem is read-only ("rw" otherwise), then the per-mount flags,
 * then the filesystem's options. Same mounts and order as mountinfo().
 */
export function mounts(ns: MountNamespace, root: VirtualDentry): string {
  let out = '';
  for (const m of ns.mounts()) {
    const mountpoint = pathUnder(root, { mount: m, dentry: m.root });
    if (mountpoint === null) continue;
    out +=
      `${sourceOf(m)} ${escapeMountField(mountpoint)} ${escapeMountField(m.fs.fsType)} ` +
      `${m.readOnly ? 'ro' : 'rw'}${mountFlagOptions(m.flags)}${superOptions(m)} 0 0\n`;
  }
  return out;
}
