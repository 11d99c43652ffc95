// cli/plaindo: the plain forms of `amber do` read without commander, and every other form left to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainDo } from './plaindo.js';

test('plain do lines: options before the module, everything after it the program\'s', () => {
  assert.deepEqual(plainDo(['do', 'p.wasm']), { module: 'p.wasm', args: [], dir: [], env: [] });
  assert.deepEqual(plainDo(['do', '--', 'p.wasm', '--dir', 'x']), { module: 'p.wasm', args: ['--dir', 'x'], dir: [], env: [] });
  assert.deepEqual(plainDo(['do', 'p.wasm', '--', '-v']), { module: 'p.wasm', args: ['--', '-v'], dir: [], env: [] });
  assert.deepEqual(plainDo(['do', '--dir', 'a:/a', '--dir=b', '--env', 'K=V', '--env=L=M=N', '--', '-p.wasm', '1']), { module: '-p.wasm', args: ['1'], dir: ['a:/a', 'b'], env: ['K=V', 'L=M=N'] });
});

test("every other line is commander's", () => {
  for (const args of [[], ['list'], ['--root', 'r', 'do', 'p.wasm'], ['do'], ['do', '--'], ['do', '--dir'], ['do', '--dir', '--env', 'K=V', 'p.wasm'], ['do', '--help'], ['do', '-h', 'p.wasm'], ['do', '-dir', 'x', 'p.wasm'], ['do', '--root', 'r', 'p.wasm'], ['do', '--', ''], ['do', '--dirx', 'p.wasm']]) {
    assert.equal(plainDo(args), null, args.join(' '));
  }
});
