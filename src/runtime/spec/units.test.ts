import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuantity, parseTmpfsSize } from './units.js';

const QUANTITIES: ReadonlyArray<readonly [string | number, number | undefined]> = [
  ['64Mi', 64 * 2 ** 20],
  ['1Gi', 2 ** 30],
  ['1.5Ki', 1536],
  ['1G', 1e9],
  ['500k', 500_000],
  ['100', 100],
  [100, 100],
  ['1e3', 1000],
  ['1500m', 2],
  ['lots', undefined],
  ['64MB', undefined],
  [-1, undefined],
];

for (const [q, want] of QUANTITIES) {
  test(`parseQuantity ${JSON.stringify(q)}`, () => assert.equal(parseQuantity(q), want));
}

const SIZES: ReadonlyArray<readonly [string, number | undefined]> = [
  ['65536k', 64 * 2 ** 20],
  ['64m', 64 * 2 ** 20],
  ['1G', 2 ** 30],
  ['4096', 4096],
  ['50%', undefined],
  ['', undefined],
];

for (const [s, want] of SIZES) {
  test(`parseTmpfsSize ${JSON.stringify(s)}`, () => assert.equal(parseTmpfsSize(s), want));
}
