// The memory character devices of major 1, like Linux's drivers/char/mem.c and random.c: null, zero,
// full, random and urandom, with Linux's numbers and read/write semantics. They keep no position: reads
// and writes ignore the offset, as Linux's do.
import { ENOSPC } from '../../abi/errno.js';
import { makeDev } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import type { FileOps } from '../../vfs/file.js';

/** Linux's major number of the memory devices (include/uapi/linux/major.h MEM_MAJOR). */
export const MEM_MAJOR = 1;

/** Fills a buffer with random bytes (the kernel's entropy source). */
export type FillRandom = (buf: Uint8Array) => void;

export type MemDeviceName = 'null' | 'zero' | 'full' | 'random' | 'urandom';

export interface MemDevice {
  readonly name: MemDeviceName;
  /** st_rdev: makeDev(MEM_MAJOR, minor). */
  readonly rdev: number;
}

/** The devices in /dev, in Linux's minor order (devlist in drivers/char/mem.c). */
export const MEM_DEVICES: readonly MemDevice[] = Object.freeze([
  { name: 'null', rdev: makeDev(MEM_MAJOR, 3) },
  { name: 'zero', rdev: makeDev(MEM_MAJOR, 5) },
  { name: 'full', rdev: makeDev(MEM_MAJOR, 7) },
  { name: 'random', rdev: makeDev(MEM_MAJOR, 8) },
  { name: 'urandom', rdev: makeDev(MEM_MAJOR, 9) },
] as const);

/** Largest piece handed to fill() at once (crypto.getRandomValues refuses more than 65536 bytes). */
const FILL_CHUNK = 65536;

function readNothing(): number {
  return 0;
}

function readZeros(dst: Uint8Array): number {
  dst.fill(0);
  return dst.length;
}

function swallow(src: Uint8Array): number {
  return src.length;
}

/**
 * Opens a memory device. Its FileOps is seekable (pread, pwrite and lseek work, as on Linux) with the
 * offset ignored and a size of 0:
 * - null: reads end of file at once; writes are swallowed whole.
 * - zero: reads fill the buffer with zeros; writes are swallowed.
 * - full: reads zeros; every write fails with ENOSPC (even an empty one, as write_full() does).
 * - random, urandom: reads fill the buffer from fill() (never blocking, as Linux since 5.6 once its
 *   pool is ready); writes are accepted and dropped (Linux mixes them into the pool without crediting).
 */
export function openMemDevice(name: MemDeviceName, fill: FillRandom): FileOps {
  const base = { seekable: true, size: () => 0, close: () => {} };
  switch (name) {
    case 'null':
      return { ...base, read: readNothing, write: swallow };
    case 'zero':
      return { ...base, read: readZeros, write: swallow };
    case 'full':
      return {
        ...base,
        read: readZeros,
        write: () => {
          throw new KernelError(ENOSPC);
        },
      };
    case 'random':
    case 'urandom':
      return {
        ...base,
        read: (dst) => {
          for (let at = 0; at < dst.length; at += FILL_CHUNK) fill(dst.subarray(at, Math.min(dst.length, at + FILL_CHUNK)));
          return dst.length;
        },
        write: swallow,
      };
  }
}
