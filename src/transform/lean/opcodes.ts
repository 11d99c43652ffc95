// The WebAssembly instruction set as the lean transform decodes it (the spec's "Instructions" chapter,
// binary format): per opcode, the shape of its immediates and, for the plain ones, how many operands it
// pops and the type it pushes. The MVP, sign extension, the 0xFC prefix (saturating truncation, bulk
// memory, table ops), reference types and the 0xFD prefix (fixed-width SIMD); everything else (relaxed
// SIMD, exceptions, tail calls, GC, threads) is unknown here and makes the lean transform refuse the
// module (LeanUnsupported).
import { F32, F64, I32, I64, V128 } from './types.js';

/** Immediate shapes of one-byte opcodes. */
export const IMM_NONE = 0;
/** A block type (block, loop, if). */
export const IMM_BLOCK = 1;
/** One u32 index (br, br_if, call, local.*, global.*, table.get/set, ref.func). */
export const IMM_INDEX = 2;
export const IMM_BR_TABLE = 3;
/** A type index and a table index. */
export const IMM_CALL_INDIRECT = 4;
/** Alignment and offset: a load or store. */
export const IMM_MEMARG = 5;
/** A zero byte (memory.size, memory.grow: memory index 0). */
export const IMM_MEMORY = 6;
export const IMM_I32 = 7;
export const IMM_I64 = 8;
export const IMM_F32 = 9;
export const IMM_F64 = 10;
/** select's vector of value types. */
export const IMM_SELECT_T = 11;
/** ref.null's reference type. */
export const IMM_REF_TYPE = 12;
export const IMM_PREFIX_FC = 13;
export const IMM_PREFIX_FD = 14;
/** An opcode the lean transform does not know. */
export const IMM_UNKNOWN = 15;
/** 0xFD's immediate shapes beyond IMM_NONE and IMM_MEMARG: a lane index byte; a memarg then a lane index; 16 bytes (v128.const, i8x16.shuffle). */
export const IMM_LANE = 16;
export const IMM_MEMARG_LANE = 17;
export const IMM_BYTES16 = 18;

export const OP_UNREACHABLE = 0x00;
export const OP_BLOCK = 0x02;
export const OP_LOOP = 0x03;
export const OP_IF = 0x04;
export const OP_ELSE = 0x05;
/** try, catch, throw and rethrow of the legacy exception proposal (V8's in Node 20): only the transform emits them. */
export const OP_TRY = 0x06;
export const OP_CATCH = 0x07;
export const OP_THROW = 0x08;
export const OP_RETHROW = 0x09;
export const OP_END = 0x0b;
export const OP_BR = 0x0c;
export const OP_BR_IF = 0x0d;
export const OP_BR_TABLE = 0x0e;
export const OP_RETURN = 0x0f;
export const OP_CALL = 0x10;
export const OP_CALL_INDIRECT = 0x11;
export const OP_DELEGATE = 0x18;
export const OP_CATCH_ALL = 0x19;
export const OP_DROP = 0x1a;
export const OP_SELECT = 0x1b;
export const OP_SELECT_T = 0x1c;
export const OP_LOCAL_GET = 0x20;
export const OP_LOCAL_SET = 0x21;
export const OP_LOCAL_TEE = 0x22;
export const OP_GLOBAL_GET = 0x23;
export const OP_GLOBAL_SET = 0x24;
export const OP_TABLE_GET = 0x25;
export const OP_TABLE_SET = 0x26;
export const OP_I32_LOAD = 0x28;
export const OP_I64_LOAD = 0x29;
export const OP_F32_LOAD = 0x2a;
export const OP_F64_LOAD = 0x2b;
export const OP_I32_LOAD8_U = 0x2d;
export const OP_I32_STORE = 0x36;
export const OP_I64_STORE = 0x37;
export const OP_F32_STORE = 0x38;
export const OP_F64_STORE = 0x39;
export const OP_MEMORY_SIZE = 0x3f;
export const OP_MEMORY_GROW = 0x40;
export const OP_I32_CONST = 0x41;
export const OP_I64_CONST = 0x42;
export const OP_F32_CONST = 0x43;
export const OP_F64_CONST = 0x44;
export const OP_I32_SUB = 0x6b;
export const OP_I32_ADD = 0x6a;
export const OP_I32_OR = 0x72;
export const OP_I32_SHL = 0x74;
export const OP_I32_SHR_U = 0x76;
export const OP_I32_EQZ = 0x45;
export const OP_I32_EQ = 0x46;
export const OP_I32_NE = 0x47;
export const OP_I32_LT_S = 0x48;
export const OP_I32_LE_U = 0x4d;
export const OP_I32_GE_S = 0x4e;
export const OP_I32_GT_U = 0x4b;
export const OP_REF_NULL = 0xd0;
export const OP_REF_IS_NULL = 0xd1;
export const OP_REF_FUNC = 0xd2;
export const OP_PREFIX_FC = 0xfc;
export const OP_PREFIX_FD = 0xfd;
/** 0xFD sub-opcodes: v128.load, v128.store, v128.const. */
export const FD_V128_LOAD = 0x00;
export const FD_V128_STORE = 0x0b;
export const FD_V128_CONST = 0x0c;
/** The empty block type. */
export const BLOCK_EMPTY = 0x40;

