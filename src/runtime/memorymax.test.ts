import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AmberError } from '../base/error.js';
import { pagesWithin, withMemoryMax } from './memorymax.js';

const HELLO = new Uint8Array(readFileSync(new URL('../../guests/hello.wasm', import.meta.url)));

test('a module\'s memory gets the maximum a limit allows; below its initial memory is one line', async () => {
  const limited = withMemoryMax(HELLO, pagesWithin(3 << 20), 'resources.limits.memory');
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(limited), { wasi_snapshot_preview1: new Proxy({}, { get: () => () => 0 }) });
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const pages = memory.buffer.byteLength / 65536;
  assert.equal(memory.grow(48 - pages), pages);
  assert.throws(() => memory.grow(1), RangeError);
  assert.throws(() => withMemoryMax(HELLO, 1, 'limit'), (e: unknown) => e instanceof AmberError && /^limit: 65536 bytes is less than the module's initial memory of \d+ bytes$/.test(e.message));
});
