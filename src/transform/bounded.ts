// Loops that provably end soon need no fuel check: a counted loop with no loop and no call inside, whose
// one back-edge is guarded by comparing an induction variable (stepped by a constant once per
// iteration) with a constant, runs a bounded number of times per entry; the check of whatever loop or
// function entry encloses it still bounds the time between checks. Leaving these loops alone keeps
// fixed-size kernels (hash rounds, block copies) free of checks, and often out of Asyncify entirely.
import binaryen from 'binaryen';
import { B, pushChildren, type Ref } from './ir.js';

/** The most work (iterations × expressions in the body) a loop may do per entry and still go unchecked. */
export const WORK_LIMIT = 1 << 22;

interface Guard {
  local: number;
  op: number;
  bound: number;
  /** The guard's operand when it is the increment itself: (i32.ne (local.tee $i (i32.add ...)) C). */
  operand: Ref;
}

/** `local.set/tee $i (i32.add|sub (local.get $i) (i32.const k))`: the step, or null. */
function stepOf(set: Ref): number | null {
  const value = B.LocalSet.getValue(set);
  if (binaryen.getExpressionId(value) !== binaryen.BinaryId || binaryen.getExpressionType(value) !== binaryen.i32) return null;
  const op = B.Binary.getOp(value);
  if (op !== binaryen.AddInt32 && op !== binaryen.SubInt32) return null;
  const [l, r] = [B.Binary.getLeft(value), B.Binary.getRight(value)];
  if (binaryen.getExpressionId(l) !== binaryen.LocalGetId || B.LocalGet.getIndex(l) !== B.LocalSet.getIndex(set)) return null;
  if (binaryen.getExpressionId(r) !== binaryen.ConstId) return null;
  const k = B.Const.getValueI32(r);
  const step = op === binaryen.AddInt32 ? k : -k | 0;
  return step === 0 ? null : step;
}

/** The comparison ops a guard may use, and each with its operands swapped. */
const SWAPPED = new Map<number, number>([
  [binaryen.EqInt32, binaryen.EqInt32],
  [binaryen.NeInt32, binaryen.NeInt32],
  [binaryen.LtUInt32, binaryen.GtUInt32],
  [binaryen.LtSInt32, binaryen.GtSInt32],
  [binaryen.GtUInt32, binaryen.LtUInt32],
  [binaryen.GtSInt32, binaryen.LtSInt32],
  [binaryen.LeUInt32, binaryen.GeUInt32],
  [binaryen.LeSInt32, binaryen.GeSInt32],
  [binaryen.GeUInt32, binaryen.LeUInt32],
  [binaryen.GeSInt32, binaryen.LeSInt32],
]);

/** Each comparison op and its negation. */
const NEGATED = new Map<number, number>([
  [binaryen.EqInt32, binaryen.NeInt32],
  [binaryen.NeInt32, binaryen.EqInt32],
  [binaryen.LtUInt32, binaryen.GeUInt32],
  [binaryen.GeUInt32, binaryen.LtUInt32],
  [binaryen.LtSInt32, binaryen.GeSInt32],
  [binaryen.GeSInt32, binaryen.LtSInt32],
  [binaryen.GtUInt32, binaryen.LeUInt32],
  [binaryen.LeUInt32, binaryen.GtUInt32],
  [binaryen.GtSInt32, binaryen.LeSInt32],
  [binaryen.LeSInt32, binaryen.GtSInt32],
]);

