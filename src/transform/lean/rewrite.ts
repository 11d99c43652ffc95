// The lean transform's body rewrite (notes/lean.md "Body rewrite"): a function that can unwind gets
// Asyncify's runtime protocol on raw bytes (sites.ts finds where, emit.ts writes it); any other function
// only has its function indices remapped, and is returned as it came when none changes.
import { ByteReader, ByteWriter } from './bytes.js';
import { emitBody } from './emit.js';
import { OP_CALL, OP_REF_FUNC } from './opcodes.js';
import { localsToSave } from './liveness.js';
import { findSites, type Sites } from './sites.js';
import type { ModuleContext, RewritePlan } from './types.js';

/**
 * The body of input function funcIndex (a code-section entry without its size prefix) rewritten by
 * plan. LeanUnsupported for what the lean transform does not handle; the module then goes to Binaryen.
 */
export function rewriteBody(ctx: ModuleContext, funcIndex: number, body: Uint8Array, plan: RewritePlan): Uint8Array {
  const s = findSites(ctx, funcIndex, body, plan);
  return s.instrumented ? emitBody(ctx, body, plan, s, localsToSave(ctx, funcIndex, body, plan)) : remapped(body, plan, s);
}

/**
 * v as an unsigned LEB128 of `width` bytes if it fits (wasm-ld pads relocated indices to 5 bytes: the
 * body keeps its size and a remap there and back gives the same bytes), else as short as it can be.
 */
export function u32Width(w: ByteWriter, v: number, width: number): void {
  if (width > 5 || v >= 2 ** (7 * width)) {
    w.u32(v);
    return;
  }
  for (let i = 1; i < width; i++) {
    w.u8((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  w.u8(v);
}

/** The body with its call and ref.func indices remapped; the input itself when none changes. */
function remapped(body: Uint8Array, plan: RewritePlan, s: Sites): Uint8Array {
  let w: ByteWriter | null = null;
  let copied = 0;
  const r = new ByteReader(body);
  for (let m = 0; m < s.markCount; m++) {
    const pos = s.marks[m]!;
    const op = body[pos];
    if (op !== OP_CALL && op !== OP_REF_FUNC) continue;
    r.pos = pos + 1;
    const x = r.u32();
    const y = plan.func(x);
    if (y === x) continue;
    w ??= new ByteWriter(body.length + 16);
    w.bytes(body.subarray(copied, pos + 1));
    u32Width(w, y, r.pos - pos - 1);
    copied = r.pos;
  }
  if (w === null) return body;
  return w.bytes(body.subarray(copied)).finish();
}

/**
 * A function's two bodies when it gets a rewind clone (types.ts ClonePlan): its normal body and the
 * clone (the full shape), from one decoding; null when the function is not instrumented (rewriteBody's
 * remapped body serves, and it needs no clone).
 */
export function rewriteBodyCloned(ctx: ModuleContext, funcIndex: number, body: Uint8Array, plan: RewritePlan): { normal: Uint8Array; clone: Uint8Array } | null {
  const s = findSites(ctx, funcIndex, body, plan);
  if (!s.instrumented) return null;
  const keep = localsToSave(ctx, funcIndex, body, plan);
  return { normal: emitBody(ctx, body, plan, s, keep, 'normal'), clone: emitBody(ctx, body, plan, s, keep, 'full') };
}
