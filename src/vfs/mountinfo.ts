// The mount table as /proc/<pid>/mountinfo and /proc/<pid>/mounts show it, like Linux's show_mountinfo()
// and show_vfsmnt() (fs/proc_namespace.c), in proc(5)'s format. Mountpoints are __d_path()s from the
// reader's root, so mounts outside it (beyond a chroot, or detached) are left out, as Linux leaves them.
// One line's fields (mountinfoEntry) read only MountinfoMount, which a checkpoint's saved records meet too.
import {
  MNT_LOCK_ATIME, MNT_LOCK_NODEV, MNT_LOCK_NOEXEC, MNT_LOCK_NOSUID, MNT_LOCK_READONLY, MNT_LOCKED, MNT_NOATIME,
  MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY, MNT_RELATIME,
} from '../abi/mount.js';
import { devMajor, devMinor } from '../abi/stat.js';
import { dentryPath, rawPathOf, type PathLocation, type PathMount, type RawPath } from './dpath.js';
import type { MountNamespace, VirtualDentry } from './mount.js';

/** What a mountinfo line reads of a filesystem: vfs's Filesystem, or a saved filesystem record. */
export interface MountinfoFs {
  readonly fsType: string;
  /** "" shows as "none". */
  readonly source: string;
  readonly readOnly: boolean;
  /** Without the leading rw/ro: "size=65536k,mode=1777", or "". */
  superOptions(): string;
}

/** What a mountinfo line reads of a mount: vfs's Mount, or a saved mount record. */
export interface MountinfoMount extends PathMount {
  readonly id: number;
  /** MNT_* flags, locks included. */
  readonly flags: number;
  readonly parent: MountinfoMount | null;
  readonly fs: MountinfoFs;
}

/** One mountinfo line as fields, nothing escaped yet (proc(5)'s fields 1, 2, 4 to 6 and 8 to 10). */
export interface MountinfoEntry {
  id: number;
  /** The parent's id; a namespace root shows its own, as Linux's (whose mnt_parent is itself). */
  parentId: number;
  /** The mount's root inside its filesystem; "//deleted" is Linux's mark for an unlinked one. */
  root: string;
  /** The mountpoint from the reader's root, and whether the walk met that root (mountinfo omits it if not). */
  mountpoint: RawPath;
  /** Per-mount options: "rw,nosuid,nodev". */
  options: string;
  fstype: string;
  source: string;
  /** The filesystem's own: "rw,size=65536k,mode=1777". */
  superOptions: string;
}

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

/** The locks a less privileged user namespace cannot clear (MNT_LOCK_*, MNT_LOCKED), by the flag they hold. */
const MOUNT_LOCK_NAMES: ReadonlyArray<readonly [number, string]> = [
  [MNT_LOCK_READONLY, 'readonly'],
  [MNT_LOCK_NOSUID, 'nosuid'],
  [MNT_LOCK_NODEV, 'nodev'],
  [MNT_LOCK_NOEXEC, 'noexec'],
  [MNT_LOCK_ATIME, 'atime'],
  [MNT_LOCKED, 'umount'],
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

/** mountinfo's per-mount options: "ro" or "rw", then the flags ("rw,nosuid,nodev"). */
export function mountOptions(flags: number): string {
  return ((flags & MNT_READONLY) !== 0 ? 'ro' : 'rw') + mountFlagOptions(flags);
}

/** The locks among flags, by name: readonly, nosuid, nodev, noexec, atime (MNT_LOCK_*), umount (MNT_LOCKED). */
export function mountLocks(flags: number): string[] {
  return MOUNT_LOCK_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
}

/** shmem_show_options(): a tmpfs's super options, "size=65536k,mode=1777" (no size when unlimited). */
export function tmpfsSuperOptions(sizeBytes: number | undefined, rootPerm: number): string {
  const mode = `mode=${rootPerm.toString(8).padStart(3, '0')}`;
  return sizeBytes === undefined ? mode : `size=${Math.floor(sizeBytes / 1024)}k,${mode}`;
}

/** The filesystem's own options after its "rw"/"ro" (",size=65536k,mode=755"), or ''. */
function superOptions(m: MountinfoMount): string {
  const opts = m.fs.superOptions();
  return opts === '' ? '' : ',' + opts;
}

/**
 * The optional fields (shared:N, master:N, propagate_from:N, unbindable), each with a leading space.
 * Mounts are private until propagation groups exist, and a private mount has none.
 */
function optionalFields(_m: MountinfoMount): string {
  return '';
}

/** The fields of m's mountinfo line for a reader whose root is root (show_mountinfo()). */
export function mountinfoEntry(m: MountinfoMount, root: PathLocation): MountinfoEntry {
  return {
    id: m.id,
    parentId: m.parent === null ? m.id : m.parent.id,
    root: m.root.dead ? dentryPath(m.root) + '//deleted' : dentryPath(m.root),
    mountpoint: rawPathOf(root, { mount: m, dentry: m.root }),
    options: mountOptions(m.flags),
    fstype: m.fs.fsType,
    source: m.fs.source === '' ? 'none' : m.fs.source,
    superOptions: (m.fs.readOnly ? 'ro' : 'rw') + superOptions(m),
  };
}

/**
 * /proc/<pid>/mountinfo for a process whose mount namespace is ns and whose root is root: one line per
 * mount reachable from root, in ns.mounts() order:
 * `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
 */
export function mountinfo(ns: MountNamespace, root: VirtualDentry): string {
  let out = '';
  for (const m of ns.mounts()) {
    const e = mountinfoEntry(m, root);
    if (e.mountpoint.reach !== 'root') continue;
    const dev = m.fs.dev;
    out +=
      `${e.id} ${e.parentId} ${devMajor(dev)}:${devMinor(dev)} ${escapeMountField(e.root)} ` +
      `${escapeMountField(e.mountpoint.path)} ${e.options}${optionalFields(m)} - ` +
      `${escapeMountField(e.fstype)} ${escapeMountField(e.source)} ${e.superOptions}\n`;
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
    const e = mountinfoEntry(m, root);
    if (e.mountpoint.reach !== 'root') continue;
    out +=
      `${escapeMountField(e.source)} ${escapeMountField(e.mountpoint.path)} ${escapeMountField(e.fstype)} ` +
      `${m.readOnly ? 'ro' : 'rw'}${mountFlagOptions(m.flags)}${superOptions(m)} 0 0\n`;
  }
  return out;
}
