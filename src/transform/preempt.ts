// Preemption points for a guest module: a cheap fuel check at every loop head and at the entry of enough
// functions that every recursion passes one (cycles.ts), so a guest that computes without syscalls still
// reaches an import the host can suspend it at. Like wasmtime's fuel: between two checks a guest runs
// only straight-line code, loops proven short (bounded.ts) and calls into functions that have neither an
// unchecked loop nor a way back into their caller, so the time between checks is bounded by the code size.
import binaryen from 'binaryen';
import { boundedTrips } from './bounded.js';
import { cycleCuts } from './cycles.js';
import { B, pushChildren, type Ref } from './ir.js';

/** What instrument() added, for the transform's key and for tests. */
export interface PreemptStats {
  /** Loop heads checked. */
  loops: number;
  /** Loops left unchecked: provably few iterations (bounded.ts). */
  bounded: number;
  /** Function entries checked. */
  entries: number;
}

/** The names the instrumentation uses inside the module. */
export interface PreemptNames {
  /** The i32 fuel global (decremented at each check). */
  fuel: string;
  /** The internal name of the `() -> ()` import the check calls when fuel runs out. */
  preempt: string;
}

/** What one function body holds that instrumentation cares about. */
interface BodyFacts {
  /** Every loop, with the block it is a statement of (0 if none) and its index there. */
  loops: Array<{ loop: Ref; block: Ref; index: number }>;
  /** Direct callees called from outside every loop of this function (a call inside one passes its check first). */
  callees: Set<string>;
  /** The signatures (params,results) of the indirect calls outside every loop. */
  indirect: Set<string>;
  /** Every call of the body, in loops too, for indirect.ts: direct callees and indirect signatures. */
  calls: CallFacts;
}

/** What a function calls: direct callees by name, indirect calls by signature ("params,results" type ids). */
export interface CallFacts {
  callees: Set<string>;
  indirect: Set<string>;
}

export interface PreemptOptions {
  /** Check provably short loops too (bounded.ts). */
  checkShortLoops?: boolean;
  /**
   * Filled with each defined function's calls as instrumented (a check calls names.preempt), so the
   * indirect-call analysis (indirect.ts) need not walk every body again: on a large module each walk
   * through binaryen.js costs seconds.
   */
  calls?: Map<string, CallFacts>;
}

/** Walks a body without recursion (blocks nest thousands deep in big switch lowerings). */
function bodyFacts(body: Ref, fn: string): BodyFacts {
  const facts: BodyFacts = { loops: [], callees: new Set(), indirect: new Set(), calls: { callees: new Set(), indirect: new Set() } };
  const stack: Array<{ e: Ref; inLoop: boolean; block: Ref; index: number }> = [{ e: body, inLoop: false, block: 0, index: 0 }];
  const children: Ref[] = [];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { e, inLoop, block, index } = top;
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.LoopId) {
      facts.loops.push({ loop: e, block, index });
    } else if (id === binaryen.CallId) {
      const target = B.Call.getTarget(e);
      facts.calls.callees.add(target);
      if (!inLoop) facts.callees.add(target);
    } else if (id === binaryen.CallIndirectId) {
      const sig = `${B.CallIndirect.getParams(e)},${B.CallIndirect.getResults(e)}`;
      facts.calls.indirect.add(sig);
      if (!inLoop) facts.indirect.add(sig);
    }
    children.length = 0;
    pushChildren(e, children, fn);
    const childInLoop = inLoop || id === binaryen.LoopId;
    const inBlock = id === binaryen.BlockId;
    children.forEach((c, i) => stack.push({ e: c, inLoop: childInLoop, block: inBlock ? e : 0, index: i }));
  }
  return facts;
}

/** The functions an indirect call can reach, by signature: those in an element segment (call_indirect traps on any other signature). */
function tableFunctions(mod: binaryen.Module): Map<string, string[]> {
  const seen = new Set<string>();
  const out = new Map<string, string[]>();
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    for (const f of binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i)).data) {
      if (seen.has(f)) continue;
      seen.add(f);
      const info = binaryen.getFunctionInfo(mod.getFunction(f));
      const sig = `${info.params},${info.results}`;
      out.set(sig, [...(out.get(sig) ?? []), f]);
    }
  }
  return out;
}

/**
 * The functions that need a check at entry: a set every cycle of calls made outside loops passes through
 * (cycles.ts). A call inside a loop passes that loop's head check first, so a cycle through one is
 * covered already; an indirect call can reach the table's functions of its own signature only.
 */
