// The unwind frame of the lean transform (Asyncify's "stack" buffer, one frame per function that
// unwinds): its byte layout, and the module's shared helpers that push and pop one, one pair per list of
// value types, so each unwinding body calls them instead of holding a load or a store per saved local
// (as a compiler calls a shared register-save routine rather than inlining its spills).
import { ByteWriter } from './bytes.js';
import {
  OP_END,
  OP_F32_LOAD,
  OP_F32_STORE,
  OP_F64_LOAD,
  OP_F64_STORE,
  OP_GLOBAL_GET,
  OP_I32_ADD,
  OP_I32_CONST,
  OP_I32_GT_U,
  OP_I32_LOAD,
  OP_I32_STORE,
  OP_I32_SUB,
  OP_I64_LOAD,
  OP_I64_STORE,
  OP_IF,
  OP_LOCAL_GET,
  OP_LOCAL_TEE,
  OP_PREFIX_FD,
  OP_UNREACHABLE,
  BLOCK_EMPTY,
  FD_V128_LOAD,
  FD_V128_STORE,
} from './opcodes.js';
import { F32, F64, I32, I64, V128, type FuncType, type ValType } from './types.js';

/** The most values a frame helper takes or returns (V8 allows 1000 parameters and results; Liftoff spills them). */
export const FRAME_HELPER_MAX_VALUES = 255;

/** Writes the store of a frame value of type t at offset (alignment 1: frames pack values unaligned). */
export function writeStore(w: ByteWriter, t: ValType, offset: number): void {
  if (t === V128) w.u8(OP_PREFIX_FD).u32(FD_V128_STORE);
  else w.u8(t === I32 ? OP_I32_STORE : t === I64 ? OP_I64_STORE : t === F32 ? OP_F32_STORE : OP_F64_STORE);
  w.u32(0).u32(offset);
}
/** Writes the load of a frame value of type t from offset. */
export function writeLoad(w: ByteWriter, t: ValType, offset: number): void {
  if (t === V128) w.u8(OP_PREFIX_FD).u32(FD_V128_LOAD);
  else w.u8(t === I32 ? OP_I32_LOAD : t === I64 ? OP_I64_LOAD : t === F32 ? OP_F32_LOAD : OP_F64_LOAD);
  w.u32(0).u32(offset);
}
function size(t: ValType): number {
  return t === V128 ? 16 : t === I64 || t === F64 ? 8 : 4;
}

/** A frame of these values: each one's offset, in order, then the resume index (an i32); its size. */
export function frameLayout(types: readonly ValType[]): { offsets: number[]; resumeOffset: number; size: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const t of types) {
    offsets.push(at);
    at += size(t);
  }
  return { offsets, resumeOffset: at, size: at + 4 };
}

/** The order frames list their values in, so that one pair of helpers serves every function with the same counts. */
export function typeRank(t: ValType): number {
  return t === I32 ? 0 : t === I64 ? 1 : t === F32 ? 2 : t === F64 ? 3 : 4;
}

/**
 * save(resume: i32, values...): traps (`unreachable`) when the frame does not fit (current + size > end,
 * unsigned, as Asyncify checks), stores the values and the resume index at current, and advances it.
 * load() -> (resume: i32, values...): moves current back by the frame's size and loads the frame there.
 * data: the global holding the pointer to Asyncify's {current, end} header.
 */
export function frameHelpers(types: readonly ValType[], data: number): { save: { type: FuncType; body: Uint8Array }; load: { type: FuncType; body: Uint8Array } } {
  const { offsets, resumeOffset, size: frameSize } = frameLayout(types);
  const n = types.length;
  const scratch = n + 1; // save's only local, after its parameters
  const s = new ByteWriter(32 + n * 8).u8(1).u32(1).u8(I32);
  s.u8(OP_GLOBAL_GET).u32(data).u8(OP_I32_LOAD).u32(2).u32(0).u8(OP_LOCAL_TEE).u32(scratch);
  s.u8(OP_I32_CONST).s32(frameSize).u8(OP_I32_ADD);
  s.u8(OP_GLOBAL_GET).u32(data).u8(OP_I32_LOAD).u32(2).u32(4);
  s.u8(OP_I32_GT_U).u8(OP_IF).u8(BLOCK_EMPTY).u8(OP_UNREACHABLE).u8(OP_END);
  types.forEach((t, i) => {
    s.u8(OP_LOCAL_GET).u32(scratch).u8(OP_LOCAL_GET).u32(i + 1);
    writeStore(s, t, offsets[i]!);
  });
  s.u8(OP_LOCAL_GET).u32(scratch).u8(OP_LOCAL_GET).u32(0).u8(OP_I32_STORE).u32(0).u32(resumeOffset);
  s.u8(OP_GLOBAL_GET).u32(data).u8(OP_LOCAL_GET).u32(scratch).u8(OP_I32_CONST).s32(frameSize).u8(OP_I32_ADD);
  s.u8(OP_I32_STORE).u32(2).u32(0).u8(OP_END);

  const l = new ByteWriter(32 + n * 6).u8(1).u32(1).u8(I32);
  l.u8(OP_GLOBAL_GET).u32(data);
  l.u8(OP_GLOBAL_GET).u32(data).u8(OP_I32_LOAD).u32(2).u32(0).u8(OP_I32_CONST).s32(frameSize).u8(OP_I32_SUB);
  l.u8(OP_LOCAL_TEE).u32(0).u8(OP_I32_STORE).u32(2).u32(0);
  l.u8(OP_LOCAL_GET).u32(0).u8(OP_I32_LOAD).u32(0).u32(resumeOffset);
  types.forEach((t, i) => {
    l.u8(OP_LOCAL_GET).u32(0);
    writeLoad(l, t, offsets[i]!);
  });
  l.u8(OP_END);
  return {
    save: { type: { params: [I32, ...types], results: [] }, body: s.finish() },
    load: { type: { params: [], results: [I32, ...types] }, body: l.finish() },
  };
}
