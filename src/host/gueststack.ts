// The native stack a process that runs pods gives its guests, like a thread's stack size in a runtime
// that runs wasm on its own threads (wasmtime's max_wasm_stack). V8's default (~1 MB) is what node:wasi
// has; Asyncify-instrumented code needs more per frame, and a big module (yosys) dies of `call stack
// exhausted` in a pod where node:wasi runs it. A running isolate's limit cannot be changed (only
// `node --stack-size=KB` at start; v8.setFlagsFromString has no effect on it), so the sandbox is started
// with the flag (client/launch.ts) and a foreground pod re-executes itself with it (cli/foreground.ts).
import { readFileSync } from 'node:fs';

/** What a pod's guests get: the size that runs transformed yosys (issue 9), ~7× node's default. */
export const GUEST_STACK_KB = 7000;
/** Left below the process's stack limit for Node's own frames and signal handlers. */
const HEADROOM_KB = 1024;
const FLAG = '--stack-size';

/** The soft RLIMIT_STACK in KiB (Infinity when unlimited), or null when /proc does not say: what `ulimit -s` says. */
export function stackLimitKb(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max stack size'));
    const soft = line?.slice('Max stack size'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Infinity;
    const bytes = Number(soft);
    return Number.isFinite(bytes) && bytes > 0 ? Math.floor(bytes / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * The node flags that start a process with GUEST_STACK_KB of stack for V8, less when the process's stack
 * limit is lower (V8 must never be told of more stack than the kernel will grow: that is a crash, not a
 * RangeError); none when the limit leaves no more than node's default.
 */
export function guestStackFlags(): string[] {
  const limit = stackLimitKb();
  if (limit === null) return [];
  const kb = Math.min(GUEST_STACK_KB, limit - HEADROOM_KB);
  return kb > 1024 ? [`${FLAG}=${Math.floor(kb)}`] : [];
}

/** Whether this process was started with a stack size of its own (by guestStackFlags or by hand). */
export function hasStackFlag(): boolean {
  return process.execArgv.some((a) => a === FLAG || a.startsWith(`${FLAG}=`));
}