/** Per one-byte opcode: its immediates (IMM_*). */
export const IMMEDIATES: Uint8Array = new Uint8Array(256).fill(IMM_UNKNOWN);
/** Per plain opcode: how many operands it pops (0xff: not plain, the decoder handles it itself). */
export const POPS: Uint8Array = new Uint8Array(256).fill(0xff);
/** Per plain opcode: the value type it pushes, 0 for none. */
export const PUSHES: Uint8Array = new Uint8Array(256);

/** Per 0xFC sub-opcode (0..17): pops, push, and the count of u32 immediates (memory/table/segment indices). */
export const FC_POPS: Uint8Array = Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1, 3, 0, 3, 3, 3, 0, 3, 2, 0, 3);
export const FC_PUSHES: Uint8Array = Uint8Array.of(I32, I32, I32, I32, I64, I64, I64, I64, 0, 0, 0, 0, 0, 0, 0, I32, I32, 0);
/** 0xFC's index immediates: memory.init (data, memory 0), data.drop, memory.copy (0, 0), memory.fill (0), table ops. */
export const FC_INDICES: Uint8Array = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1);
/** 0xFC sub-opcodes whose index immediates include a memory index (which must be 0: no multi-memory). */
export const FC_MEMORY_INDEX_AT: Readonly<Record<number, readonly number[]>> = { 8: [1], 10: [0, 1], 11: [0] };

/** Per 0xFD sub-opcode (0..255; relaxed SIMD's 0x100.. is unknown): its immediates (IMM_*), pops and push. */
export const FD_IMMEDIATES: Uint8Array = new Uint8Array(256).fill(IMM_UNKNOWN);
export const FD_POPS: Uint8Array = new Uint8Array(256);
export const FD_PUSHES: Uint8Array = new Uint8Array(256);
/** The 0xFD stores (v128.store, v128.store{8,16,32,64}_lane): how many bytes each writes. */
export const FD_STORE_BYTES: Readonly<Record<number, number>> = { 0x0b: 16, 0x58: 1, 0x59: 2, 0x5a: 4, 0x5b: 8 };

const T: Record<string, number> = { i: I32, l: I64, f: F32, d: F64, v: V128 };

/** Declares opcodes lo..hi of one table (immediates, pops, pushes) with signature "pops:push" ('v' is v128). */
function declare(imms: Uint8Array, pops: Uint8Array, pushes: Uint8Array, lo: number, hi: number, sig: string, imm: number): void {
  const [popped = '', push = ''] = sig.split(':');
  for (let op = lo; op <= hi; op++) {
    imms[op] = imm;
    pops[op] = popped.length;
    pushes[op] = push === '' ? 0 : T[push]!;
  }
}

/** Declares plain opcodes lo..hi with signature "pops:push", e.g. "ii:i". */
function plain(lo: number, hi: number, sig: string, imm = IMM_NONE): void {
  declare(IMMEDIATES, POPS, PUSHES, lo, hi, sig, imm);
}

/** Declares 0xFD sub-opcodes lo..hi with signature "pops:push", e.g. "vv:v". */
function simd(lo: number, hi: number, sig: string, imm = IMM_NONE): void {
  declare(FD_IMMEDIATES, FD_POPS, FD_PUSHES, lo, hi, sig, imm);
}

function special(op: number, imm: number): void {
  IMMEDIATES[op] = imm;
}

