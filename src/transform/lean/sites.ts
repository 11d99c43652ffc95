// The first pass of the lean transform's body rewrite: where a function can unwind. It decodes the body
// once, types the operand stack as the spec's validation algorithm does (polymorphic after unreachable,
// br, br_table, return; dead code is never instrumented), and records the entries (unwinding call sites,
// fuel checks, constructs holding one) with the values each must spill, and the positions of the
// instructions the second pass (emit.ts) re-encodes: control, calls, ref.func.
import { ByteReader, MalformedModule } from './bytes.js';
import { readBlockType, readPrefixFC, readPrefixFD, skipImmediates, skipMemarg } from './decode.js';
import {
  FC_POPS,
  FC_PUSHES,
  FD_POPS,
  FD_PUSHES,
  IMMEDIATES,
  IMM_BLOCK,
  IMM_MEMARG,
  OP_BLOCK,
  OP_BR,
  OP_BR_IF,
  OP_BR_TABLE,
  OP_CALL,
  OP_CALL_INDIRECT,
  OP_DROP,
  OP_ELSE,
  OP_END,
  OP_GLOBAL_GET,
  OP_GLOBAL_SET,
  OP_IF,
  OP_LOCAL_GET,
  OP_LOCAL_SET,
  OP_LOCAL_TEE,
  OP_LOOP,
  OP_PREFIX_FC,
  OP_PREFIX_FD,
  OP_REF_FUNC,
  OP_REF_IS_NULL,
  OP_REF_NULL,
  OP_RETURN,
  OP_SELECT,
  OP_SELECT_T,
  OP_TABLE_GET,
  OP_TABLE_SET,
  OP_UNREACHABLE,
  POPS,
  PUSHES,
  opcodeName,
} from './opcodes.js';
import { FUNCREF, I32, LeanUnsupported, type FuncType, type ModuleContext, type RewritePlan, type ValType } from './types.js';

/** A place a rewind can enter: an unwinding call, or a construct holding one. */
export interface Entry {
  /** The resume indices it holds (a call: its own, lo == hi). Numbered in program order. */
  readonly lo: number;
  readonly hi: number;
  readonly call: boolean;
  /** The values on its sequence's operand stack when it starts (a call's arguments, an if's condition
   *  included), bottom first, and the temps (ordinals into Sites.temps) they are spilled to. */
  readonly types: readonly number[];
  readonly temps: readonly number[];
  /** It starts its sequence and spills nothing: the dispatch's normal path lands on it too. */
  readonly atStart: boolean;
}

/** A block, loop or if, in the order their opening instructions appear. */
export interface Construct {
  readonly op: number;
  readonly params: number;
  readonly dead: boolean;
  /** A loop with a fuel check at its head (a live loop when plan.fuelAtLoops). */
  readonly fuel: boolean;
  /** The entries of its body (an if's then arm), and of an if's else arm. */
  readonly entries: Entry[];
  readonly elseEntries: Entry[];
  /** A fuel loop: the resume index of its preempt call (after every index inside it). */
  preempt: number;
}

export interface Sites {
  /** Where the expression starts (after the locals vector). */
  readonly codeStart: number;
  /** Params then declared locals. */
  readonly localTypes: readonly ValType[];
  readonly params: number;
  readonly results: readonly ValType[];
  /** Positions of the control instructions, calls and ref.funcs, in order (marks[0..markCount)). */
  readonly marks: Int32Array;
  readonly markCount: number;
  readonly constructs: readonly Construct[];
  /** The unwinding call sites' entries in order, and where each call instruction starts. */
  readonly calls: readonly Entry[];
  readonly callPos: readonly number[];
  /** The entries of the function's own sequence. */
  readonly top: readonly Entry[];
  /** A fuel check at entry: its preempt call is resume index 0. */
  readonly fuelAtEntry: boolean;
  /** The value type of every spill temp, by ordinal. */
  readonly temps: readonly ValType[];
  /** Whether anything is instrumented (otherwise only function indices are remapped). */
  readonly instrumented: boolean;
}

interface Frame {
  readonly c: Construct | null;
  readonly height: number;
  readonly slotBase: number;
  readonly paramTypes: readonly number[];
  readonly resultTypes: readonly number[];
  readonly dead: boolean;
  unreachable: boolean;
  entries: Entry[];
  seqStart: number;
  /** A construct's start: its opcode's position, and the parent's values it found (types, from the parent's base). */
  readonly pos: number;
  readonly below: readonly number[];
}

const NONE: readonly number[] = [];

function blockSig(bt: number, ctx: ModuleContext): FuncType {
  if (bt === -1) return { params: [], results: [] };
  if (bt < 0) return { params: [], results: [-bt as ValType] };
  return ctx.types[bt]!;
}

/** A temps' key: the slot (an absolute stack position) and the value type. */
function tempKey(slot: number, type: number): number {
  return slot * 256 + type;
}