function entryChecked(defined: ReadonlyArray<{ name: string; facts: BodyFacts }>, table: ReadonlyMap<string, readonly string[]>): Set<string> {
  const graph = new Map<string, string[]>();
  for (const f of defined) graph.set(f.name, [...f.facts.callees, ...[...f.facts.indirect].flatMap((sig) => table.get(sig) ?? [])]);
  return cycleCuts(graph);
}

/**
 * Adds the fuel check at every loop head but those of provably short loops (bounded.ts), and
 * at the entry of enough functions that every recursion not passing a loop head passes one, in every
 * function defined in mod. At a loop head the check only branches; the call sits outside the loop, so the
 * register allocator need not keep the loop's values spillable around a call (with every sha256 loop
 * checked, an `if` holding the call cost 35% here, this branch-out form 13%):
 *
 *   loop $restart_N                         ;; the original loop node, renamed
 *     block $done_N (result T)
 *       block $slow_N
 *         loop $L                           ;; the original name: the body's branches still target it
 *           fuel = fuel - 1; br_if $slow_N (fuel < 0)
 *           <original body>
 *         end
 *         br $done_N                        ;; (with the loop's value when T is not none)
 *       end
 *       fuel = 2^31 - 1; call preempt       ;; the host sets the fuel it wants
 *       br $restart_N
 */
export function instrumentPreemption(mod: binaryen.Module, names: PreemptNames, opts: PreemptOptions = {}): PreemptStats {
  const fuel = (): Ref => mod.global.get(names.fuel, binaryen.i32);
  const decrement = (): Ref => mod.global.set(names.fuel, mod.i32.sub(fuel(), mod.i32.const(1)));
  const exhausted = (): Ref => mod.i32.lt_s(fuel(), mod.i32.const(0));
  // The slow path refills the fuel before it calls preempt, so a host that does not set it (or sets
  // it to 0) gets another call only after 2^31 checks, not at once, forever.
  const preempt = (): Ref =>
    mod.block(null, [mod.global.set(names.fuel, mod.i32.const(0x7fffffff)), mod.call(names.preempt, [], binaryen.none)], binaryen.none);

  const defined: Array<{ ref: binaryen.FunctionRef; name: string; facts: BodyFacts }> = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const ref = mod.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(ref);
    if (info.module !== null && info.module !== '') continue; // an import
    defined.push({ ref, name: info.name, facts: bodyFacts(info.body, info.name) });
  }
  const atEntry = entryChecked(defined, tableFunctions(mod));

  const stats: PreemptStats = { loops: 0, bounded: 0, entries: 0 };
  for (const f of defined) {
    let n = 0;
    const info = binaryen.getFunctionInfo(f.ref);
    const params = binaryen.expandType(info.params).length;
    // Decide for every loop before changing any, so each is judged as the guest wrote it.
    const checked = f.facts.loops
      .filter(({ loop, block, index }) => opts.checkShortLoops === true || boundedTrips(loop, { block, index, body: info.body, params, fn: f.name }) === null)
      .map(({ loop }) => loop);
    stats.bounded += f.facts.loops.length - checked.length;
    for (const loop of checked) {
      const id = n++;
      const [restart, done, slow] = [`amber_restart_${id}`, `amber_done_${id}`, `amber_slow_${id}`];
      const type = binaryen.getExpressionType(loop);
      const body = B.Loop.getBody(loop);
      const name = B.Loop.getName(loop);
      const inner = mod.loop(name, mod.block(null, [decrement(), mod.br(slow, exhausted()), body], binaryen.getExpressionType(body)));
      const leave =
        type === binaryen.none ? [inner, mod.br(done)] : type === binaryen.unreachable ? [inner] : [mod.br(done, undefined, inner)];
      B.Loop.setName(loop, restart);
      B.Loop.setBody(loop, mod.block(done, [mod.block(slow, leave, binaryen.none), preempt(), mod.br(restart)], type));
      stats.loops++;
    }
    if (atEntry.has(f.name)) {
      const info = binaryen.getFunctionInfo(f.ref);
      B.Function.setBody(f.ref, mod.block(null, [decrement(), mod.if(exhausted(), preempt()), info.body], info.results));
      stats.entries++;
    }
    if (opts.calls !== undefined) {
      if (n > 0 || atEntry.has(f.name)) f.facts.calls.callees.add(names.preempt);
      opts.calls.set(f.name, f.facts.calls);
    }
  }
  return stats;
}