special(0x00, IMM_NONE); // unreachable
plain(0x01, 0x01, ':'); // nop
special(OP_BLOCK, IMM_BLOCK);
special(OP_LOOP, IMM_BLOCK);
special(OP_IF, IMM_BLOCK);
special(OP_ELSE, IMM_NONE);
special(OP_END, IMM_NONE);
special(OP_BR, IMM_INDEX);
special(OP_BR_IF, IMM_INDEX);
special(OP_BR_TABLE, IMM_BR_TABLE);
special(OP_RETURN, IMM_NONE);
special(OP_CALL, IMM_INDEX);
special(OP_CALL_INDIRECT, IMM_CALL_INDIRECT);
special(OP_DROP, IMM_NONE);
special(OP_SELECT, IMM_NONE);
special(OP_SELECT_T, IMM_SELECT_T);
for (let op = OP_LOCAL_GET; op <= OP_TABLE_SET; op++) special(op, IMM_INDEX);
plain(0x28, 0x28, 'i:i', IMM_MEMARG);
plain(0x29, 0x29, 'i:l', IMM_MEMARG);
plain(0x2a, 0x2a, 'i:f', IMM_MEMARG);
plain(0x2b, 0x2b, 'i:d', IMM_MEMARG);
plain(0x2c, 0x2f, 'i:i', IMM_MEMARG);
plain(0x30, 0x35, 'i:l', IMM_MEMARG);
plain(0x36, 0x36, 'ii:', IMM_MEMARG);
plain(0x37, 0x37, 'il:', IMM_MEMARG);
plain(0x38, 0x38, 'if:', IMM_MEMARG);
plain(0x39, 0x39, 'id:', IMM_MEMARG);
plain(0x3a, 0x3b, 'ii:', IMM_MEMARG);
plain(0x3c, 0x3e, 'il:', IMM_MEMARG);
plain(0x3f, 0x3f, ':i', IMM_MEMORY);
plain(0x40, 0x40, 'i:i', IMM_MEMORY);
plain(0x41, 0x41, ':i', IMM_I32);
plain(0x42, 0x42, ':l', IMM_I64);
plain(0x43, 0x43, ':f', IMM_F32);
plain(0x44, 0x44, ':d', IMM_F64);
plain(0x45, 0x45, 'i:i');
plain(0x46, 0x4f, 'ii:i');
plain(0x50, 0x50, 'l:i');
plain(0x51, 0x5a, 'll:i');
plain(0x5b, 0x60, 'ff:i');
plain(0x61, 0x66, 'dd:i');
plain(0x67, 0x69, 'i:i');
plain(0x6a, 0x78, 'ii:i');
plain(0x79, 0x7b, 'l:l');
plain(0x7c, 0x8a, 'll:l');
plain(0x8b, 0x91, 'f:f');
plain(0x92, 0x98, 'ff:f');
plain(0x99, 0x9f, 'd:d');
plain(0xa0, 0xa6, 'dd:d');
plain(0xa7, 0xa7, 'l:i');
plain(0xa8, 0xa9, 'f:i');
plain(0xaa, 0xab, 'd:i');
plain(0xac, 0xad, 'i:l');
plain(0xae, 0xaf, 'f:l');
plain(0xb0, 0xb1, 'd:l');
plain(0xb2, 0xb3, 'i:f');
plain(0xb4, 0xb5, 'l:f');
plain(0xb6, 0xb6, 'd:f');
plain(0xb7, 0xb8, 'i:d');
plain(0xb9, 0xba, 'l:d');
plain(0xbb, 0xbb, 'f:d');
plain(0xbc, 0xbc, 'f:i');
plain(0xbd, 0xbd, 'd:l');
plain(0xbe, 0xbe, 'i:f');
plain(0xbf, 0xbf, 'l:d');
plain(0xc0, 0xc1, 'i:i');
plain(0xc2, 0xc4, 'l:l');
special(OP_REF_NULL, IMM_REF_TYPE);
special(OP_REF_IS_NULL, IMM_NONE);
special(OP_REF_FUNC, IMM_INDEX);
special(OP_PREFIX_FC, IMM_PREFIX_FC);
special(OP_PREFIX_FD, IMM_PREFIX_FD);

