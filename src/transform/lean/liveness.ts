// Which of a function's locals an unwind must save: those live at some place the function can stop (after
// an unwinding call, at a fuel-checked loop head, at a checked entry), found by backward liveness over the
// body's basic blocks, as a compiler's register allocator finds them. A local dead at every such place is
// left out of the frame: its value after a rewind is never read, and the frame (Asyncify's buffer per
// stack level, and what stays live across every call for the unwind path) shrinks.
import { ByteReader } from './bytes.js';
import { readBlockType, readLocals, skipImmediates } from './decode.js';
import {
  OP_BLOCK,
  OP_BR,
  OP_BR_IF,
  OP_BR_TABLE,
  OP_CALL,
  OP_CALL_INDIRECT,
  OP_ELSE,
  OP_END,
  OP_IF,
  OP_LOCAL_GET,
  OP_LOCAL_SET,
  OP_LOCAL_TEE,
  OP_LOOP,
  OP_RETURN,
  OP_UNREACHABLE,
} from './opcodes.js';
import type { ModuleContext, RewritePlan } from './types.js';

/** A basic block: its locals read before written (gen), written (kill), and successors. */
interface Block {
  gen: Uint32Array;
  kill: Uint32Array;
  succ: number[];
}

interface Control {
  readonly op: number;
  /** Where a branch to its label goes: a loop's head, a block's or if's end. */
  readonly target: number;
  readonly end: number;
  /** An if's block before its condition branched (its else arm's predecessor). */
  readonly from: number;
  hasElse: boolean;
}

const has = (s: Uint32Array, i: number): boolean => (s[i >>> 5]! & (1 << (i & 31))) !== 0;
const add = (s: Uint32Array, i: number): void => {
  s[i >>> 5]! |= 1 << (i & 31);
};

/**
 * For each local of the function (params first), whether an unwind must save it: it is live at some
 * place the rewritten function can stop. Places in dead code count too (a harmless excess).
 */
export function localsToSave(ctx: ModuleContext, funcIndex: number, body: Uint8Array, plan: RewritePlan): boolean[] {
  const ftype = ctx.types[ctx.funcTypes[funcIndex]!]!;
  const r = new ByteReader(body);
  const count = ftype.params.length + readLocals(r).length;
  const words = (count + 31) >>> 5;
  const blocks: Block[] = [];
  const block = (): number => {
    blocks.push({ gen: new Uint32Array(words), kill: new Uint32Array(words), succ: [] });
    return blocks.length - 1;
  };
  const entry = block();
  const exit = block();
  /** Blocks whose live-in is a stopping place's live set. */
  const stops: number[] = plan.fuelAtEntry ? [entry] : [];
  const control: Control[] = [{ op: OP_BLOCK, target: exit, end: exit, from: entry, hasElse: false }];
  let cur = entry;
  /** Blocks in the order the walk enters them (program order). */
  const order: number[] = [entry];
  const enter = (b: number): void => {
    cur = b;
    order.push(b);
  };
  const labelTarget = (depth: number): number => control[control.length - 1 - depth]!.target;

  while (!r.done) {
    const op = r.u8();
    switch (op) {
      case OP_LOCAL_GET: {
        const i = r.u32();
        const b = blocks[cur]!;
        if (!has(b.kill, i)) add(b.gen, i);
        break;
      }
      case OP_LOCAL_SET:
      case OP_LOCAL_TEE:
        add(blocks[cur]!.kill, r.u32());
        break;
      case OP_BLOCK: {
        readBlockType(r, ctx);
        const end = block();
        control.push({ op, target: end, end, from: cur, hasElse: false });
        break;
      }
      case OP_LOOP: {
        readBlockType(r, ctx);
        const head = block();
        blocks[cur]!.succ.push(head);
        enter(head);
        if (plan.fuelAtLoops) stops.push(head);
        control.push({ op, target: head, end: block(), from: head, hasElse: false });
        break;
      }
      case OP_IF: {
        readBlockType(r, ctx);
        const end = block();
        const then = block();
        blocks[cur]!.succ.push(then);
        control.push({ op, target: end, end, from: cur, hasElse: false });
        enter(then);
        break;
      }
      case OP_ELSE: {
        const c = control[control.length - 1]!;
        blocks[cur]!.succ.push(c.end);
        c.hasElse = true;
        enter(block());
        blocks[c.from]!.succ.push(cur);
        break;
      }
      case OP_END: {
        const c = control.pop()!;
        blocks[cur]!.succ.push(c.end);
        if (c.op === OP_IF && !c.hasElse) blocks[c.from]!.succ.push(c.end);
        enter(c.end);
        break;
      }
      case OP_BR:
        blocks[cur]!.succ.push(labelTarget(r.u32()));
        enter(block());
        break;
      case OP_BR_IF: {
        blocks[cur]!.succ.push(labelTarget(r.u32()));
        const next = block();
        blocks[cur]!.succ.push(next);
        enter(next);
        break;
      }
      case OP_BR_TABLE: {
        const n = r.u32();
        for (let i = 0; i <= n; i++) blocks[cur]!.succ.push(labelTarget(r.u32()));
        enter(block());
        break;
      }
      case OP_RETURN:
      case OP_UNREACHABLE:
        enter(block());
        break;
      case OP_CALL:
      case OP_CALL_INDIRECT: {
        const unwinds = op === OP_CALL ? plan.callUnwinds(r.u32()) : plan.indirectUnwinds(r.u32());
        if (op === OP_CALL_INDIRECT) r.u32();
        if (unwinds) {
          // The place after the call starts a block: its live-in is what the call's stop must keep.
          const after = block();
          blocks[cur]!.succ.push(after);
          enter(after);
          stops.push(after);
        }
        break;
      }
      default:
        skipImmediates(r, op, ctx);
    }
  }

  // Backward dataflow to a fixpoint: in(b) = gen(b) ∪ (∪ in(succ) − kill(b)), by a worklist that starts
  // with every block, last in program order first, and takes a block again when a successor's in grows.
  const preds: number[][] = blocks.map(() => []);
  blocks.forEach((b, i) => {
    for (const s of b.succ) preds[s]!.push(i);
  });
  const live = blocks.map(() => new Uint32Array(words));
  const out = new Uint32Array(words);
  const queued = new Uint8Array(blocks.length).fill(1);
  const work: number[] = [];
  const seen = new Uint8Array(blocks.length);
  for (const b of order) seen[b] = 1;
  for (let b = 0; b < blocks.length; b++) if (seen[b] === 0) work.push(b);
  for (const b of order) work.push(b);
  for (let b = work.pop(); b !== undefined; b = work.pop()) {
    queued[b] = 0;
    const { gen, kill, succ } = blocks[b]!;
    out.fill(0);
    for (const s of succ) {
      const l = live[s]!;
      for (let w = 0; w < words; w++) out[w]! |= l[w]!;
    }
    const into = live[b]!;
    let changed = false;
    for (let w = 0; w < words; w++) {
      const v = (gen[w]! | (out[w]! & ~kill[w]!)) >>> 0;
      if (v !== into[w]) {
        into[w] = v;
        changed = true;
      }
    }
    if (!changed) continue;
    for (const p of preds[b]!) {
      if (queued[p] === 1) continue;
      queued[p] = 1;
      work.push(p);
    }
  }
  const keep = new Uint32Array(words);
  for (const s of stops) {
    const l = live[s]!;
    for (let w = 0; w < words; w++) keep[w]! |= l[w]!;
  }
  return Array.from({ length: count }, (_, i) => has(keep, i));
}
