// Which of V8's compilers a guest's functions get, like wasmtime's choice between Cranelift and Winch.
// V8 compiles each function when it is first called: with Liftoff (fast to compile, slower code, tiered
// up to TurboFan once hot, on its next call) or with TurboFan at once (--no-liftoff). A loop that never
// returns is never tiered up (no on-stack replacement for wasm: DESIGN.md §3), so small programs start at
// TurboFan, where it costs a few milliseconds. A big one calls hundreds of functions once at start-up
// (SQLite: ~0.4 s of TurboFan before its first transaction, ~50 ms with Liftoff), so it starts at Liftoff
// and its hot functions are tiered up as node:wasi's are (its steady state is then node:wasi's too:
// SQLite's transactions ~2.5× slower than at TurboFan; a smaller tiering budget compiled more and ran no
// faster). A huge one stays at Liftoff: V8 tiers a function up by how much of its code has run, whatever
// its size, and TurboFan's time grows faster than a function's size. yosys (30.8 MB; 64 MB transformed)
// has a hot function of 504 KB (228 KB before the transform) that TurboFan compiles for 10-38 s on 2
// loaded cores, and its tier-up took 13 s of CPU on V8's worker threads beside a guest that runs for 2:
// the guest got half the cores, and the process could not exit until the compile ended (an in-flight
// compile is never cancelled). At Liftoff alone yosys's whole synthesis was 4.2 s instead of 26-40 s in a
// pod, and 1.9 s instead of 7 s under `amber do`; a longer one (a 128×128 multiplier, 100k cells) still
// 30 s instead of 41 in a pod (22 s of CPU instead of 34), though by then the raw module under node:wasi
// gains from TurboFan (13.5 s of CPU at Liftoff alone, 11.9 tiered up). `amber do` chooses by its module;
// a pod's process switches for good when it loads a bigger module (host/modulecache.ts prepareModule),
// small ones alone start at TurboFan, except in a restored pod (setRestoredGuestTier). Beside it, how soon
// the kernel's own JavaScript is optimized once `amber do` starts its guest (setKernelTier).
import { setFlagsFromString } from 'node:v8';

/** Modules up to this size start at TurboFan; larger ones at Liftoff. */
export const OPTIMIZE_FIRST_MAX_BYTES = 512 * 1024;
/** Modules past this size stay at Liftoff: no tier-up. */
export const LIFTOFF_ONLY_MIN_BYTES = 16 * 1024 * 1024;

export type GuestTier = 'turbofan' | 'liftoff' | 'liftoff-only';

/** The tier a module of this many bytes starts at (and stays at, for 'liftoff-only'). */
export function guestTier(moduleBytes: number): GuestTier {
  if (moduleBytes <= OPTIMIZE_FIRST_MAX_BYTES) return 'turbofan';
  return moduleBytes < LIFTOFF_ONLY_MIN_BYTES ? 'liftoff' : 'liftoff-only';
}

/**
 * Sets the tier for the functions compiled from now on (V8 reads the flags at each module's compile and
 * each function's first compile, for the whole process): call it before the module is compiled, in a
 * process that runs it alone.
 */
export function setGuestTier(moduleBytes: number): GuestTier {
  const tier = guestTier(moduleBytes);
  applyGuestTier(tier);
  return tier;
}

/**
 * A restored pod's small modules start at Liftoff with tier-up, as a big one does, not at TurboFan: the
 * first slice after a restore calls functions nothing in this new process has called yet (bench_mem's
 * printf once its sleep returns: 100-190 ms of TurboFan on the main thread before its line, 16-22 ms at
 * Liftoff, which was most of the gap to a memory copy). The reason small ones start at TurboFan does not
 * hold in a pod: a fiber unwinds at the end of each slice and rewinds into its functions' newest code, so
 * a hot loop runs TurboFan's code from the slice after its tier-up (a restored sha256 "flat" loop, which
 * `amber do` at Liftoff would run ~7× slower, finished in the same time). Compiling eagerly instead costs
 * the restore as much (130-155 ms for bench_mem), and cannot overlap the memory's read: that memory is
 * the instance's, which needs the compiled module. Call it before the restore compiles its modules; it
 * holds for the whole process (a huge module still switches it to Liftoff alone: compileForPod).
 */
export function setRestoredGuestTier(): void {
  applyGuestTier('liftoff');
}

function applyGuestTier(tier: GuestTier): void {
  if (tier === 'turbofan') {
    setFlagsFromString('--no-liftoff');
  } else if (tier === 'liftoff') {
    // --no-liftoff, set when the process started, turned tier-up off with it: both come back.
    for (const f of ['--liftoff', '--wasm-tier-up', '--wasm-dynamic-tiering']) setFlagsFromString(f);
  } else {
    // Each flag said outright: V8 enforces --liftoff-only's implications only at start-up.
    for (const f of ['--liftoff', '--liftoff-only', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering']) setFlagsFromString(f);
  }
}

/**
 * How much bytecode one of Amber's own JavaScript functions runs before V8 considers optimizing it,
 * once a guest runs (V8's --interrupt-budget; its default is 132 KiB). A syscall-heavy guest spends most
 * of its time in the kernel's JavaScript, where a path a transaction takes once or twice (utimes, mkdir,
 * unlink) ran in V8's baseline code for its first thousand transactions: SQLite on a host directory
 * spent ~25% more CPU per transaction with the default. Set only when the guest starts, so the command's
 * own start-up (parsing, mounting) is not optimized for nothing.
 *
 * 5 KiB, not 8: since `amber do` optimizes on the guest's thread at once (bin/amber's
 * --no-concurrent-recompilation), an earlier optimization costs no wait for a compiler thread, and
 * SQLite's transactions 200-2200 took ~12% less CPU (8 of 8 interleaved runs). Not lower: at 4 KiB and
 * below, small helpers that only a guest's first calls use (wasi/sys.ts writeFilestat's setU64 before a
 * descriptor gets its uvwasi instance, host/wasistat.ts) turn hot and are compiled for nothing, which
 * cost fd_filestat_get's 100k-call loop ~4% (1 of 12 runs faster), and at 2 KiB `amber do` of SQLite's
 * 10 transactions took ~18 ms longer.
 */
export const KERNEL_INTERRUPT_BUDGET = 5 * 1024;

/**
 * Applies KERNEL_INTERRUPT_BUDGET to the functions whose budget V8 sets from now on (most of the kernel's),
 * and has V8 compile the kernel's calls of Node's C++ functions as plain calls, not fast API calls. A
 * fast call of node:wasi's functions (host/wasistat.ts) always falls back to the plain one from
 * JavaScript (node's WASI serves a fast call only from wasm, which hands it the memory), so every stat
 * paid for both.
 */
export function setKernelTier(): void {
  setFlagsFromString(`--interrupt-budget=${KERNEL_INTERRUPT_BUDGET}`);
  setFlagsFromString('--no-turbo-fast-api-calls');
}