/** `cmp(X, C)`, `cmp(C, X)` or `eqz(cmp(...))` with X a read (or tee) of a local: the guard it states, or null. */
function guardOf(cond: Ref): Guard | null {
  if (binaryen.getExpressionId(cond) === binaryen.UnaryId && B.Unary.getOp(cond) === binaryen.EqZInt32) {
    const inner = guardOf(B.Unary.getValue(cond));
    return inner === null ? null : { ...inner, op: NEGATED.get(inner.op)! };
  }
  if (binaryen.getExpressionId(cond) !== binaryen.BinaryId) return null;
  let op = B.Binary.getOp(cond);
  if (!SWAPPED.has(op)) return null;
  let [x, c] = [B.Binary.getLeft(cond), B.Binary.getRight(cond)];
  if (binaryen.getExpressionId(x) === binaryen.ConstId) {
    [x, c] = [c, x];
    op = SWAPPED.get(op)!;
  }
  if (binaryen.getExpressionId(c) !== binaryen.ConstId || binaryen.getExpressionType(c) !== binaryen.i32) return null;
  const xid = binaryen.getExpressionId(x);
  if (xid === binaryen.LocalGetId) return { local: B.LocalGet.getIndex(x), op, bound: B.Const.getValueI32(c), operand: 0 };
  if (xid === binaryen.LocalSetId) return { local: B.LocalSet.getIndex(x), op, bound: B.Const.getValueI32(c), operand: x };
  return null;
}

function holds(op: number, v: number, c: number): boolean {
  switch (op) {
    case binaryen.EqInt32: return v === c;
    case binaryen.NeInt32: return v !== c;
    case binaryen.LtUInt32: return v >>> 0 < c >>> 0;
    case binaryen.LtSInt32: return v < c;
    case binaryen.GtUInt32: return v >>> 0 > c >>> 0;
    case binaryen.GtSInt32: return v > c;
    case binaryen.LeUInt32: return v >>> 0 <= c >>> 0;
    case binaryen.LeSInt32: return v <= c;
    case binaryen.GeUInt32: return v >>> 0 >= c >>> 0;
    case binaryen.GeSInt32: return v >= c;
    default: return true;
  }
}

/** Iterations until the guard fails, the variable starting at `from` and stepping by `step`; null past limit. */
function simulate(g: Guard, from: number, step: number, limit: number): number | null {
  let v = from | 0;
  for (let n = 1; n <= limit; n++) {
    if (!holds(g.op, v, g.bound)) return n;
    v = (v + step) | 0;
  }
  return null;
}

/** The iterations a guard allows per entry: `init` is the initial value if known. */
function tripsUnder(g: Guard, step: number, init: number | null, limit: number): number | null {
  if (init !== null) {
    // Whether the guard sees the variable before or after this iteration's step, one of these is it.
    const before = simulate(g, init, step, limit);
    const after = simulate(g, (init + step) | 0, step, limit);
    return before === null || after === null ? null : Math.max(before, after);
  }
  // From any start, i <u C with a positive step that cannot wrap past C ends within C/step + 2 turns
  // (one more if the first step wraps a start near 2^32 round to 0).
  if (g.op === binaryen.LtUInt32 && step > 0 && (g.bound >>> 0) + step <= 2 ** 32) {
    const n = Math.ceil((g.bound >>> 0) / step) + 2;
    return n <= limit ? n : null;
  }
  return null;
}

/** Whether the tree at e sets local (scanning at most `budget` expressions; past it, assume it does). */
function mayWrite(e: Ref, local: number, budget: number, fn: string): boolean {
  const stack: Ref[] = [e];
  for (let x = stack.pop(), n = 0; x !== undefined; x = stack.pop(), n++) {
    if (n > budget) return true;
    if (binaryen.getExpressionId(x) === binaryen.LocalSetId && B.LocalSet.getIndex(x) === local) return true;
    pushChildren(x, stack, fn);
  }
  return false;
}

/** Where a loop sits: the block it is a statement of (0 if none), its index there, and its function. */
export interface LoopPlace {
  block: Ref;
  index: number;
  /** The function's body and its parameter count: a var local is 0 when the body starts. */
  body: Ref;
  params: number;
  fn: string;
}

/**
 * The value `local` holds when the loop is entered, if a statement before it in the same block sets it
 * to a constant and none in between may change it (looking back a few statements only), or if the block
 * is the function's body, nothing before the loop writes it and it is not a parameter (vars start at 0).
 */
