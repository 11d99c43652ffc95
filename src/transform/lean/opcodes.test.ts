// The lean transform's SIMD table (opcodes.ts) against V8's validator: every 0xFD sub-opcode it knows
// validates with the operands and result the table gives it, and none it leaves out validates in any
// common shape, so the transform's operand stack typing matches the engine's for every SIMD instruction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter } from './bytes.js';
import { FD_IMMEDIATES, FD_POPS, FD_PUSHES, FD_STORE_BYTES, IMM_BYTES16, IMM_LANE, IMM_MEMARG, IMM_MEMARG_LANE, IMM_NONE, IMM_UNKNOWN } from './opcodes.js';
import { F32, F64, I32, I64, V128 } from './types.js';

/** A module of one function (params) -> (results) whose body gets its params, then 0xFD sub with immediates of shape imm. */
function simdModule(sub: number, params: number[], results: number[], imm: number): Uint8Array<ArrayBuffer> {
  const body = new ByteWriter().u32(0);
  params.forEach((_, i) => body.u8(0x20).u32(i));
  body.u8(0xfd).u32(sub);
  if (imm === IMM_MEMARG) body.u32(0).u32(0);
  else if (imm === IMM_MEMARG_LANE) body.u32(0).u32(0).u8(0);
  else if (imm === IMM_LANE) body.u8(0);
  else if (imm === IMM_BYTES16) body.bytes(new Uint8Array(16));
  const code = body.u8(0x0b).finish();
  const section = (id: number, payload: Uint8Array): ByteWriter => new ByteWriter().u8(id).u32(payload.length).bytes(payload);
  const type = new ByteWriter().u32(1).u8(0x60).u32(params.length).bytes(Uint8Array.from(params)).u32(results.length).bytes(Uint8Array.from(results)).finish();
  return new ByteWriter()
    .bytes(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))
    .bytes(section(1, type).finish())
    .bytes(section(3, Uint8Array.of(1, 0)).finish())
    .bytes(section(5, Uint8Array.of(1, 0, 1)).finish())
    .bytes(section(10, new ByteWriter().u32(1).u32(code.length).bytes(code).finish()).finish())
    .finish();
}

/** The operands a sub-opcode pops, bottom first: a load's or store's address first, then v128s; the lane and shift operands' types after. */
const SIGNATURES: ReadonlyArray<readonly [number[], number[]]> = [
  [[V128], [V128]], [[V128, V128], [V128]], [[V128, V128, V128], [V128]], [[V128], [I32]], [[V128], [I64]], [[V128], [F32]], [[V128], [F64]],
  [[I32], [V128]], [[I64], [V128]], [[F32], [V128]], [[F64], [V128]], [[V128, I32], [V128]], [[V128, I64], [V128]], [[V128, F32], [V128]],
  [[V128, F64], [V128]], [[I32, V128], [V128]], [[I32, V128], []], [[], [V128]],
];

test('every SIMD sub-opcode the table knows validates with its pops and push', () => {
  let known = 0;
  for (let sub = 0; sub < FD_IMMEDIATES.length; sub++) {
    const imm = FD_IMMEDIATES[sub]!;
    if (imm === IMM_UNKNOWN) continue;
    known++;
    // The one signature of SIGNATURES with the table's arity and result that V8 takes.
    const push = FD_PUSHES[sub]!;
    const fits = SIGNATURES.filter(([p, r]) => p.length === FD_POPS[sub] && (r[0] ?? 0) === push).filter(([p, r]) => WebAssembly.validate(simdModule(sub, p, r, imm)));
    assert.equal(fits.length, 1, `0xfd ${sub}: ${fits.length} signatures of ${FD_POPS[sub]} operands pushing 0x${push.toString(16)} validate`);
  }
  assert.equal(known, 236, 'fixed-width SIMD has 236 instructions');
});

test('no SIMD sub-opcode the table leaves out validates, in any shape', () => {
  for (let sub = 0; sub < 0x114; sub++) {
    if (sub < FD_IMMEDIATES.length && FD_IMMEDIATES[sub] !== IMM_UNKNOWN) continue;
    for (const [p, r] of SIGNATURES) {
      for (const imm of [IMM_NONE, IMM_MEMARG, IMM_LANE, IMM_MEMARG_LANE, IMM_BYTES16]) {
        assert.ok(!WebAssembly.validate(simdModule(sub, p, r, imm)), `0xfd ${sub} validates with (${p}) -> (${r}), immediates ${imm}`);
      }
    }
  }
});

test('the SIMD stores are the sub-opcodes that pop an address and a vector and push nothing', () => {
  const stores = [...FD_IMMEDIATES.keys()].filter((sub) => FD_IMMEDIATES[sub] !== IMM_UNKNOWN && FD_PUSHES[sub] === 0);
  assert.deepEqual(stores, Object.keys(FD_STORE_BYTES).map(Number));
  for (const sub of stores) assert.ok(WebAssembly.validate(simdModule(sub, [I32, V128], [], FD_IMMEDIATES[sub]!)));
});
