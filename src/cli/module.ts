// Loading a guest module from a host file, with the one-line errors a user should see for a missing
// file or something that is not WebAssembly.
import { readFileSync } from 'node:fs';
import { AmberError } from '../base/error.js';

export function loadModule(path: string): WebAssembly.Module {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    if (code === 'ENOENT') throw new AmberError(`${path}: no such file`);
    if (code === 'EISDIR') throw new AmberError(`${path}: is a directory, expected a .wasm file`);
    throw new AmberError(`${path}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return new WebAssembly.Module(new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new AmberError(`${path}: not a valid WebAssembly module (${why})`);
  }
}
