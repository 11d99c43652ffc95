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
