// Which indirect calls Asyncify must instrument. By default it treats every call through a function
// pointer as a place the stack may unwind, so every function that makes one is rewritten (qsort's
// comparisons, stdio's write hooks). But call_indirect traps unless the target has the call's exact
// signature, so only signatures that some table function able to unwind has can unwind: this finds the
// functions that make such a call, for `asyncify-addlist` beside `asyncify-ignore-indirect`.
import binaryen from 'binaryen';
import { B, pushChildren, type Ref } from './ir.js';
import type { CallFacts } from './preempt.js';

/** Binaryen's `module.base` pattern match: a trailing `*` matches any rest. */
function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function factsOf(body: Ref, fn: string): CallFacts {
  const facts: CallFacts = { callees: new Set(), indirect: new Set() };
  const stack: Ref[] = [body];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.CallId) facts.callees.add(B.Call.getTarget(e));
    else if (id === binaryen.CallIndirectId) facts.indirect.add(`${B.CallIndirect.getParams(e)},${B.CallIndirect.getResults(e)}`);
    pushChildren(e, stack, fn);
  }
  return facts;
}

/** Names Asyncify's lists can hold as they are (no escaping, no list separator, no wildcard). */
const PLAIN = /^[A-Za-z0-9_.]+$/;

/**
 * The functions with an indirect call that can unwind (its signature is that of a table function that
 * can unwind: one calling a suspending import, directly or through direct and such indirect calls),
 * or null (then instrument every indirect call) when some such name cannot go in Asyncify's list, or
 * when a table is imported, so the host could put functions in it that no element segment names.
 * (Amber's host never writes a table the module exports.) known: each defined function's calls as
 * they are in mod now (preempt.ts gathers them as it instruments); without it every body is walked.
 */
export function unwindingIndirectCallers(mod: binaryen.Module, suspending: readonly string[], known?: ReadonlyMap<string, CallFacts>): string[] | null {
  for (let i = 0; i < mod.getNumTables(); i++) {
    const t = binaryen.getTableInfo(mod.getTableByIndex(i));
    if (t.module !== null && t.module !== '') return null;
  }
  const facts = new Map<string, CallFacts>();
  const signature = new Map<string, string>();
  const canUnwind = new Set<string>();
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    signature.set(f.name, `${f.params},${f.results}`);
    if (f.module !== null && f.module !== '') {
      if (suspending.some((p) => matches(p, `${f.module}.${f.base}`))) canUnwind.add(f.name);
    } else {
      facts.set(f.name, known?.get(f.name) ?? factsOf(f.body, f.name));
    }
  }
  const table = new Set<string>();
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    for (const f of binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i)).data) table.add(f);
  }
  // Fixpoint: a function can unwind if it calls one that can, directly or by a signature that can.
  const unwindingSignatures = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of table) if (canUnwind.has(t)) unwindingSignatures.add(signature.get(t)!);
    for (const [name, f] of facts) {
      if (canUnwind.has(name)) continue;
      if ([...f.callees].some((c) => canUnwind.has(c)) || [...f.indirect].some((s) => unwindingSignatures.has(s))) {
        canUnwind.add(name);
        changed = true;
      }
    }
  }
  const out = [...facts].filter(([, f]) => [...f.indirect].some((s) => unwindingSignatures.has(s))).map(([name]) => name);
  return out.every((n) => PLAIN.test(n)) ? out : null;
}
