// tmpfs, like Linux's shmem filesystem: a directory tree kept entirely in memory. The dentry tree is
// the filesystem: a directory's entries are its dentry's children, a hard link is a second dentry on
// the same inode, and an unlinked file lives on while a description holds its dentry. size= bounds the
// bytes its files' pages hold (shmem's max_blocks): a write that needs more fails with ENOSPC. Pages a
// file frees are kept for its next ones (a few, zeroed when handed out), as the kernel's per-CPU page
// lists keep freed pages hot: allocating a page buffer costs ~1 µs, SQLite's journal takes 4 a transaction.
import { EEXIST, EINVAL, ENOSPC, ENOTEMPTY } from '../../abi/errno.js';
import { KernelError } from '../../base/error.js';
import { PAGE_SIZE, type PageSource } from '../../base/sparse.js';
import { external, int, opt, ref, savable, str } from '../../state/index.js';
import { Dentry } from '../../vfs/dentry.js';
import { CLOCK_KEY, nowOf, type RealtimeClock } from '../../vfs/external.js';
import { Filesystem, type Creds, type DirEntry } from '../../vfs/filesystem.js';
import { tmpfsSuperOptions } from '../../vfs/mountinfo.js';
import type { MemoryAccount } from '../../vfs/memaccount.js';
import { TmpfsInode } from './inode.js';

export interface TmpfsOptions {
  /** st_dev for every inode. */
  dev: number;
  /** Realtime clock, nanoseconds since the epoch. */
  now: () => bigint;
  /** mountinfo's source field ("tmpfs", "shm", ...). */
  source?: string;
  /** Mode of the root directory (default 0o755; /dev/shm uses 0o1777). */
  rootPerm?: number;
  /** size= in bytes: the most its files' pages may hold (ENOSPC past it), shown in mountinfo. */
  sizeBytes?: number;
}

/** How many freed pages a tmpfs keeps for its next writes (128 KiB). */
export const SPARE_PAGES = 32;

export class Tmpfs extends Filesystem {
  readonly fsType = 'tmpfs';
  readonly dev: number;
  readonly source: string;
  readonly now: () => bigint;
  /** Made by the constructor, or set by fill() on a load. */
  #root!: Dentry;
  readonly #sizeBytes: number | undefined;
  #nextIno = 1;
  /** Bytes of file pages held, by named files and by unlinked ones still open (not saved: counted as
   *  a load makes the inodes). */
  #used = 0;
  /** Freed pages kept for the next ones (not saved). The memory account is charged with #used and these
   *  alike: they are host memory it holds, given back when a charge would otherwise fail. */
  #spare: Uint8Array[] = [];
  /** The memory limit its pages count against (a container's or the pod's), set by who mounts it; not saved. */
  #account: MemoryAccount | null = null;
  /** Takes #spare back from #account's reclaim. */
  #unregister: (() => void) | null = null;
  /** Where its files' pages come from and go back to: the spare pages, then fresh buffers. */
  readonly pages: PageSource = {
    take: () => {
      const page = this.#spare.pop();
      if (page === undefined) return new Uint8Array(PAGE_SIZE);
      page.fill(0);
      return page;
    },
    give: (page) => {
      if (this.#spare.length < SPARE_PAGES) this.#spare.push(page);
      else this.#account?.uncharge(PAGE_SIZE);
    },
  };

  /** A new, empty tmpfs; or (given `loaded`, a load) one without a root yet, which fill() sets. */
  constructor(opts: TmpfsOptions, loaded?: { nextIno: number }) {
    super();
    this.dev = opts.dev;
    this.now = opts.now;
    this.source = opts.source ?? 'tmpfs';
    this.#sizeBytes = opts.sizeBytes;
    if (loaded !== undefined) {
      this.#nextIno = loaded.nextIno;
      return;
    }
    this.#root = new Dentry('/', null, new TmpfsInode(this, this.#allocIno(), 'dir', opts.rootPerm ?? 0o755, { uid: 0, gid: 0 }));
  }

  /** Bytes the files' pages hold now. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Bytes of spare pages held for the next writes. */
  get spareBytes(): number {
    return this.#spare.length * PAGE_SIZE;
  }

  /** Counts its pages, those held now (spare ones too) and to come, against account. */
  chargeTo(account: MemoryAccount): void {
    const held = this.#used + this.spareBytes;
    this.#account?.uncharge(held);
    this.#unregister?.();
    this.#account = account;
    account.uncharge(-held);
    this.#unregister = account.reclaimable(() => this.#dropSpare());
  }

  #dropSpare(): void {
    this.#account?.uncharge(this.spareBytes);
    this.#spare = [];
  }

