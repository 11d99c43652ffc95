// A module Amber cannot run, found before it runs: no memory, no _start, or imports from a module that is
// neither WASI preview 1 nor Amber's own (`env.foo`), as wasmtime refuses an unknown import at link time.
import { AmberError } from '../base/error.js';

/** A module that cannot run under Amber (no memory, no _start, unknown imports). */
export class BadModuleError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'BadModuleError';
  }
}

/**
 * BadModuleError unless every import of module comes from a module imports provides: a program that
 * imports `env.foo` is refused at start with one line, before anything runs (the engine would say
 * "module is not an object or function"). A missing name in a known module is the engine's LinkError.
 */
export function checkImportModules(module: WebAssembly.Module, imports: Readonly<Record<string, unknown>>): void {
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imports[imp.module] === undefined) throw new BadModuleError(`imports from unknown module "${imp.module}" (${imp.name})`);
  }
}
