// A guest module from a host file, the one way Amber reads one: the bytes (a missing file, a directory, an
// unreadable one are one-line errors naming the path), then either compiled as it is (`amber do`, no
// checkpoints: no Binaryen loaded) or transformed for Asyncify and compiled (pods: host/modulecache.ts).
import { readFileSync } from 'node:fs';
import { AmberError, messageOf } from '../base/error.js';
import { setGuestTier } from './guesttier.js';

function errnoCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
}

export function readModuleFile(path: string): Uint8Array<ArrayBuffer> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') throw new AmberError(`${path}: no such file`);
    if (code === 'EISDIR') throw new AmberError(`${path}: is a directory, expected a .wasm file`);
    throw new AmberError(`${path}: cannot read: ${messageOf(e)}`);
  }
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * fn's result, where fn loads, compiles, transforms or instantiates the module at path: what it refuses
 * (CompileError, LinkError, or an AmberError of the transform or the loader) becomes one AmberError
 * naming path. The one place module errors get their file name.
 */
export function inModule<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw moduleError(path, e);
  }
}

/** inModule for an async fn. */
export async function inModuleAsync<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw moduleError(path, e);
  }
}

function moduleError(path: string, e: unknown): unknown {
  if (e instanceof WebAssembly.CompileError) return new AmberError(`${path}: not a valid WebAssembly module (${e.message.split('\n')[0] ?? ''})`, { cause: e });
  if (e instanceof WebAssembly.LinkError) return new AmberError(`${path}: ${e.message.split('\n')[0] ?? ''}`, { cause: e });
  if (e instanceof AmberError) return new AmberError(`${path}: ${e.line}`, { cause: e });
  return e;
}

/** The module at path compiled as it is, its functions to start at the tier its size calls for (host/guesttier.ts). */
export function compileModuleFile(path: string): WebAssembly.Module {
  const bytes = readModuleFile(path);
  setGuestTier(bytes.length);
  return inModule(path, () => new WebAssembly.Module(bytes));
}
