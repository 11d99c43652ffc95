// Runs one WASI program in a kernel process: instantiate the module with Amber's syscall table, call
// `_start`, and turn proc_exit, a return from `_start` or a trap into the process's end. Like the
// loader-and-exit part of Linux's execve and do_exit.
import type { Process } from '../kernel/process.js';
import { amberImports } from './amber.js';
import { BadModuleError, checkImportModules } from './badmodule.js';
import { wasiImports } from './imports.js';
import { GuestMemory, trackBaseOf } from './memory.js';
import { ProcExit } from './proc.js';
import type { Sys } from './sys.js';

export { BadModuleError };

export type ProgramEnd =
  | { kind: 'exit'; code: number }
  | { kind: 'trap'; message: string };

function describeTrap(e: unknown): string {
  if (e instanceof WebAssembly.RuntimeError) return `wasm trap: ${e.message}`;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'wasm trap: call stack exhausted';
  throw e;
}

export function runProgram(module: WebAssembly.Module, proc: Process): ProgramEnd {
  const sys: { kernel: Sys['kernel']; proc: Process; mem: GuestMemory } = {
    kernel: proc.kernel,
    proc,
    mem: new GuestMemory(new WebAssembly.Memory({ initial: 0 })),
  };
  const imports: WebAssembly.Imports = { wasi_snapshot_preview1: wasiImports(sys), amber: amberImports(sys) };
  checkImportModules(module, imports);
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) throw new BadModuleError(e.message);
    throw e;
  }
  const memory = instance.exports['memory'];
  const start = instance.exports['_start'];
  if (!(memory instanceof WebAssembly.Memory)) throw new BadModuleError('exports no memory');
  if (typeof start !== 'function') throw new BadModuleError('exports no _start function');
  sys.mem = GuestMemory.of(memory, trackBaseOf(instance));
  let end: ProgramEnd;
  try {
    (start as () => void)();
    end = { kind: 'exit', code: 0 };
  } catch (e) {
    if (e instanceof ProcExit) end = { kind: 'exit', code: e.code };
    else end = { kind: 'trap', message: describeTrap(e) };
  }
  proc.exit(end.kind === 'exit' ? end.code : 134);
  return end;
}
