// The memory character devices of major 1, like Linux's drivers/char/mem.c and random.c: null, zero,
// full, random and urandom, with Linux's numbers and read/write semantics. They keep no position: reads
// and writes ignore the offset, as Linux's do.
import { ENOSPC } from '../../abi/errno.js';
import { makeDev } from '../../abi/stat.js';
import { KernelError } from '../../base/error.js';
import { oneOf, ref, savable } from '../../state/index.js';
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

/** Where random bytes come from: the Devfs the device is in (whose fill is the kernel's entropy source). */
export interface RandomFill {
  readonly fill: FillRandom;
}

/**
 * An open memory device. Its FileOps is seekable (pread, pwrite and lseek work, as on Linux) with the
 * offset ignored and a size of 0:
 * - null: reads end of file at once; writes are swallowed whole.
 * - zero: reads fill the buffer with zeros; writes are swallowed.
 * - full: reads zeros; every write fails with ENOSPC (even an empty one, as write_full() does).
 * - random, urandom: reads fill the buffer from fill() (never blocking, as Linux since 5.6 once its
 *   pool is ready); writes are accepted and dropped (Linux mixes them into the pool without crediting).
 */
export class MemDeviceFile implements FileOps {
  readonly seekable = true;
  readonly device: MemDeviceName;
  readonly #random: RandomFill;

  constructor(device: MemDeviceName, random: RandomFill) {
    this.device = device;
    this.#random = random;
  }

  read(dst: Uint8Array): number {
    switch (this.device) {
      case 'null':
        return 0;
      case 'zero':
      case 'full':
        dst.fill(0);
        return dst.length;
      case 'random':
      case 'urandom':
        for (let at = 0; at < dst.length; at += FILL_CHUNK) this.#random.fill(dst.subarray(at, Math.min(dst.length, at + FILL_CHUNK)));
        return dst.length;
    }
  }

  write(src: Uint8Array): number {
    if (this.device === 'full') throw new KernelError(ENOSPC);
    return src.length;
  }

  size(): number {
    return 0;
  }

  close(): void {}

  /** The device and its random source (its Devfs): nothing else is kept. */
  static readonly saved = savable(MemDeviceFile, {
    name: 'dev.MemDeviceFile',
    version: 1,
    fields: { device: oneOf('null', 'zero', 'full', 'random', 'urandom'), random: ref<RandomFill>() },
    save: (f) => ({ device: f.device, random: f.#random }),
    create: (v, r) => new MemDeviceFile(v.device, r.ref(v.random)),
  });
}

/** Opens a memory device (see MemDeviceFile). */
export function openMemDevice(name: MemDeviceName, random: RandomFill): FileOps {
  return new MemDeviceFile(name, random);
}