  /**
   * bytes more for pages, which the write that follows takes from this.pages; ENOSPC if they would go past
   * size=, ENOMEM past its memory limit once every spare page under that limit is given back.
   */
  charge(bytes: number): void {
    if (bytes <= 0) return;
    if (this.#sizeBytes !== undefined && this.#used + bytes > this.#sizeBytes) throw new KernelError(ENOSPC);
    const account = this.#account;
    if (account !== null) {
      // Spare pages are charged already: only the fresh ones need room.
      try {
        account.charge(bytes - Math.min(bytes, this.spareBytes));
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        account.reclaim();
        account.charge(bytes - Math.min(bytes, this.spareBytes));
      }
    }
    this.#used += bytes;
  }

  /** Pages files no longer hold: they went back through this.pages, which kept or uncharged each one. */
  released(bytes: number): void {
    this.#used -= bytes;
  }

  /** Pages an inode a load makes holds, counted without a limit (the image had them). */
  loaded(bytes: number): void {
    this.#used += bytes;
    this.#account?.uncharge(-bytes);
  }

  /** An inode's pages go once no name and no open file holds it (shmem_evict_inode). */
  releaseInode(inode: TmpfsInode): void {
    if (inode.data === null || inode.nlink > 0 || inode.opens > 0) return;
    this.released(inode.data.allocatedBytes);
    inode.data.truncate(0);
  }

  #allocIno(): number {
    return this.#nextIno++;
  }

  root(): Dentry {
    return this.#root;
  }

  override superOptions(): string {
    return tmpfsSuperOptions(this.#sizeBytes, (this.#root.inode as TmpfsInode).perm);
  }

  lookup(dir: Dentry, name: string): Dentry | null {
    return dir.children.get(name) ?? null;
  }

  readdir(dir: Dentry): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, d] of dir.children) out.push({ name, ino: d.inode.ino, type: d.inode.type });
    return out;
  }

  #add(dir: Dentry, name: string, inode: TmpfsInode): Dentry {
    if (dir.children.has(name)) throw new KernelError(EEXIST);
    const d = new Dentry(name, dir, inode);
    dir.children.set(name, d);
    (dir.inode as TmpfsInode).touchModified();
    return d;
  }

  override createFile(dir: Dentry, name: string, perm: number, creds: Creds): Dentry {
    return this.#add(dir, name, new TmpfsInode(this, this.#allocIno(), 'reg', perm, creds));
  }

  override mkdir(dir: Dentry, name: string, perm: number, creds: Creds): Dentry {
    const d = this.#add(dir, name, new TmpfsInode(this, this.#allocIno(), 'dir', perm, creds));
    (dir.inode as TmpfsInode).nlink++;
    return d;
  }

  override symlink(dir: Dentry, name: string, target: string, creds: Creds): Dentry {
    return this.#add(dir, name, new TmpfsInode(this, this.#allocIno(), 'symlink', 0o777, creds, target));
  }

  override link(dir: Dentry, name: string, target: Dentry): Dentry {
    const inode = target.inode as TmpfsInode;
    const d = this.#add(dir, name, inode);
    inode.nlink++;
    inode.ctimeNs = this.now();
    return d;
  }

  #remove(dir: Dentry, child: Dentry): void {
    dir.children.delete(child.name);
    child.dead = true;
    (dir.inode as TmpfsInode).touchModified();
  }

  override unlink(dir: Dentry, child: Dentry): void {
    this.#remove(dir, child);
    const inode = child.inode as TmpfsInode;
    inode.nlink--;
    inode.ctimeNs = this.now();
    this.releaseInode(inode);
  }

  override rmdir(dir: Dentry, child: Dentry): void {
    if (child.children.size > 0) throw new KernelError(ENOTEMPTY);
    if (child === this.#root) throw new KernelError(EINVAL);
    this.#remove(dir, child);
    (child.inode as TmpfsInode).nlink = 0;
    (dir.inode as TmpfsInode).nlink--;
  }

  override rename(oldDir: Dentry, child: Dentry, newDir: Dentry, newName: string, replaced: Dentry | null): void {
    const isDir = child.inode.type === 'dir';
    if (replaced !== null) {
      if (replaced.inode.type === 'dir') this.rmdir(newDir, replaced);
      else this.unlink(newDir, replaced);
    }
    oldDir.children.delete(child.name);
    child.name = newName;
    child.parent = newDir;
    newDir.children.set(newName, child);
    if (isDir && oldDir !== newDir) {
      (oldDir.inode as TmpfsInode).nlink--;
      (newDir.inode as TmpfsInode).nlink++;
    }
    (oldDir.inode as TmpfsInode).touchModified();
    (newDir.inode as TmpfsInode).touchModified();
    (child.inode as TmpfsInode).ctimeNs = this.now();
  }

  /**
   * The filesystem with its whole tree: the root dentry leads to every named file, and open files that
   * are no longer named (unlinked, nlink 0) are saved through the descriptions that hold them, so they
   * come back as the same inodes. The clock is the host's, re-bound on load (CLOCK_KEY).
   */
  static readonly saved = savable(Tmpfs, {
    name: 'tmpfs.Filesystem',
    version: 1,
    fields: {
      dev: int,
      source: str,
      sizeBytes: opt(int),
      clock: external<RealtimeClock>(),
      nextIno: int,
      root: ref(Dentry),
    },
    save: (fs) => ({
      dev: fs.dev,
      source: fs.source,
      sizeBytes: fs.#sizeBytes,
      clock: CLOCK_KEY,
      nextIno: fs.#nextIno,
      root: fs.#root,
    }),
    create: (v) => {
      const opts: TmpfsOptions = { dev: v.dev, now: nowOf(v.clock), source: v.source };
      if (v.sizeBytes !== null) opts.sizeBytes = v.sizeBytes;
      return new Tmpfs(opts, { nextIno: v.nextIno });
    },
    fill: (fs, v) => {
      fs.#root = v.root;
    },
  });
}
