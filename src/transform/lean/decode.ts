// The instruction decoder's pieces the lean transform's passes share (the spec's binary format):
// locals vectors, block types, memargs, the 0xFC and 0xFD prefixes, and skipping any instruction's
// immediates.
// An opcode or feature it does not know is LeanUnsupported: the module goes to Binaryen instead.
import { ByteReader, MalformedModule } from './bytes.js';
import {
  BLOCK_EMPTY,
  FC_INDICES,
  FC_MEMORY_INDEX_AT,
  FD_IMMEDIATES,
  IMMEDIATES,
  IMM_BLOCK,
  IMM_BR_TABLE,
  IMM_BYTES16,
  IMM_CALL_INDIRECT,
  IMM_F32,
  IMM_F64,
  IMM_I32,
  IMM_I64,
  IMM_INDEX,
  IMM_LANE,
  IMM_MEMARG,
  IMM_MEMARG_LANE,
  IMM_MEMORY,
  IMM_NONE,
  IMM_PREFIX_FC,
  IMM_PREFIX_FD,
  IMM_REF_TYPE,
  IMM_SELECT_T,
  opcodeName,
} from './opcodes.js';
import { LeanUnsupported, type ModuleContext, type ValType } from './types.js';

/** Local counts above this are refused (V8 limits a function to 50,000 locals). */
const MAX_LOCALS = 50_000;

/** The types of a body's declared locals (after the params), read from the locals vector. */
export function readLocals(r: ByteReader): ValType[] {
  const out: ValType[] = [];
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    const at = r.pos;
    const n = r.u32();
    const t = r.valType();
    if (out.length + n > MAX_LOCALS) throw new MalformedModule(`${out.length + n} locals`, at);
    for (let i = 0; i < n; i++) out.push(t);
  }
  return out;
}

/** Skips a block type; returns it: -64 (0x40, empty), a value type (negative s33), or a type index (≥ 0). */
export function readBlockType(r: ByteReader, ctx: ModuleContext): number {
  const b = r.bytes[r.pos];
  if (b === BLOCK_EMPTY) {
    r.pos++;
    return -1;
  }
  if (b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) {
    r.pos++;
    return -b;
  }
  const at = r.pos;
  const t = r.s33();
  if (t < 0) throw new LeanUnsupported(`block type ${t}`);
  if (t >= ctx.types.length) throw new MalformedModule(`block type index ${t} out of range`, at);
  return t;
}

/** A memarg; refuses a memory index (multi-memory: bit 6 of the alignment). */
export function skipMemarg(r: ByteReader): void {
  const align = r.u32();
  if ((align & 0x40) !== 0) throw new LeanUnsupported('a memory index in a load or store (multi-memory)');
  r.u32();
}

/** Reads a 0xFC instruction's sub-opcode and immediates; returns the sub-opcode. */
export function readPrefixFC(r: ByteReader): number {
  const sub = r.u32();
  if (sub > 17) throw new LeanUnsupported(opcodeName(0xfc, sub));
  const mem = FC_MEMORY_INDEX_AT[sub];
  for (let i = 0; i < FC_INDICES[sub]!; i++) {
    const x = r.u32();
    if (x !== 0 && mem !== undefined && mem.includes(i)) throw new LeanUnsupported('a memory index other than 0 (multi-memory)');
  }
  return sub;
}

/** Reads a 0xFD (SIMD) instruction's sub-opcode and immediates; returns the sub-opcode. */
export function readPrefixFD(r: ByteReader): number {
  const sub = r.u32();
  const imm = sub < FD_IMMEDIATES.length ? FD_IMMEDIATES[sub]! : -1;
  switch (imm) {
    case IMM_NONE:
      break;
    case IMM_MEMARG:
      skipMemarg(r);
      break;
    case IMM_MEMARG_LANE:
      skipMemarg(r);
      r.u8();
      break;
    case IMM_LANE:
      r.u8();
      break;
    case IMM_BYTES16:
      if (r.pos + 16 > r.end) throw new MalformedModule('a SIMD instruction cut short', r.pos);
      r.pos += 16;
      break;
    default:
      throw new LeanUnsupported(opcodeName(0xfd, sub));
  }
  return sub;
}

/**
 * Skips the immediates of an instruction whose opcode `op` was just read (block types included);
 * LeanUnsupported for an opcode it does not know.
 */
export function skipImmediates(r: ByteReader, op: number, ctx: ModuleContext): void {
  switch (IMMEDIATES[op]) {
    case IMM_NONE:
      return;
    case IMM_BLOCK:
      readBlockType(r, ctx);
      return;
    case IMM_INDEX:
      r.u32();
      return;
    case IMM_BR_TABLE: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case IMM_CALL_INDIRECT:
      r.u32();
      r.u32();
      return;
    case IMM_MEMARG:
      skipMemarg(r);
      return;
    case IMM_MEMORY:
      if (r.u8() !== 0) throw new LeanUnsupported('a memory index other than 0 (multi-memory)');
      return;
    case IMM_I32:
    case IMM_I64:
      r.skipLeb();
      return;
    case IMM_F32:
      r.pos += 4;
      return;
    case IMM_F64:
      r.pos += 8;
      return;
    case IMM_SELECT_T: {
      const n = r.u32();
      if (n !== 1) throw new LeanUnsupported(`select with ${n} types`);
      r.valType();
      return;
    }
    case IMM_REF_TYPE: {
      const t = r.u8();
      if (t !== 0x70 && t !== 0x6f) throw new LeanUnsupported(`ref.null of type 0x${t.toString(16)}`);
      return;
    }
    case IMM_PREFIX_FC:
      readPrefixFC(r);
      return;
    case IMM_PREFIX_FD:
      readPrefixFD(r);
      return;
    default:
      throw new LeanUnsupported(opcodeName(op));
  }
}