/** Decodes and types one body; records its entries for the plan. */
export function findSites(ctx: ModuleContext, funcIndex: number, body: Uint8Array, plan: RewritePlan): Sites {
  const ftype = ctx.types[ctx.funcTypes[funcIndex]!];
  if (ftype === undefined) throw new MalformedModule(`function ${funcIndex} has no type`, 0);
  const r = new ByteReader(body);
  const localTypes: ValType[] = [...ftype.params];
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    const at = r.pos;
    const n = r.u32();
    const t = r.valType();
    if (localTypes.length + n > 50_000) throw new MalformedModule(`${localTypes.length + n} locals`, at);
    for (let i = 0; i < n; i++) localTypes.push(t);
  }
  const codeStart = r.pos;

  let types = new Uint8Array(64);
  let h = 0;
  let marks = new Int32Array(256);
  let markCount = 0;
  const mark = (p: number): void => {
    if (markCount === marks.length) {
      const next = new Int32Array(marks.length * 2);
      next.set(marks);
      marks = next;
    }
    marks[markCount++] = p;
  };
  const constructs: Construct[] = [];
  const calls: Entry[] = [];
  const callPos: number[] = [];
  const temps: ValType[] = [];
  const tempIndex = new Map<number, number>();
  let nextResume = plan.fuelAtEntry ? 1 : 0;

  const top: Entry[] = [];
  const frames: Frame[] = [
    {
      c: null, height: 0, slotBase: 0, paramTypes: NONE, resultTypes: ftype.results, dead: false, unreachable: false,
      entries: top, seqStart: codeStart, pos: codeStart, below: NONE,
    },
  ];
  let f = frames[0]!;

  const push = (t: number): void => {
    if (h === types.length) {
      const next = new Uint8Array(types.length * 2);
      next.set(types);
      types = next;
    }
    types[h++] = t;
  };
  const pop = (n: number): void => {
    h = h - n < f.height ? f.height : h - n;
  };
  const polymorphic = (): void => {
    f.unreachable = true;
    h = f.height;
  };
  /** The temps a sequence of values at the frame's base upward spills to. */
  const spillTemps = (frame: Frame, vals: readonly number[]): number[] =>
    vals.map((t, j) => {
      if (t !== 0x7f && t !== 0x7e && t !== 0x7d && t !== 0x7c && t !== 0x7b) {
        throw new LeanUnsupported(`a value of type 0x${t.toString(16)} live across an unwinding call`);
      }
      const key = tempKey(frame.slotBase + j, t);
      let k = tempIndex.get(key);
      if (k === undefined) {
        k = temps.length;
        temps.push(t as ValType);
        tempIndex.set(key, k);
      }
      return k;
    });
  const live = (): boolean => !f.unreachable && !f.dead;

  for (;;) {
    const pos = r.pos;
    const op = r.u8();
    const pops = POPS[op]!;
    if (pops !== 0xff) {
      // A plain instruction: immediates skipped, operands popped, its result pushed.
      if (IMMEDIATES[op] === IMM_MEMARG) skipMemarg(r);
      else skipImmediates(r, op, ctx);
      pop(pops);
      const t = PUSHES[op]!;
      if (t !== 0) push(t);
      continue;
    }
    switch (op) {
      case OP_UNREACHABLE:
        polymorphic();
        break;
      case OP_BLOCK:
      case OP_LOOP:
      case OP_IF: {
        mark(pos);
        const bt = readBlockType(r, ctx);
        const sig = blockSig(bt, ctx);
        const before = h;
        if (op === OP_IF) pop(1);
        pop(sig.params.length);
        const base = h;
        const dead = f.dead || f.unreachable;
        const fuel = op === OP_LOOP && plan.fuelAtLoops && !dead;
        if (fuel && sig.params.length > 0) throw new LeanUnsupported('a loop with parameters');
        const c: Construct = { op, params: sig.params.length, dead, fuel, entries: [], elseEntries: [], preempt: -1 };
        constructs.push(c);
        const below = before > f.height && !dead ? Array.from(types.subarray(f.height, before)) : NONE;
        const slotBase = f.slotBase + (op === OP_IF ? before : base) - f.height;
        for (const t of sig.params) push(t);
        f = {
          c, height: base, slotBase, paramTypes: sig.params, resultTypes: sig.results, dead, unreachable: false,
          entries: c.entries, seqStart: r.pos, pos, below,
        };
        frames.push(f);
        break;
      }
      case OP_ELSE: {
        mark(pos);
        const c = f.c;
        if (c === null || c.op !== OP_IF) throw new MalformedModule('else outside an if', pos);
        h = f.height;
        for (const t of f.paramTypes) push(t);
        f.unreachable = false;
        f.entries = c.elseEntries;
        f.seqStart = r.pos;
        break;
      }
      case OP_END: {
        mark(pos);
        const c = f.c;
        if (c === null) {
          if (!r.done) throw new MalformedModule("bytes after the body's end", r.pos);
          const fuelAtEntry = plan.fuelAtEntry;
          return {
            codeStart, localTypes, params: ftype.params.length, results: ftype.results, marks, markCount, constructs,
            calls, callPos, top, fuelAtEntry, temps, instrumented: fuelAtEntry || top.length > 0,
          };
        }
        const done = f;
        frames.pop();
        f = frames[frames.length - 1]!;
        if (!c.dead) {
          const inner = c.entries.length + c.elseEntries.length;
          if (inner > 0 && c.params > 0) throw new LeanUnsupported('a block with parameters holding an unwinding call');
          if (c.fuel) c.preempt = nextResume++;
          if (inner > 0 || c.fuel) {
            const first = c.entries[0] ?? c.elseEntries[0];
            const last = c.fuel ? undefined : (c.elseEntries[c.elseEntries.length - 1] ?? c.entries[c.entries.length - 1]);
            f.entries.push({
              lo: first?.lo ?? c.preempt, hi: last?.hi ?? c.preempt, call: false,
              types: done.below, temps: spillTemps(f, done.below), atStart: done.pos === f.seqStart && done.below.length === 0,
            });
          }
        }
        h = done.height;
        for (const t of done.resultTypes) push(t);
        break;
      }
      case OP_BR:
        mark(pos);
        r.u32();
        polymorphic();
        break;
      case OP_BR_IF:
        mark(pos);
        r.u32();
        pop(1);
        break;
      case OP_BR_TABLE: {
        mark(pos);
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        polymorphic();
        break;
      }
      case OP_RETURN:
        polymorphic();
        break;
      case OP_CALL:
      case OP_CALL_INDIRECT: {
        mark(pos);
        let sig: FuncType;
        let unwinds: boolean;
        if (op === OP_CALL) {
          const callee = r.u32();
          const t = ctx.funcTypes[callee];
          if (t === undefined) throw new MalformedModule(`call of function ${callee} out of range`, pos);
          sig = ctx.types[t]!;
          unwinds = plan.callUnwinds(callee);
        } else {
          const t = r.u32();
          r.u32();
          const s = ctx.types[t];
          if (s === undefined) throw new MalformedModule(`call_indirect type ${t} out of range`, pos);
          sig = s;
          unwinds = plan.indirectUnwinds(t);
          pop(1);
        }
        if (unwinds && live()) {
          const vals = Array.from(types.subarray(f.height, h + (op === OP_CALL_INDIRECT ? 1 : 0)));
          const e: Entry = { lo: nextResume, hi: nextResume, call: true, types: vals, temps: spillTemps(f, vals), atStart: false };
          nextResume++;
          f.entries.push(e);
          calls.push(e);
          callPos.push(pos);
        }
        pop(sig.params.length);
        for (const t of sig.results) push(t);
        break;
      }
      case OP_DROP:
        pop(1);
        break;
      case OP_SELECT: {
        pop(1);
        const t = h - 2 >= f.height ? types[h - 2]! : h - 1 >= f.height ? types[h - 1]! : 0;
        pop(2);
        push(t);
        break;
      }
      case OP_SELECT_T: {
        r.u32();
        const t = r.valType();
        pop(3);
        push(t);
        break;
      }
      case OP_LOCAL_GET: {
        const x = r.u32();
        const t = localTypes[x];
        if (t === undefined) throw new MalformedModule(`local ${x} out of range`, pos);
        push(t);
        break;
      }
      case OP_LOCAL_SET:
        r.u32();
        pop(1);
        break;
      case OP_LOCAL_TEE: {
        const x = r.u32();
        pop(1);
        push(localTypes[x] ?? 0);
        break;
      }
      case OP_GLOBAL_GET:
        push(ctx.globalTypes[r.u32()] ?? 0);
        break;
      case OP_GLOBAL_SET:
        r.u32();
        pop(1);
        break;
      case OP_TABLE_GET: {
        const x = r.u32();
        pop(1);
        push(ctx.tableTypes[x] ?? FUNCREF);
        break;
      }
      case OP_TABLE_SET:
        r.u32();
        pop(2);
        break;
      case OP_REF_NULL: {
        const t = r.u8();
        if (t !== 0x70 && t !== 0x6f) throw new LeanUnsupported(`ref.null of type 0x${t.toString(16)}`);
        push(t);
        break;
      }
      case OP_REF_IS_NULL:
        pop(1);
        push(I32);
        break;
      case OP_REF_FUNC:
        mark(pos);
        r.u32();
        push(FUNCREF);
        break;
      case OP_PREFIX_FC: {
        const sub = readPrefixFC(r);
        pop(FC_POPS[sub]!);
        const t = FC_PUSHES[sub]!;
        if (t !== 0) push(t);
        break;
      }
      case OP_PREFIX_FD: {
        const sub = readPrefixFD(r);
        pop(FD_POPS[sub]!);
        const t = FD_PUSHES[sub]!;
        if (t !== 0) push(t);
        break;
      }
      default:
        if (IMMEDIATES[op] === IMM_BLOCK) throw new Error(`unreachable: block opcode ${op}`);
        throw new LeanUnsupported(opcodeName(op));
    }
  }
}
