// Constant expressions (the spec's "Constant Expressions": globals' initializers, segments' offsets and
// element expressions) read and copied with `ref.func` indices remapped, for the lean transform's module
// rewrite. Extended-const arithmetic is copied too; anything else is not a constant expression it knows.
import type { ByteReader, ByteWriter } from './bytes.js';
import { LeanUnsupported } from './types.js';

/** Reads one instruction of a constant expression (onFunc hears a ref.func's index); false at its `end`. */
function step(r: ByteReader, onFunc: (f: number) => void): boolean {
  const op = r.u8();
  switch (op) {
    case 0x0b: return false;
    case 0x41: r.s32(); return true;
    case 0x42: r.skipLeb(); return true;
    case 0x43: r.take(4); return true;
    case 0x44: r.take(8); return true;
    case 0x23: r.u32(); return true;
    case 0xd0: r.u8(); return true;
    case 0xd2: onFunc(r.u32()); return true;
    // extended-const: i32.add/sub/mul, i64.add/sub/mul
    case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: return true;
    case 0xfd:
      if (r.u32() !== 12) throw new LeanUnsupported('a SIMD instruction in a constant expression');
      r.take(16);
      return true;
    default:
      throw new LeanUnsupported(`opcode 0x${op.toString(16)} in a constant expression`);
  }
}

export function readConstExpr(r: ByteReader, onFunc: (f: number) => void): void {
  while (step(r, onFunc));
}

/** Copies one constant expression from r to w, ref.func indices mapped by func. */
export function writeConstExpr(r: ByteReader, w: ByteWriter, func: (i: number) => number): void {
  for (;;) {
    const from = r.pos;
    if (r.bytes[from] === 0xd2) {
      r.u8();
      w.u8(0xd2).u32(func(r.u32()));
      continue;
    }
    const more = step(r, () => undefined);
    w.bytes(r.bytes.subarray(from, r.pos));
    if (!more) return;
  }
}
