// The `options` of an OCI mount (`["rbind", "ro"]`, `["nosuid", "mode=1777", "size=65536k"]`) read as
// mount(2) would be called, like runc's parseMountOptions (libcontainer/specconv): flag words set or
// clear MS_* bits, later words win, propagation words go apart, anything else is filesystem data.
import {
  MNT_NOATIME,
  MNT_NODEV,
  MNT_NODIRATIME,
  MNT_NOEXEC,
  MNT_NOSUID,
  MNT_NOSYMFOLLOW,
  MNT_READONLY,
  MNT_RELATIME,
  MS_BIND,
  MS_DIRSYNC,
  MS_LAZYTIME,
  MS_MANDLOCK,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_NOSYMFOLLOW,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SILENT,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
} from '../../abi/mount.js';

/** Each flag word: the MS_* bits it sets, or clears when `clear`. */
const FLAG_WORDS: Record<string, { bits: number; clear?: true }> = {
  defaults: { bits: 0 },
  ro: { bits: MS_RDONLY },
  rw: { bits: MS_RDONLY, clear: true },
  nosuid: { bits: MS_NOSUID },
  suid: { bits: MS_NOSUID, clear: true },
  nodev: { bits: MS_NODEV },
  dev: { bits: MS_NODEV, clear: true },
  noexec: { bits: MS_NOEXEC },
  exec: { bits: MS_NOEXEC, clear: true },
  noatime: { bits: MS_NOATIME },
  atime: { bits: MS_NOATIME, clear: true },
  nodiratime: { bits: MS_NODIRATIME },
  diratime: { bits: MS_NODIRATIME, clear: true },
  relatime: { bits: MS_RELATIME },
  norelatime: { bits: MS_RELATIME, clear: true },
  strictatime: { bits: MS_STRICTATIME },
  nostrictatime: { bits: MS_STRICTATIME, clear: true },
  nosymfollow: { bits: MS_NOSYMFOLLOW },
  symfollow: { bits: MS_NOSYMFOLLOW, clear: true },
  sync: { bits: MS_SYNCHRONOUS },
  async: { bits: MS_SYNCHRONOUS, clear: true },
  dirsync: { bits: MS_DIRSYNC },
  mand: { bits: MS_MANDLOCK },
  nomand: { bits: MS_MANDLOCK, clear: true },
  lazytime: { bits: MS_LAZYTIME },
  nolazytime: { bits: MS_LAZYTIME, clear: true },
  silent: { bits: MS_SILENT },
  loud: { bits: MS_SILENT, clear: true },
  remount: { bits: MS_REMOUNT },
  bind: { bits: MS_BIND },
  rbind: { bits: MS_BIND | MS_REC },
};

export type Propagation = 'private' | 'shared' | 'slave' | 'unbindable';

const PROPAGATION_WORDS: Record<string, { kind: Propagation; recursive: boolean }> = {
  private: { kind: 'private', recursive: false },
  rprivate: { kind: 'private', recursive: true },
  shared: { kind: 'shared', recursive: false },
  rshared: { kind: 'shared', recursive: true },
  slave: { kind: 'slave', recursive: false },
  rslave: { kind: 'slave', recursive: true },
  unbindable: { kind: 'unbindable', recursive: false },
  runbindable: { kind: 'unbindable', recursive: true },
};

/** MS_* mount(2) flags and the per-mount MNT_* flag each leaves on the mount. */
const MS_TO_MNT: ReadonlyArray<readonly [number, number]> = [
  [MS_RDONLY, MNT_READONLY],
  [MS_NOSUID, MNT_NOSUID],
  [MS_NODEV, MNT_NODEV],
  [MS_NOEXEC, MNT_NOEXEC],
  [MS_NOATIME, MNT_NOATIME],
  [MS_NODIRATIME, MNT_NODIRATIME],
  [MS_RELATIME, MNT_RELATIME],
  [MS_NOSYMFOLLOW, MNT_NOSYMFOLLOW],
];

/** OCI mount options as mount(2) sees them. */
export interface MountOptions {
  /** mount(2) flags (MS_*), MS_BIND and MS_REC included for "bind"/"rbind". */
  ms: number;
  /** The per-mount flags (MNT_*) those leave on the mount: read-only, nosuid, nodev, noexec, atime ones. */
  mnt: number;
  /** "bind" or "rbind" was given. */
  bind: boolean;
  /** "rbind": submounts of the source come along. */
  recursive: boolean;
  /** The last propagation word ("rprivate" gives private, recursive), applied after the mount. */
  propagation?: { kind: Propagation; recursive: boolean };
  /** Every other word, in order: mount(2)'s data for the filesystem ("mode=1777", "size=65536k"). */
  data: string[];
}

/** Reads OCI mount options; never fails (unknown words are data, as with runc). */
export function parseMountOptions(options: readonly string[]): MountOptions {
  let ms = 0;
  let propagation: MountOptions['propagation'];
  const data: string[] = [];
  for (const word of options) {
    const flag = FLAG_WORDS[word];
    if (flag !== undefined) {
      ms = flag.clear === true ? ms & ~flag.bits : ms | flag.bits;
      continue;
    }
    const prop = PROPAGATION_WORDS[word];
    if (prop !== undefined) {
      propagation = prop;
      continue;
    }
    data.push(word);
  }
  const out: MountOptions = { ms, mnt: mntFlagsOf(ms), bind: (ms & MS_BIND) !== 0, recursive: (ms & MS_REC) !== 0, data };
  if (propagation !== undefined) out.propagation = propagation;
  return out;
}

/** The MNT_* per-mount flags that mount(2) flags leave on a mount. */
export function mntFlagsOf(ms: number): number {
  let mnt = 0;
  for (const [m, n] of MS_TO_MNT) if ((ms & m) !== 0) mnt |= n;
  return mnt;
}

/** The value of the last "key=value" word for key in data, if any. */
export function dataValue(data: readonly string[], key: string): string | undefined {
  let v: string | undefined;
  for (const w of data) if (w.startsWith(key + '=')) v = w.slice(key.length + 1);
  return v;
}

/** Names of MNT_* flags set in mnt, as mountinfo spells them: "ro,nosuid,nodev,noexec" ("rw" if none of ro). */
export function mntFlagNames(mnt: number): string {
  const names = [(mnt & MNT_READONLY) !== 0 ? 'ro' : 'rw'];
  if ((mnt & MNT_NOSUID) !== 0) names.push('nosuid');
  if ((mnt & MNT_NODEV) !== 0) names.push('nodev');
  if ((mnt & MNT_NOEXEC) !== 0) names.push('noexec');
  if ((mnt & MNT_NOSYMFOLLOW) !== 0) names.push('nosymfollow');
  if ((mnt & MNT_NOATIME) !== 0) names.push('noatime');
  if ((mnt & MNT_NODIRATIME) !== 0) names.push('nodiratime');
  if ((mnt & MNT_RELATIME) !== 0) names.push('relatime');
  return names.join(',');
}
