// A read-only view of a HostDirectoryAccess, as a read-only bind mount is on the host side of runc's
// mounts: whatever the guest does to its own mount flags, a volume the spec mounts read-only refuses every
// change at the host boundary too (EROFS), before a host call is made. Reads, lookups and descriptor
// bookkeeping pass through unchanged.
import { EROFS } from '../../abi/errno.js';
import { O_ACCMODE, O_CREAT, O_RDONLY, O_TRUNC } from '../../abi/open.js';
import { KernelError } from '../../base/error.js';
import type { HostDirectoryAccess, HostFd, HostTime } from './host.js';

function refuse(): never {
  throw new KernelError(EROFS, 'the host directory is mounted read-only');
}

/** An open that could change the object: write access, creation or truncation. */
function writes(flags: number): boolean {
  return (flags & O_ACCMODE) !== O_RDONLY || (flags & (O_CREAT | O_TRUNC)) !== 0;
}

/** host, with every call that would change the host directory refused with EROFS. */
export function readOnlyAccess(host: HostDirectoryAccess): HostDirectoryAccess {
  const view: HostDirectoryAccess = {
    openRoot: () => host.openRoot(),
    lookup: (dir, name) => host.lookup(dir, name),
    statAt: (dir, name) => host.statAt(dir, name),
    readdir: (dir) => host.readdir(dir),
    openDirAt: (dir, name) => host.openDirAt(dir, name),
    openAt: (dir: HostFd, name: string, flags: number, perm: number) => (writes(flags) ? refuse() : host.openAt(dir, name, flags, perm)),
    openPathAt: (dir, name) => host.openPathAt(dir, name),
    mkdirAt: refuse,
    symlinkAt: refuse,
    linkAt: refuse,
    unlinkAt: refuse,
    rmdirAt: refuse,
    renameAt: refuse,
    readlinkAt: (dir, name) => host.readlinkAt(dir, name),
    setTimesAt: (_dir: HostFd, _name: string, _a: HostTime, _m: HostTime) => refuse(),
    reopen: (fd, flags) => (writes(flags) ? refuse() : host.reopen(fd, flags)),
    attr: (fd) => host.attr(fd),
    stat: (fd) => host.stat(fd),
    chmod: refuse,
    setTimes: refuse,
    truncate: refuse,
    read: (fd, dst, offset) => host.read(fd, dst, offset),
    write: refuse,
    size: (fd) => host.size(fd),
    sync: (fd) => host.sync(fd),
    close: (fd) => host.close(fd),
  };
  const filestat = host.filestat;
  if (filestat !== undefined) view.filestat = (fd) => filestat.call(host, fd);
  const still = host.stillNames;
  if (still !== undefined) view.stillNames = (dir, name, dev, ino, type) => still.call(host, dir, name, dev, ino, type);
  const stillStat = host.stillNamesStat;
  if (stillStat !== undefined) view.stillNamesStat = (dir, name, dev, ino, type) => stillStat.call(host, dir, name, dev, ino, type);
  const stillFilestat = host.stillNamesFilestat;
  if (stillFilestat !== undefined) {
    view.stillNamesFilestat = (dir, name, dev, ino, type) => stillFilestat.call(host, dir, name, dev, ino, type);
  }
  const question = host.filestatQuestion;
  if (question !== undefined) view.filestatQuestion = (dir, name, dev, ino, type) => question.call(host, dir, name, dev, ino, type);
  const lookupStat = host.lookupStat;
  if (lookupStat !== undefined) view.lookupStat = (dir, name) => lookupStat.call(host, dir, name);
  return view;
}
