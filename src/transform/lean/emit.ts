// The second pass of the lean transform's body rewrite: re-encodes an instrumented body with Asyncify's
// runtime protocol (wasi/suspend.ts's Fiber), one check per unwinding call instead of Binaryen's guards.
// Unchanged instruction runs are copied as byte ranges; control instructions are re-encoded, every
// branch's depth recomputed from the construct it names (sites.ts found them), so the blocks added for
// the dispatch, the fuel checks and the unwind frame never change where a branch goes. The shapes:
// notes/lean.md "Body rewrite"; a function with a rewind clone (types.ts ClonePlan) gets two: the
// normal body (no rewind prologue, no dispatch) and the clone (the full shape). With an unwind tag
// (RewritePlan.unwindTag) a call of the module's own code sits in a try and the epilogue throws: no state
// check after such a call on the normal path. Departures from notes/lean.md's shapes: no $rw local (a
// sequence's dispatch tests the state, which says rewinding until the rewind's import is called again),
// and the check after a call is `i32.const r; global.get $state; br_if $unwind; drop` ($unwind's block
// carries the resume index to the epilogue). With the module's frame helpers (RewritePlan.frameHelpers,
// frames.ts) the epilogue passes the saved locals to a shared save function and the rewind prologue takes
// them back from a load function's results: a call each instead of a store or load per local.
import { ByteReader, ByteWriter } from './bytes.js';
import {
  BLOCK_EMPTY,
  OP_BLOCK,
  OP_BR,
  OP_BR_IF,
  OP_BR_TABLE,
  OP_CALL,
  OP_CALL_INDIRECT,
  OP_CATCH,
  OP_DROP,
  OP_ELSE,
  OP_END,
  OP_F32_CONST,
  OP_F32_LOAD,
  OP_F32_STORE,
  OP_F64_CONST,
  OP_F64_LOAD,
  OP_F64_STORE,
  OP_GLOBAL_GET,
  OP_GLOBAL_SET,
  OP_I32_ADD,
  OP_I32_CONST,
  OP_I32_EQ,
  OP_I32_GE_S,
  OP_I32_GT_U,
  OP_I32_LE_U,
  OP_I32_LOAD,
  OP_I32_NE,
  OP_I32_STORE,
  OP_I32_SUB,
  OP_I64_CONST,
  OP_I64_LOAD,
  OP_I64_STORE,
  OP_IF,
  OP_LOCAL_GET,
  OP_LOCAL_SET,
  OP_LOCAL_TEE,
  OP_LOOP,
  OP_REF_FUNC,
  OP_PREFIX_FD,
  OP_REF_NULL,
  FD_V128_CONST,
  OP_RETURN,
  OP_RETHROW,
  OP_THROW,
  OP_TRY,
  OP_UNREACHABLE,
} from './opcodes.js';
import { readBlockType } from './decode.js';
import { FRAME_HELPER_MAX_VALUES, frameLayout, typeRank, writeLoad, writeStore } from './frames.js';
import type { Construct, Entry, Sites } from './sites.js';
import { F32, F64, I32, I64, LeanUnsupported, V128, type ModuleContext, type RewritePlan, type ValType } from './types.js';


/** The most saved values for which each call's catch pushes the frame itself (the code is per call site). */
const RETHROW_MAX_SAVED = 16;

function fail(): never {
  throw new Error('lean rewrite: a function entered from outside without a clone has no normal shape');
}

/** A sequence's dispatch: its entries, the next one the encoding reaches, and how they were opened. */
interface Seq {
  readonly entries: readonly Entry[];
  next: number;
  /** Dispatch blocks were opened (one per entry to close). */
  readonly dispatched: boolean;
  /** The first entry's block was closed with the dispatch (it starts the sequence). */
  readonly mergedFirst: boolean;
  /** A normal body's sequence: no dispatch, its entries only spill the values the frame keeps. */
  readonly spillOnly?: boolean;
}

/** An open construct of the input: where its label is in the output's label stack. */
interface Frame {
  readonly labelIdx: number;
  readonly c: Construct | null;
  seq: Seq | null;
  /** A fuel loop's wrapping labels and its done sequence. */
  readonly fuel: { restart: number; done: number; slow: number; doneSeq: Seq; preempt: Entry } | null;
}

const NO_SEQ: Seq = { entries: [], next: 0, dispatched: false, mergedFirst: false };