// Fixed-width SIMD (the spec's SIMD opcode table; gaps are opcodes the proposal dropped). opcodes.test.ts
// checks every entry against V8's validator.
simd(0x00, 0x0a, 'i:v', IMM_MEMARG); // v128.load, the extending loads, the splat loads
simd(0x0b, 0x0b, 'iv:', IMM_MEMARG); // v128.store
simd(0x0c, 0x0c, ':v', IMM_BYTES16); // v128.const
simd(0x0d, 0x0d, 'vv:v', IMM_BYTES16); // i8x16.shuffle
simd(0x0e, 0x0e, 'vv:v'); // i8x16.swizzle
simd(0x0f, 0x11, 'i:v'); // i8x16, i16x8, i32x4 splat
simd(0x12, 0x12, 'l:v');
simd(0x13, 0x13, 'f:v');
simd(0x14, 0x14, 'd:v');
simd(0x15, 0x16, 'v:i', IMM_LANE); // extract_lane and replace_lane, per shape
simd(0x17, 0x17, 'vi:v', IMM_LANE);
simd(0x18, 0x19, 'v:i', IMM_LANE);
simd(0x1a, 0x1a, 'vi:v', IMM_LANE);
simd(0x1b, 0x1b, 'v:i', IMM_LANE);
simd(0x1c, 0x1c, 'vi:v', IMM_LANE);
simd(0x1d, 0x1d, 'v:l', IMM_LANE);
simd(0x1e, 0x1e, 'vl:v', IMM_LANE);
simd(0x1f, 0x1f, 'v:f', IMM_LANE);
simd(0x20, 0x20, 'vf:v', IMM_LANE);
simd(0x21, 0x21, 'v:d', IMM_LANE);
simd(0x22, 0x22, 'vd:v', IMM_LANE);
simd(0x23, 0x4c, 'vv:v'); // comparisons
simd(0x4d, 0x4d, 'v:v'); // v128.not
simd(0x4e, 0x51, 'vv:v'); // and, andnot, or, xor
simd(0x52, 0x52, 'vvv:v'); // bitselect
simd(0x53, 0x53, 'v:i'); // any_true
simd(0x54, 0x57, 'iv:v', IMM_MEMARG_LANE); // v128.load{8,16,32,64}_lane
simd(0x58, 0x5b, 'iv:', IMM_MEMARG_LANE); // v128.store{8,16,32,64}_lane
simd(0x5c, 0x5d, 'i:v', IMM_MEMARG); // v128.load{32,64}_zero
simd(0x5e, 0x62, 'v:v');
simd(0x63, 0x64, 'v:i'); // i8x16 all_true, bitmask (and so on per shape below)
simd(0x65, 0x66, 'vv:v');
simd(0x67, 0x6a, 'v:v');
simd(0x6b, 0x6d, 'vi:v'); // shifts
simd(0x6e, 0x73, 'vv:v');
simd(0x74, 0x75, 'v:v');
simd(0x76, 0x79, 'vv:v');
simd(0x7a, 0x7a, 'v:v');
simd(0x7b, 0x7b, 'vv:v');
simd(0x7c, 0x81, 'v:v');
simd(0x82, 0x82, 'vv:v');
simd(0x83, 0x84, 'v:i');
simd(0x85, 0x86, 'vv:v');
simd(0x87, 0x8a, 'v:v');
simd(0x8b, 0x8d, 'vi:v');
simd(0x8e, 0x93, 'vv:v');
simd(0x94, 0x94, 'v:v');
simd(0x95, 0x99, 'vv:v');
simd(0x9b, 0x9f, 'vv:v');
simd(0xa0, 0xa1, 'v:v');
simd(0xa3, 0xa4, 'v:i');
simd(0xa7, 0xaa, 'v:v');
simd(0xab, 0xad, 'vi:v');
simd(0xae, 0xae, 'vv:v');
simd(0xb1, 0xb1, 'vv:v');
simd(0xb5, 0xba, 'vv:v');
simd(0xbc, 0xbf, 'vv:v');
simd(0xc0, 0xc1, 'v:v');
simd(0xc3, 0xc4, 'v:i');
simd(0xc7, 0xca, 'v:v');
simd(0xcb, 0xcd, 'vi:v');
simd(0xce, 0xce, 'vv:v');
simd(0xd1, 0xd1, 'vv:v');
simd(0xd5, 0xdf, 'vv:v');
simd(0xe0, 0xe1, 'v:v');
simd(0xe3, 0xe3, 'v:v');
simd(0xe4, 0xeb, 'vv:v');
simd(0xec, 0xed, 'v:v');
simd(0xef, 0xef, 'v:v');
simd(0xf0, 0xf7, 'vv:v');
simd(0xf8, 0xff, 'v:v'); // conversions

/** A readable name for an opcode the lean transform refuses. */
export function opcodeName(op: number, sub?: number): string {
  const known: Record<number, string> = {
    0x06: 'try (exceptions)', 0x07: 'catch (exceptions)', 0x08: 'throw (exceptions)', 0x09: 'rethrow (exceptions)',
    0x0a: 'throw_ref (exceptions)', 0x12: 'return_call (tail calls)', 0x13: 'return_call_indirect (tail calls)',
    0x14: 'call_ref (function references)', 0x15: 'return_call_ref (tail calls)', 0x18: 'delegate (exceptions)',
    0x19: 'catch_all (exceptions)', 0x1f: 'try_table (exceptions)', 0xfb: 'GC instructions', 0xfd: 'SIMD outside fixed-width SIMD: relaxed or unknown',
    0xfe: 'atomic instructions (threads)',
  };
  const hex = `0x${op.toString(16).padStart(2, '0')}${sub === undefined ? '' : ` ${sub}`}`;
  return `opcode ${hex}${known[op] === undefined ? '' : ` (${known[op]})`}`;
}
