// The names a transformed module and its runtime agree on: transform/ writes them, suspend.ts reads
// them. They live here, below the transform, because wasi/ never imports transform/ (a higher layer),
// and so the runtime does not load Binaryen.

/** Each mutable global the guest defines is exported as `amber_global_<index in the module's global list>`. */
export const GLOBAL_EXPORT_PREFIX = 'amber_global_';
/** The fuel counter the preemption checks decrement (an exported mutable i32). */
export const FUEL_EXPORT = 'amber_fuel';
/** The import module of Amber's own calls, and the call the checks make when fuel runs out. */
export const AMBER_MODULE = 'amber';
export const PREEMPT_IMPORT = 'preempt';

/**
 * The imports Asyncify treats as places the stack may unwind (Binaryen's `module.base` patterns):
 * every WASI call, the preemption call, and Amber's own mount calls. Every other import is assumed
 * never to unwind.
 */
export const SUSPENDING_IMPORTS: readonly string[] = [
  'wasi_snapshot_preview1.*',
  'wasi_unstable.*',
  `${AMBER_MODULE}.${PREEMPT_IMPORT}`,
  `${AMBER_MODULE}.mount`,
  `${AMBER_MODULE}.umount`,
];

/**
 * Write tracking (TransformOptions.trackWrites; issue 10.5, like CRIU's --track-mem with soft-dirty bits):
 * a tracked module exports an immutable i32 global of this name, the base B in bytes (a multiple of 64 KiB).
 * The guest's whole address space sits B bytes up in the exported memory: guest address a is real byte
 * B + a, every pointer the guest passes (syscall arguments, Asyncify's data and its header's pointers) is a
 * guest address, and memory.size/grow answer in guest pages (real pages minus B / 64 KiB). Real bytes
 * [0, B) are the write map: byte i is non-zero when guest page i (real bytes B + i*TRACK_PAGE up to the
 * next page) may have been written since the host last set the byte to 0. The guest's stores, copies,
 * fills and inits set it; the host's writes into guest memory must set it too. A module without the
 * export is untracked: base 0, no map.
 */
export const TRACK_BASE_EXPORT = 'amber_track_base';
/** Bytes of guest memory each byte of the write map stands for. */
export const TRACK_PAGE = 4096;