/**
 * Which temps (by ordinal) a frame must hold: each one a rewind reloads on its way to a call and whose
 * value matters there: values below a call, an if's condition, a block's params, a call_indirect's table
 * index, an import call's arguments. The arguments of a call of the module's own function do not: the
 * callee, rewinding, takes its live parameters from its own frame (liveness.ts: the others are dead).
 */
function tempsToSave(ctx: ModuleContext, body: Uint8Array, plan: RewritePlan, s: Sites): Uint8Array {
  const needed = new Uint8Array(s.temps.length);
  const all = (e: Entry): void => {
    for (const k of e.temps) needed[k] = 1;
  };
  for (const c of s.constructs) {
    for (const e of c.entries) if (!e.call) all(e);
    for (const e of c.elseEntries) if (!e.call) all(e);
  }
  for (const e of s.top) if (!e.call) all(e);
  const imported = plan.importedFunctions;
  s.calls.forEach((e, i) => {
    const r = new ByteReader(body, s.callPos[i]!);
    const op = r.u8();
    const index = r.u32();
    const own = op === OP_CALL && imported !== undefined && index >= imported;
    // A call_indirect's table index is its last value: always kept, as is everything for an import.
    const args = own ? ctx.types[ctx.funcTypes[index]!]!.params.length : 0;
    e.temps.forEach((k, j) => {
      if (j < e.temps.length - args) needed[k] = 1;
    });
  });
  return needed;
}

/**
 * What emitBody writes: the full shape (rewind prologue and dispatch; a function's rewind clone is this
 * shape), or a normal body (types.ts ClonePlan: no prologue, no dispatch; the same frame, so the clone
 * rewinds what it unwinds).
 */
export type Shape = 'full' | 'normal';

/**
 * The instrumented body: the locals vector with the rewrite's locals added, then the new expression.
 * keep: which of the input's locals the frame holds (liveness.ts: those live where the function can stop).
 */