function initialValue(local: number, loop: Ref, at: LoopPlace): number | null {
  const { block, index, fn } = at;
  if (loop === at.body) return local >= at.params ? 0 : null;
  if (block === 0) return null;
  const top = block === at.body && local >= at.params && index <= 64;
  for (let i = index - 1; i >= 0 && (top || i >= index - 32); i--) {
    const s = B.Block.getChildAt(block, i);
    if (binaryen.getExpressionId(s) === binaryen.LocalSetId && !B.LocalSet.isTee(s) && B.LocalSet.getIndex(s) === local) {
      const v = B.LocalSet.getValue(s);
      const isConst = binaryen.getExpressionId(v) === binaryen.ConstId && binaryen.getExpressionType(v) === binaryen.i32;
      return isConst ? B.Const.getValueI32(v) : null;
    }
    if (mayWrite(s, local, 256, fn)) return null;
  }
  return top ? 0 : null;
}

/**
 * The most iterations one entry into `loop` can make, when it is a leaf loop (no loop or call inside,
 * one back-edge) that is provably bounded and small enough (WORK_LIMIT); null when it needs a check.
 * `at` places the loop, for the induction variable's initial value.
 */
export function boundedTrips(loop: Ref, at: LoopPlace): number | null {
  const fn = at.fn;
  const name = B.Loop.getName(loop);
  const body = B.Loop.getBody(loop);
  const parent = new Map<Ref, Ref>();
  const sets = new Map<number, Ref[]>();
  const backEdges: Ref[] = [];
  let size = 0;
  const stack: Ref[] = [body];
  const children: Ref[] = [];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    size++;
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.LoopId || id === binaryen.CallId || id === binaryen.CallIndirectId) return null;
    if (id === binaryen.SwitchId) {
      for (let i = 0; i < B.Switch.getNumNames(e); i++) if (B.Switch.getNameAt(e, i) === name) return null;
      if (B.Switch.getDefaultName(e) === name) return null;
    }
    if (id === binaryen.BreakId && name !== null && B.Break.getName(e) === name) backEdges.push(e);
    if (id === binaryen.LocalSetId) {
      const i = B.LocalSet.getIndex(e);
      sets.set(i, [...(sets.get(i) ?? []), e]);
    }
    children.length = 0;
    pushChildren(e, children, fn);
    for (const c of children) {
      parent.set(c, e);
      stack.push(c);
    }
  }
  if (backEdges.length === 0) return 1;
  // With two back-edges, one could skip the value the other's guard waits for (i != C): keep the check.
  if (backEdges.length > 1) return null;
  const limit = Math.floor(WORK_LIMIT / size);

  const initial = (local: number): number | null => initialValue(local, loop, at);

  /** Whether `set` runs on every path from the loop head to `br` before it: an earlier statement of an enclosing block. */
  const runsBefore = (set: Ref, br: Ref): boolean => {
    for (let child = br, up = parent.get(br); up !== undefined; child = up, up = parent.get(up)) {
      if (binaryen.getExpressionId(up) !== binaryen.BlockId) continue;
      for (let i = 0; i < B.Block.getNumChildren(up); i++) {
        const s = B.Block.getChildAt(up, i);
        if (s === child) break;
        if (s === set || (binaryen.getExpressionId(s) === binaryen.DropId && B.Drop.getValue(s) === set)) return true;
      }
    }
    return false;
  };

  let most = 0;
  for (const br of backEdges) {
    // The guards on this back-edge: its own condition, and the condition of each `if` it sits in the then-arm of.
    const guards: Ref[] = [];
    if (B.Break.getCondition(br) !== 0) guards.push(B.Break.getCondition(br));
    for (let child = br, up = parent.get(br); up !== undefined; child = up, up = parent.get(up)) {
      if (binaryen.getExpressionId(up) === binaryen.IfId && B.If.getIfTrue(up) === child) guards.push(B.If.getCondition(up));
    }
    let best: number | null = null;
    for (const cond of guards) {
      const g = guardOf(cond);
      const only = g === null ? undefined : sets.get(g.local);
      if (g === null || only === undefined || only.length !== 1) continue;
      const set = only[0]!;
      const step = stepOf(set);
      if (step === null) continue;
      if (g.operand !== 0 ? g.operand !== set : !runsBefore(set, br)) continue;
      const trips = tripsUnder(g, step, initial(g.local), limit);
      if (trips !== null) best = best === null ? trips : Math.min(best, trips);
    }
    if (best === null) return null;
    most = Math.max(most, best);
  }
  return most;
}