export function emitBody(ctx: ModuleContext, body: Uint8Array, plan: RewritePlan, s: Sites, keep: readonly boolean[], shape: Shape = 'full'): Uint8Array {
  const w = new ByteWriter(body.length * 2 + 256);
  const base = s.localTypes.length;
  const RESUME = base;
  const SCRATCH = base + 1;
  const temp = (k: number): number => base + 2 + k;

  // The frame: every local live where the function can stop, and every temp (a rewind reloads them on its
  // way to the call), at fixed offsets, then the resume index (frames.ts). Never RESUME or SCRATCH. With
  // the module's frame helpers, ordered by type, so that functions with the same counts share them.
  const kept: Array<{ index: number; type: ValType }> = [];
  const save = (index: number, type: ValType): void => {
    if (type !== I32 && type !== I64 && type !== F32 && type !== F64 && type !== V128) {
      throw new LeanUnsupported(`a local of type 0x${type.toString(16)} in a function that can unwind`);
    }
    kept.push({ index, type });
  };
  s.localTypes.forEach((t, i) => {
    if (keep[i] === true) save(i, t);
  });
  const neededTemps = tempsToSave(ctx, body, plan, s);
  s.temps.forEach((t, k) => {
    if (neededTemps[k] === 1) save(temp(k), t);
  });
  const helpers = plan.frameHelpers !== undefined && kept.length <= FRAME_HELPER_MAX_VALUES
    ? plan.frameHelpers(kept.sort((a, b) => typeRank(a.type) - typeRank(b.type)).map((l) => l.type))
    : null;
  const layout = frameLayout(kept.map((l) => l.type));
  const saved = kept.map((l, i) => ({ ...l, offset: layout.offsets[i]! }));
  const frameSize = layout.size;
  const normal = shape === 'normal';
  // Full shape, callersEnterClone: direct calls a rewind enters through the callee's clone (an `if` on the
  // state picks the body).
  const cloneOf = plan.clones?.cloneOf;
  const viaClone = new Map<Entry, number>();
  if (cloneOf !== undefined && !normal && plan.clones?.callersEnterClone === true) {
    s.calls.forEach((e, i) => {
      const r = new ByteReader(body, s.callPos[i]!);
      if (r.u8() !== OP_CALL) return;
      const callee = r.u32();
      if (cloneOf(callee) >= 0) viaClone.set(e, callee);
    });
  }
  const resumeOffset = layout.resumeOffset;
  if (s.results.length > 1) throw new LeanUnsupported('a function with several results that can unwind');

  // Locals: the input's groups, then RESUME, SCRATCH and the temps (runs of one type).
  const lr = new ByteReader(body);
  const groups = lr.u32();
  const extra: Array<[number, ValType]> = [[2, I32]];
  for (const t of s.temps) {
    const last = extra[extra.length - 1]!;
    if (last[1] === t) last[0]++;
    else extra.push([1, t]);
  }
  w.u32(groups + extra.length).bytes(body.subarray(lr.pos, s.codeStart));
  for (const [n, t] of extra) w.u32(n).u8(t);

  let depth = 0;
  const open = (op: number): number => {
    w.u8(op).u8(BLOCK_EMPTY);
    return depth++;
  };
  const end = (): void => {
    w.u8(OP_END);
    depth--;
  };
  const rel = (label: number): number => depth - 1 - label;
  const br = (op: number, label: number): void => {
    w.u8(op).u32(rel(label));
  };
  const i32const = (v: number): void => {
    w.u8(OP_I32_CONST).s32(v);
  };
  const local = (op: number, i: number): void => {
    w.u8(op).u32(i);
  };
  const global = (op: number, i: number): void => {
    w.u8(op).u32(i);
  };
  const mem = (op: number, align: number, offset: number): void => {
    w.u8(op).u32(align).u32(offset);
  };
  /** Compares the state with a value (Asyncify's: 2 rewinding). */
  const stateIs = (op: number, v: number): void => {
    global(OP_GLOBAL_GET, plan.state);
    i32const(v);
    w.u8(op);
  };

  if (normal && plan.clones?.entered === true) {
    // Entered from outside (an export, a table) while rewinding: the clone takes the rewind.
    stateIs(OP_I32_EQ, 2);
    open(OP_IF);
    for (let i = 0; i < s.params; i++) local(OP_LOCAL_GET, i);
    w.u8(OP_CALL).u32(plan.clones.self >= 0 ? plan.clones.self : fail());
    w.u8(OP_RETURN);
    end();
  }
  // $unwind's result: the resume index a branch to it carries.
  w.u8(OP_BLOCK).u8(I32);
  const unwindLabel = depth++;
  const bodyLabel = depth++;
  const bt = s.results[0];
  w.u8(OP_BLOCK).u8(bt === undefined ? BLOCK_EMPTY : bt);

  /** Unwinding (the state is not normal, so 1): on to the epilogue with the resume index. */
  const unwindCheck = (resume: number): void => {
    i32const(resume);
    global(OP_GLOBAL_GET, plan.state);
    br(OP_BR_IF, unwindLabel);
    w.u8(OP_DROP);
  };
  const restore = (): void => {
    if (helpers !== null) {
      w.u8(OP_CALL).u32(helpers.load);
      for (let i = saved.length - 1; i >= 0; i--) local(OP_LOCAL_SET, saved[i]!.index);
      local(OP_LOCAL_SET, RESUME);
      return;
    }
    global(OP_GLOBAL_GET, plan.data);
    global(OP_GLOBAL_GET, plan.data);
    mem(OP_I32_LOAD, 2, 0);
    i32const(frameSize);
    w.u8(OP_I32_SUB);
    local(OP_LOCAL_TEE, SCRATCH);
    mem(OP_I32_STORE, 2, 0);
    for (const l of saved) {
      local(OP_LOCAL_GET, SCRATCH);
      writeLoad(w, l.type, l.offset);
      local(OP_LOCAL_SET, l.index);
    }
    local(OP_LOCAL_GET, SCRATCH);
    mem(OP_I32_LOAD, 0, resumeOffset);
    local(OP_LOCAL_SET, RESUME);
  };
  /** The unwind epilogue's frame push, inline (no frame helpers): the resume index on the stack. */
  const writeFrame = (): void => {
    local(OP_LOCAL_SET, RESUME);
    global(OP_GLOBAL_GET, plan.data);
    mem(OP_I32_LOAD, 2, 0);
    local(OP_LOCAL_TEE, SCRATCH);
    i32const(frameSize);
    w.u8(OP_I32_ADD);
    global(OP_GLOBAL_GET, plan.data);
    mem(OP_I32_LOAD, 2, 4);
    w.u8(OP_I32_GT_U);
    open(OP_IF);
    w.u8(OP_UNREACHABLE);
    end();
    for (const l of saved) {
      local(OP_LOCAL_GET, SCRATCH);
      local(OP_LOCAL_GET, l.index);
      writeStore(w, l.type, l.offset);
    }
    local(OP_LOCAL_GET, SCRATCH);
    local(OP_LOCAL_GET, RESUME);
    mem(OP_I32_STORE, 0, resumeOffset);
    global(OP_GLOBAL_GET, plan.data);
    local(OP_LOCAL_GET, SCRATCH);
    i32const(frameSize);
    w.u8(OP_I32_ADD);
    mem(OP_I32_STORE, 2, 0);
  };
  /** Rewinding: branches to the label of the first target holding the resume index (targets in order). */
  const chain = (targets: ReadonlyArray<[Entry, number]>): void => {
    targets.forEach(([e, label], i) => {
      const last = i === targets.length - 1;
      if (!last) {
        local(OP_LOCAL_GET, RESUME);
        i32const(e.hi);
        w.u8(OP_I32_LE_U);
      }
      br(last ? OP_BR : OP_BR_IF, label);
    });
  };
  const fuelCheck = (exitLabel: number, exitWhenExhausted: boolean): void => {
    global(OP_GLOBAL_GET, plan.fuel);
    i32const(1);
    w.u8(OP_I32_SUB);
    local(OP_LOCAL_TEE, SCRATCH);
    global(OP_GLOBAL_SET, plan.fuel);
    local(OP_LOCAL_GET, SCRATCH);
    i32const(0);
    w.u8(exitWhenExhausted ? 0x48 /* i32.lt_s */ : OP_I32_GE_S);
    br(OP_BR_IF, exitLabel);
  };
  const refill = (): void => {
    i32const(0x7fffffff);
    global(OP_GLOBAL_SET, plan.fuel);
  };

  /**
   * Opens a sequence's dispatch blocks and writes its dispatch: rewinding is the state (2) itself, which
   * stays so until the import the rewind ends at calls asyncify_stop_rewind, so a sequence past that call
   * takes its normal path.
   * guarded: code is written between the dispatch and the sequence's own first instruction (a loop's
   * fuel check), so a rewind must jump past it even to an entry at the start.
   */
  const openSeq = (entries: readonly Entry[], guarded = false): Seq => {
    const n = entries.length;
    if (n === 0) return NO_SEQ;
    if (normal) return { entries, next: 0, dispatched: false, mergedFirst: false, spillOnly: true };
    const e1 = entries[0]!;
    const merged = !guarded && e1.atStart && !e1.call && e1.types.length === 0;
    if (merged && n === 1) return { entries, next: 0, dispatched: false, mergedFirst: false };
    const first = depth;
    for (let i = merged ? 1 : 0; i <= n; i++) open(OP_BLOCK);
    const labelOf = (i: number): number => first + n - i;
    stateIs(OP_I32_NE, 2);
    br(OP_BR_IF, labelOf(merged ? 1 : 0));
    chain(entries.map((e, i) => [e, labelOf(i + 1)]));
    end();
    return { entries, next: 0, dispatched: true, mergedFirst: merged };
  };
  /** The encoding reached the sequence's next entry: spill, close its dispatch block, reload. */
  const reach = (seq: Seq): void => {
    const i = seq.next++;
    const e = seq.entries[i];
    if (e === undefined) throw new Error('lean rewrite: an entry the first pass did not see');
    if (seq.spillOnly === true) {
      // The frame keeps what is below the entry (the temps the clone reloads): spill only for those.
      if (!e.temps.some((k) => neededTemps[k] === 1)) return;
      for (let j = e.temps.length - 1; j >= 0; j--) local(OP_LOCAL_SET, temp(e.temps[j]!));
      for (let j = 0; j < e.temps.length; j++) local(OP_LOCAL_GET, temp(e.temps[j]!));
      return;
    }
    if (!seq.dispatched || (i === 0 && seq.mergedFirst)) return;
    for (let j = e.temps.length - 1; j >= 0; j--) local(OP_LOCAL_SET, temp(e.temps[j]!));
    end();
    for (let j = 0; j < e.temps.length; j++) local(OP_LOCAL_GET, temp(e.temps[j]!));
  };

  // The function's own sequence: the rewind prologue merged with its dispatch (one state check at entry).
  let topSeq: Seq;
  if (normal) {
    if (s.fuelAtEntry) {
      const skip = open(OP_BLOCK);
      fuelCheck(skip, false);
      refill();
      w.u8(OP_CALL).u32(plan.preempt);
      unwindCheck(0);
      end();
    }
    topSeq = { entries: s.top, next: 0, dispatched: false, mergedFirst: false, spillOnly: true };
  } else {
    const top = s.top;
    const n = top.length;
    const e1 = top[0];
    const merged = !s.fuelAtEntry && e1 !== undefined && e1.atStart && !e1.call && e1.types.length === 0;
    const first = depth;
    for (let i = merged || s.fuelAtEntry ? 1 : 0; i <= n; i++) open(OP_BLOCK);
    const labelOf = (i: number): number => first + n - i;
    const targets: Array<[Entry, number]> = top.map((e, i) => [e, labelOf(i + 1)]);
    if (s.fuelAtEntry) {
      const skip = open(OP_BLOCK);
      const call = open(OP_BLOCK);
      const normal = open(OP_BLOCK);
      stateIs(OP_I32_NE, 2);
      br(OP_BR_IF, normal);
      restore();
      chain([[{ lo: 0, hi: 0, call: true, types: [], temps: [], atStart: false }, call], ...targets]);
      end();
      fuelCheck(skip, false);
      refill();
      end();
      w.u8(OP_CALL).u32(plan.preempt);
      unwindCheck(0);
      end();
      topSeq = { entries: top, next: 0, dispatched: true, mergedFirst: false };
    } else {
      stateIs(OP_I32_NE, 2);
      br(OP_BR_IF, labelOf(merged ? 1 : 0));
      restore();
      chain(targets);
      end();
      topSeq = { entries: top, next: 0, dispatched: true, mergedFirst: merged };
    }
  }

  const frames: Frame[] = [{ labelIdx: bodyLabel, c: null, seq: topSeq, fuel: null }];
  let frame = frames[0]!;
  let ci = 0;
  let callCursor = 0;
  const marks = s.marks;
  const r = new ByteReader(body, s.codeStart);
  let copied = s.codeStart;

  for (let m = 0; m < s.markCount; m++) {
    const pos = marks[m]!;
    if (pos > copied) w.bytes(body.subarray(copied, pos));
    r.pos = pos;
    const op = r.u8();
    switch (op) {
      case OP_BLOCK:
      case OP_LOOP:
      case OP_IF: {
        const c = s.constructs[ci++]!;
        readBlockType(r, ctx);
        const header = body.subarray(pos, r.pos);
        const isEntry = !c.dead && (c.fuel || c.entries.length + c.elseEntries.length > 0);
        if (isEntry) reach(frame.seq!);
        if (c.fuel) {
          // loop $restart (T) block $done (T) [dispatch] block $slow loop $L (T) fuel check ... (see the end)
          const blockType = body.subarray(pos + 1, r.pos);
          w.u8(OP_LOOP).bytes(blockType);
          const restart = depth++;
          w.u8(OP_BLOCK).bytes(blockType);
          const done = depth++;
          const preempt: Entry = { lo: c.preempt, hi: c.preempt, call: true, types: [], temps: [], atStart: false };
          const inner = c.entries;
          const doneEntries: Entry[] = inner.length === 0
            ? [preempt]
            : [{ lo: inner[0]!.lo, hi: inner[inner.length - 1]!.hi, call: false, types: [], temps: [], atStart: true }, preempt];
          const doneSeq = openSeq(doneEntries);
          if (inner.length > 0) reach(doneSeq);
          const slow = open(OP_BLOCK);
          w.u8(OP_LOOP).bytes(blockType);
          const labelIdx = depth++;
          frame = { labelIdx, c, seq: null, fuel: { restart, done, slow, doneSeq, preempt } };
          frames.push(frame);
          frame.seq = openSeq(c.entries, true);
          fuelCheck(slow, true);
        } else {
          w.bytes(header);
          const labelIdx = depth++;
          frame = { labelIdx, c, seq: null, fuel: null };
          frames.push(frame);
          if (isEntry) frame.seq = openSeq(c.entries);
        }
        break;
      }
      case OP_ELSE: {
        w.u8(OP_ELSE);
        const c = frame.c!;
        if (!c.dead && c.entries.length + c.elseEntries.length > 0) frame.seq = openSeq(c.elseEntries);
        break;
      }
      case OP_END: {
        if (frame.c === null) {
          // block $unwind block $body <body> end return end <epilogue> <zeros> end
          end();
          w.u8(OP_RETURN);
          end();
          if (helpers !== null) {
            for (const l of saved) local(OP_LOCAL_GET, l.index);
            w.u8(OP_CALL).u32(helpers.save);
          } else writeFrame();
          if (plan.unwindTag !== undefined) w.u8(OP_THROW).u32(plan.unwindTag);
          else for (const t of s.results) zero(w, t);
          w.u8(OP_END);
          return w.finish();
        }
        const fuel = frame.fuel;
        end();
        frames.pop();
        frame = frames[frames.length - 1]!;
        if (fuel !== null) {
          // ... end(L) br $done end(slow) refill [preempt entry] call preempt; check; br $restart end end
          br(OP_BR, fuel.done);
          end();
          refill();
          reach(fuel.doneSeq);
          w.u8(OP_CALL).u32(plan.preempt);
          unwindCheck(fuel.preempt.lo);
          br(OP_BR, fuel.restart);
          end();
          end();
        }
        break;
      }
      case OP_BR:
      case OP_BR_IF: {
        const d = r.u32();
        br(op, frames[frames.length - 1 - d]!.labelIdx);
        break;
      }
      case OP_BR_TABLE: {
        const n = r.u32();
        w.u8(OP_BR_TABLE).u32(n);
        for (let i = 0; i <= n; i++) w.u32(rel(frames[frames.length - 1 - r.u32()]!.labelIdx));
        break;
      }
      case OP_CALL:
      case OP_CALL_INDIRECT: {
        const isEntry = s.callPos[callCursor] === pos;
        if (isEntry) reach(frame.seq!);
        const tag = plan.unwindTag;
        let caught = false;
        if (isEntry && tag !== undefined) {
          const r2 = new ByteReader(body, pos + 1);
          const x = r2.u32();
          if (op === OP_CALL_INDIRECT) {
            // The table index waits in SCRATCH: the try's params are the call's own.
            local(OP_LOCAL_SET, SCRATCH);
            w.u8(OP_TRY).s32(x);
            depth++;
            local(OP_LOCAL_GET, SCRATCH);
            caught = true;
          } else if (x >= (plan.importedFunctions ?? Infinity)) {
            w.u8(OP_TRY).s32(ctx.funcTypes[x]!);
            depth++;
            caught = true;
          }
        }
        const callee = isEntry ? viaClone.get(s.calls[callCursor]!) : undefined;
        if (callee !== undefined) {
          // Rewinding to this call (the state still rewinding): the callee's clone takes the rewind.
          r.u32();
          stateIs(OP_I32_EQ, 2);
          w.u8(OP_IF).s32(ctx.funcTypes[callee]!);
          depth++;
          w.u8(OP_CALL).u32(cloneOf!(callee));
          w.u8(OP_ELSE);
          w.u8(OP_CALL).u32(plan.func(callee));
          end();
        } else if (op === OP_CALL) w.u8(OP_CALL).u32(plan.func(r.u32()));
        else {
          r.u32();
          r.u32();
          w.bytes(body.subarray(pos, r.pos));
        }
        if (caught) {
          // The callee threw the unwind tag, its frame saved: this one's next. With a frame helper and a
          // small frame, pushed here and the same exception rethrown (V8: about half a new throw's cost);
          // else on through the epilogue, which throws anew.
          w.u8(OP_CATCH).u32(tag!);
          i32const(s.calls[callCursor++]!.lo);
          if (helpers !== null && saved.length <= RETHROW_MAX_SAVED) {
            for (const l of saved) local(OP_LOCAL_GET, l.index);
            w.u8(OP_CALL).u32(helpers.save);
            w.u8(OP_RETHROW).u32(0);
          } else br(OP_BR, unwindLabel);
          end();
        } else if (isEntry) unwindCheck(s.calls[callCursor++]!.lo);
        break;
      }
      case OP_REF_FUNC:
        w.u8(OP_REF_FUNC).u32(plan.func(r.u32()));
        break;
      default:
        throw new Error(`lean rewrite: opcode ${op} marked`);
    }
    copied = r.pos;
  }
  throw new Error("lean rewrite: the body's end was not marked");
}

/** The zero of a value type, as a constant instruction. */
export function zero(w: ByteWriter, t: ValType): void {
  if (t === I32) w.u8(OP_I32_CONST).u8(0);
  else if (t === I64) w.u8(OP_I64_CONST).u8(0);
  else if (t === F32) w.u8(OP_F32_CONST).bytes(new Uint8Array(4));
  else if (t === F64) w.u8(OP_F64_CONST).bytes(new Uint8Array(8));
  else if (t === V128) w.u8(OP_PREFIX_FD).u32(FD_V128_CONST).bytes(new Uint8Array(16));
  else w.u8(OP_REF_NULL).u8(t);
}
